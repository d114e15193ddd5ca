/// A field as a dictionary defines it.
struct FIXFieldInfo: Sendable {
    /// The field name (`MsgType`).
    var name: String
    /// The data type.
    var type: FIXFieldType
}

/// The standard tables of `FIXTags.generated.swift`, parsed once on first use.
enum FIXStandardTables {
    /// Tag → name and type, FIX 4.0 to 5.0 SP2 and FIXT 1.1.
    static let fields: FIXTagTable<FIXFieldInfo> = {
        var table = FIXTagTable<FIXFieldInfo>()
        forEachLine(FIXTagsGenerated.fields) { parts in
            guard parts.count == 3, let tag = Int(parts[0]) else { return }
            table[tag] = FIXFieldInfo(name: String(parts[1]), type: FIXFieldType(name: parts[2]))
        }
        return table
    }()

    /// Tag → value → description.
    static let values: [Int: [String: String]] = {
        var table: [Int: [String: String]] = [:]
        forEachLine(FIXTagsGenerated.values) { parts in
            guard parts.count == 3, let tag = Int(parts[0]) else { return }
            table[tag, default: [:]][String(parts[1])] = String(parts[2])
        }
        return table
    }()

    /// MsgType → message name.
    static let messages: [String: String] = {
        var table: [String: String] = [:]
        forEachLine(FIXTagsGenerated.messages) { parts in
            guard parts.count == 2 else { return }
            table[String(parts[0])] = String(parts[1])
        }
        return table
    }()

    /// The repeating groups of FIX44.xml.
    static let groups44: FIXMessageGroups = groups(FIXTagsGenerated.groups44)

    /// The repeating groups of FIXT11.xml and FIX50SP2.xml.
    static let groups50: FIXMessageGroups = groups(FIXTagsGenerated.groups50)

    /// Parses `L countTag members` and `M msgType layouts` lines (see the generator).
    private static func groups(_ text: StaticString) -> FIXMessageGroups {
        var layouts: [FIXGroupLayout?] = []
        var result = FIXMessageGroups()
        forEachLine(text, separator: UInt8(ascii: " ")) { parts in
            guard parts.count == 3 else { return }
            if parts[0] == "L", let countTag = Int(parts[1]) {
                var members: [Int] = []
                var nested: [Int: FIXGroupLayout] = [:]
                for member in parts[2].split(separator: ",") {
                    let pieces = member.split(separator: "@")
                    guard let tag = Int(pieces[0]) else { continue }
                    members.append(tag)
                    if pieces.count == 2, let index = Int(pieces[1]), index < layouts.count, let inner = layouts[index] {
                        nested[tag] = inner
                    }
                }
                layouts.append(FIXGroupLayout(countTag: countTag, members: members, nested: nested))
            } else if parts[0] == "M" {
                let top = parts[2].split(separator: ",").compactMap { Int($0) }.compactMap { $0 < layouts.count ? layouts[$0] : nil }
                if parts[1] == "*" {
                    result.header = FIXMessageGroups.index(top)
                } else {
                    result.byMessage[String(parts[1])] = FIXMessageGroups.index(top)
                }
            }
        }
        return result
    }

    /// Calls `body` with the `separator`-split parts of each line of `text`.
    private static func forEachLine(_ text: StaticString, separator: UInt8 = UInt8(ascii: "|"), _ body: ([Substring]) -> Void) {
        let string = text.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
        for line in string.split(separator: "\n") {
            body(line.split(separator: Character(Unicode.Scalar(separator)), omittingEmptySubsequences: false))
        }
    }
}
