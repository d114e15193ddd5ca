/// What the FIX tags, messages and values mean: names, types, value descriptions, length/data
/// pairs and repeating-group layouts.
///
/// Which dictionary supplies what:
/// - `standard` names every tag, message and enumerated value of FIX 4.0 to 5.0 SP2 and FIXT 1.1
///   (a later version winning a clash) but has no group layouts: without a dictionary, groups
///   stay flat.
/// - `fix44` and `fix50SP2` add the repeating groups of QuickFIX's FIX44.xml and FIXT11.xml +
///   FIX50SP2.xml. `builtIn(beginString:applVerID:)` picks one for a session's version; a decoder
///   uses it when the operator asks for built-in groups.
/// - `init(loading:base:)` reads QuickFIX-format XML files (`--fix-dictionary`) on top of a base
///   (`standard` unless told otherwise), so tags the files leave out keep their standard names,
///   and the files' messages get their group layouts.
///
/// All lookups are reads of immutable tables; a dictionary is shared between threads freely.
package final class FIXDictionary: Sendable {
    /// Tag → name and type.
    var fields: FIXTagTable<FIXFieldInfo> { ownFields ?? FIXStandardTables.fields }
    /// Its own names and types, or nil for the standard ones, parsed when first asked for (like
    /// the value descriptions: only per-message records and dictionary files read them).
    private let ownFields: FIXTagTable<FIXFieldInfo>?
    /// Tag → value → description: its own table, or nil for the standard one, which is parsed
    /// only when a description is first asked for (most of the standard tables' start-up cost,
    /// and only per-message records read it).
    private let ownValues: [Int: [String: String]]?
    /// Tag → value → description.
    var values: [Int: [String: String]] { ownValues ?? FIXStandardTables.values }
    /// MsgType → message name.
    let messages: [String: String]
    /// LENGTH tag → DATA tag.
    /// Length tag → data tag, the standard pairs and the dictionary's own LENGTH/DATA fields.
    package let dataPairs: [Int: Int]
    /// The group layouts; nil when groups stay flat.
    let groups: FIXMessageGroups?
    /// Where the definitions came from: the quickfix-ssl version and the files loaded, in order.
    package let sources: [String]

    /// A dictionary from its tables (`fields` and `values` nil: the standard ones).
    init(
        fields: FIXTagTable<FIXFieldInfo>?, values: [Int: [String: String]]?, messages: [String: String],
        dataPairs: [Int: Int], groups: FIXMessageGroups?, sources: [String]
    ) {
        ownFields = fields
        ownValues = values
        self.messages = messages
        self.dataPairs = dataPairs
        self.groups = groups
        self.sources = sources
    }

    /// Every standard name, type, message and value; no group layouts (groups stay flat).
    package static let standard = FIXDictionary(
        fields: nil, values: nil, messages: FIXStandardTables.messages,
        dataPairs: FIXTagsGenerated.dataPairs, groups: nil, sources: [FIXTagsGenerated.source]
    )

    /// The standard names with the repeating groups of FIX44.xml.
    package static let fix44 = FIXDictionary(
        fields: nil, values: nil, messages: FIXStandardTables.messages,
        dataPairs: FIXTagsGenerated.dataPairs, groups: FIXStandardTables.groups44,
        sources: [FIXTagsGenerated.source + " FIX44.xml"]
    )

    /// The standard names with the repeating groups of FIXT11.xml and FIX50SP2.xml.
    package static let fix50SP2 = FIXDictionary(
        fields: nil, values: nil, messages: FIXStandardTables.messages,
        dataPairs: FIXTagsGenerated.dataPairs, groups: FIXStandardTables.groups50,
        sources: [FIXTagsGenerated.source + " FIXT11.xml FIX50SP2.xml"]
    )

    /// The built-in dictionary with group layouts for a session's BeginString (8) and, for
    /// FIXT.1.1, its ApplVerID (1128) or DefaultApplVerID (1137):
    /// - `FIX.4.4` and `STEP.*` (STEP follows FIX 4.4) → `fix44`;
    /// - `FIX.5.0*`, and `FIXT.1.1` unless the ApplVerID says 4.4 (`6`) or older → `fix50SP2`;
    /// - anything else (FIX 4.0-4.3, proprietary tokens) → `standard`, so groups stay flat.
    package static func builtIn(beginString: some StringProtocol, applVerID: String? = nil) -> FIXDictionary {
        if beginString == "FIX.4.4" || beginString.hasPrefix("STEP") { return fix44 }
        if beginString.hasPrefix("FIX.5.0") { return fix50SP2 }
        if beginString == "FIXT.1.1" {
            switch applVerID {
            case nil, "7"?, "8"?, "9"?: return fix50SP2
            case "6"?: return fix44
            default: return standard
            }
        }
        return standard
    }

    /// Whether this dictionary has group layouts (false for `standard`: groups stay flat).
    package var hasGroups: Bool { groups != nil }

    /// The field name of `tag` (35 → `MsgType`), if the dictionary has one.
    @inline(__always)
    package func name(of tag: Int) -> String? {
        field(tag)?.name
    }

    /// The data type of `tag`, if the dictionary defines the field.
    @inline(__always)
    package func type(of tag: Int) -> FIXFieldType? {
        field(tag)?.type
    }

    /// The definition of `tag`, read in place from whichever table holds it (`fields` would
    /// copy the table out for every lookup).
    @inline(__always)
    private func field(_ tag: Int) -> FIXFieldInfo? {
        if let ownFields { return ownFields[tag] }
        return FIXStandardTables.fields[tag]
    }

    /// The message name of a MsgType (`D` → `NewOrderSingle`).
    package func messageName(of msgType: String) -> String? {
        messages[msgType]
    }

    /// The description of a value of `tag` (54=`1` → `BUY`). A multiple-value field (`18=1 2 A`)
    /// gets the descriptions of its values joined by spaces, unknown ones as written; nil when no
    /// value is known.
    package func valueDescription(tag: Int, value: String) -> String? {
        guard let table = values[tag] else { return nil }
        if let description = table[value] { return description }
        guard value.contains(" "), field(tag)?.type.isMultipleValue ?? false else { return nil }
        var known = false
        let parts = value.split(separator: " ").map { part -> String in
            guard let description = table[String(part)] else { return String(part) }
            known = true
            return description
        }
        return known ? parts.joined(separator: " ") : nil
    }

    /// The layout of the repeating group that `countTag` starts in a message of type `msgType`
    /// (the message's own groups first, then those nested in them, then the header's); nil when
    /// the dictionary has no groups or the tag starts none there.
    package func groupLayout(countTag: Int, msgType: String) -> FIXGroupLayout? {
        groups?.layout(countTag: countTag, msgType: msgType)
    }

    /// The DATA tag whose length `tag` gives (95 → 96): the standard pairs plus any LENGTH field
    /// followed by a DATA field in a loaded file.
    @inline(__always)
    package func dataTag(forLength tag: Int) -> Int? {
        dataPairs[tag]
    }

    /// The tag whose field is called `name`, if any (a linear search, for tests and set-up).
    package func tag(named name: String) -> Int? {
        fields.entries.first { $0.value.name == name }?.tag
    }
}
