import Foundation
import Testing

@testable import FIXProtocol

/// The directory holding quickfix-ssl's XML dictionaries (FIX44.xml ...), or nil when it is not
/// installed: `FIX_DICTIONARY_DIR`, the usual pyenv and system paths, then `python3 -c ...`.
let quickFIXDirectory: String? = {
    var candidates: [String] = []
    if let fromEnvironment = ProcessInfo.processInfo.environment["FIX_DICTIONARY_DIR"] { candidates.append(fromEnvironment) }
    let pyenv = "/root/.pyenv/versions"
    if let versions = try? FileManager.default.contentsOfDirectory(atPath: pyenv) {
        candidates += versions.sorted().reversed().map { "\(pyenv)/\($0)/share/quickfix" }
    }
    candidates += ["/usr/local/share/quickfix", "/usr/share/quickfix"]
    if let found = candidates.first(where: { FileManager.default.fileExists(atPath: "\($0)/FIX44.xml") }) { return found }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "python3", "-c", "import quickfix,os;print(os.path.realpath(os.path.join(os.path.dirname(quickfix.__file__),'../../../share/quickfix')))",
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    process.waitUntilExit()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    return FileManager.default.fileExists(atPath: "\(output)/FIX44.xml") ? output : nil
}()

/// Writes `text` (or `bytes`) to a new temporary file and returns its path.
func temporaryFile(_ text: String? = nil, bytes: [UInt8]? = nil, suffix: String = ".xml") throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fixdict-\(UUID().uuidString)\(suffix)").path
    try Data(bytes ?? Array((text ?? "").utf8)).write(to: URL(fileURLWithPath: path))
    return path
}

/// A venue overlay: a custom tag with values, a renamed standard tag, a custom message with a custom
/// group, a component, a LENGTH/DATA pair, and NewOrderSingle with the venue group.
let venueXML = """
    <?xml version="1.0" encoding="UTF-8"?>
    <!DOCTYPE fix [ <!ENTITY unused "x"> ]>
    <!-- venue overlay -->
    <fix type="FIX" major="4" minor="4" servicepack="0">
      <header/>
      <messages>
        <message name="VenueReport" msgtype="U1" msgcat="app">
          <field name="VenueOrderTag" required="Y"/>
          <component name="VenueLegs" required="N"/>
          <field name="VenueBlobLen" required="N"/>
          <field name="VenueBlob" required="N"/>
        </message>
        <message name="NewOrderSingle" msgtype="D" msgcat="app">
          <field name="ClOrdID" required="Y"/>
          <component name="VenueLegs" required="N"/>
          <field name="Side" required="Y"/>
        </message>
      </messages>
      <components>
        <component name="VenueLegs">
          <group name="NoVenueLegs" required="N">
            <field name="VenueLegID" required="N"/>
            <field name="VenueLegQty" required="N"/>
            <group name="NoPartyIDs" required="N">
              <field name="PartyID"/><field name="PartyRole"/>
            </group>
          </group>
        </component>
      </components>
      <fields>
        <field number="5001" name="VenueOrderTag" type="CHAR">
          <value enum="A" description="AGENCY &amp; OTHER"/>
          <value enum="P" description='PRINCIPAL'/>
        </field>
        <field number="5002" name="NoVenueLegs" type="NUMINGROUP"/>
        <field number="5003" name="VenueLegID" type="STRING"/>
        <field number="5004" name="VenueLegQty" type="QTY"/>
        <field number="5010" name="VenueBlobLen" type="LENGTH"/>
        <field number="5011" name="VenueBlob" type="DATA"/>
        <field number="58" name="FreeText" type="STRING"/>
        <field number="54" name="Side" type="CHAR"><value enum="1" description="VENUE_BUY"/></field>
      </fields>
    </fix>
    """

/// The message types whose group layouts differ between two dictionaries (no groups = empty).
private func differingMessages(_ left: FIXDictionary, _ right: FIXDictionary) -> [String] {
    let leftGroups = left.groups?.byMessage ?? [:]
    let rightGroups = right.groups?.byMessage ?? [:]
    return Set(leftGroups.keys).union(rightGroups.keys).filter { (leftGroups[$0] ?? [:]) != (rightGroups[$0] ?? [:]) }.sorted()
}

@Suite("FIX dictionaries")
struct FIXDictionaryTests {
    @Test("standard names, types, messages and values")
    func standardNames() {
        let dictionary = FIXDictionary.standard
        #expect(dictionary.name(of: 35) == "MsgType")
        #expect(dictionary.name(of: 49) == "SenderCompID")
        #expect(dictionary.name(of: 453) == "NoPartyIDs")
        #expect(dictionary.name(of: 553) == "Username")
        #expect(dictionary.name(of: 1128) == "ApplVerID")
        #expect(dictionary.name(of: 5001) == nil)
        #expect(dictionary.name(of: -1) == nil)
        #expect(dictionary.type(of: 38) == .qty)
        #expect(dictionary.type(of: 44) == .price)
        #expect(dictionary.type(of: 453) == .numInGroup)
        #expect(dictionary.type(of: 34) == .seqNum)
        #expect(dictionary.type(of: 96) == .data)
        #expect(dictionary.type(of: 52) == .utcTimestamp)
        #expect(dictionary.type(of: 18) == .multipleValueString || dictionary.type(of: 18) == .multipleCharValue)
        #expect(dictionary.type(of: 44)?.isNumeric == true && dictionary.type(of: 49)?.isNumeric == false)
        #expect(dictionary.messageName(of: "D") == "NewOrderSingle")
        #expect(dictionary.messageName(of: "8") == "ExecutionReport")
        #expect(dictionary.messageName(of: "W") == "MarketDataSnapshotFullRefresh")
        #expect(dictionary.messageName(of: "A") == "Logon")
        #expect(dictionary.messageName(of: "UA3202") == nil)
        #expect(dictionary.valueDescription(tag: 54, value: "1") == "BUY")
        #expect(dictionary.valueDescription(tag: 35, value: "D") == "ORDER_SINGLE")
        #expect(dictionary.valueDescription(tag: 18, value: "1 G") == "NOT_HELD ALL_OR_NONE")
        #expect(dictionary.valueDescription(tag: 54, value: "Z") == nil)
        #expect(dictionary.tag(named: "MDEntryPx") == 270)
    }

    @Test("length/data pairs match the tokenizer's")
    func dataPairs() {
        #expect(FIXDictionary.standard.dataTag(forLength: 95) == 96)
        #expect(FIXDictionary.standard.dataTag(forLength: 93) == 89)
        #expect(FIXDictionary.standard.dataTag(forLength: 96) == nil)
        #expect(FIXTagsGenerated.dataPairs == FIXDataFields.pairs)
    }

    @Test("built-in group layouts and their selection")
    func builtInGroups() throws {
        #expect(!FIXDictionary.standard.hasGroups)
        #expect(FIXDictionary.standard.groupLayout(countTag: 453, msgType: "D") == nil)
        let parties = try #require(FIXDictionary.fix44.groupLayout(countTag: 453, msgType: "D"))
        #expect(parties.delimiter == 448)
        #expect(parties.members == [448, 447, 452, 802])
        #expect(parties.nested[802]?.members == [523, 803])
        #expect(FIXDictionary.fix44.groupLayout(countTag: 802, msgType: "D")?.delimiter == 523)
        #expect(FIXDictionary.fix44.groupLayout(countTag: 268, msgType: "W")?.delimiter == 269)
        #expect(FIXDictionary.fix44.groupLayout(countTag: 268, msgType: "X")?.members.prefix(2) == [279, 285])
        #expect(FIXDictionary.fix44.groupLayout(countTag: 627, msgType: "UA3202")?.members == [628, 629, 630])
        #expect(FIXDictionary.fix50SP2.groupLayout(countTag: 627, msgType: "0")?.members == [628, 629, 630])
        #expect(FIXDictionary.fix50SP2.groupLayout(countTag: 384, msgType: "A")?.delimiter == 372)
        #expect(FIXDictionary.fix50SP2.groupLayout(countTag: 268, msgType: "W")?.delimiter == 269)
        #expect(FIXDictionary.builtIn(beginString: "FIX.4.4") === FIXDictionary.fix44)
        #expect(FIXDictionary.builtIn(beginString: "STEP.1.0.0") === FIXDictionary.fix44)
        #expect(FIXDictionary.builtIn(beginString: "FIXT.1.1") === FIXDictionary.fix50SP2)
        #expect(FIXDictionary.builtIn(beginString: "FIXT.1.1", applVerID: "6") === FIXDictionary.fix44)
        #expect(FIXDictionary.builtIn(beginString: "FIX.4.2") === FIXDictionary.standard)
        #expect(FIXDictionary.builtIn(beginString: "O") === FIXDictionary.standard)
    }

    @Test(
        "loading quickfix-ssl's FIX44.xml gives the built-in FIX 4.4 layouts",
        .enabled(if: quickFIXDirectory != nil, "quickfix-ssl's XML dictionaries not found (pip install quickfix-ssl or set FIX_DICTIONARY_DIR)")
    )
    func realFIX44() throws {
        let directory = try #require(quickFIXDirectory)
        let loaded = try FIXDictionary(loading: ["\(directory)/FIX44.xml"])
        #expect(loaded.name(of: 35) == "MsgType")
        #expect(loaded.name(of: 1128) == "ApplVerID")  // not in FIX44.xml: the standard name stays
        #expect(loaded.messageName(of: "W") == "MarketDataSnapshotFullRefresh")
        #expect(loaded.valueDescription(tag: 54, value: "1") == "BUY")
        #expect(differingMessages(loaded, FIXDictionary.fix44) == [])
        #expect(loaded.groups?.header == FIXDictionary.fix44.groups?.header)
        #expect(loaded.dataTag(forLength: 95) == 96)

        let fix50 = try FIXDictionary(loading: ["\(directory)/FIXT11.xml", "\(directory)/FIX50SP2.xml"])
        #expect(differingMessages(fix50, FIXDictionary.fix50SP2) == [])
        #expect(fix50.groups?.header == FIXDictionary.fix50SP2.groups?.header)
    }

    @Test("a venue overlay adds tags, values, messages, groups and pairs on top of the standard names")
    func venueOverlay() throws {
        let path = try temporaryFile(venueXML)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let venue = try FIXDictionary(loading: [path])
        #expect(venue.name(of: 5001) == "VenueOrderTag")
        #expect(venue.type(of: 5004) == .qty)
        #expect(venue.valueDescription(tag: 5001, value: "A") == "AGENCY & OTHER")
        #expect(venue.name(of: 58) == "FreeText")
        #expect(venue.valueDescription(tag: 54, value: "1") == "VENUE_BUY")
        #expect(venue.valueDescription(tag: 54, value: "2") == nil)  // the file's values replace the standard ones
        #expect(venue.name(of: 55) == "Symbol")
        #expect(venue.valueDescription(tag: 59, value: "0") == "DAY")
        #expect(venue.messageName(of: "U1") == "VenueReport")
        #expect(venue.messageName(of: "8") == "ExecutionReport")
        #expect(venue.dataTag(forLength: 5010) == 5011)
        #expect(venue.dataTag(forLength: 95) == 96)
        let legs = try #require(venue.groupLayout(countTag: 5002, msgType: "U1"))
        #expect(legs.delimiter == 5003)
        #expect(legs.members == [5003, 5004, 453])
        #expect(legs.nested[453]?.members == [448, 452])
        #expect(venue.groupLayout(countTag: 5002, msgType: "D") == legs)
        #expect(venue.groupLayout(countTag: 268, msgType: "W") == nil)  // base .standard has no groups
        #expect(venue.sources.last == path)

        // On top of the built-in FIX 4.4 groups: D is the file's, W stays FIX 4.4's.
        let overlay = try FIXDictionary(loading: [path], base: .fix44)
        #expect(overlay.groupLayout(countTag: 5002, msgType: "D") == legs)
        #expect(overlay.groupLayout(countTag: 78, msgType: "D") == nil)
        #expect(overlay.groupLayout(countTag: 268, msgType: "W")?.delimiter == 269)
        #expect(overlay.groupLayout(countTag: 627, msgType: "D")?.delimiter == 628)
    }

    @Test("a later file overrides an earlier one")
    func laterFileWins() throws {
        let first = try temporaryFile(venueXML)
        let second = try temporaryFile("""
            <fix><fields><field number="5001" name="VenueCapacity" type="CHAR"/></fields>
            <components><component name="VenueLegs"><group name="NoVenueLegs"><field name="VenueLegQty"/></group></component></components>
            </fix>
            """)
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        let dictionary = try FIXDictionary(loading: [first, second])
        #expect(dictionary.name(of: 5001) == "VenueCapacity")
        #expect(dictionary.valueDescription(tag: 5001, value: "A") == nil)  // renamed without values: dropped
        #expect(dictionary.groupLayout(countTag: 5002, msgType: "U1")?.members == [5004])
    }

    @Test("GBK-encoded dictionary descriptions")
    func gbkDictionary() throws {
        var bytes = Array(#"<?xml version="1.0" encoding="GBK"?><fix><fields><field number="5001" name="Dir" type="CHAR"><value enum="B" description=""#.utf8)
        bytes += [0xC2, 0xF2, 0xC8, 0xEB]  // 买入
        bytes += Array(#""/></field></fields></fix>"#.utf8)
        let path = try temporaryFile(bytes: bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try FIXDictionary(loading: [path]).valueDescription(tag: 5001, value: "B") == "买入")
    }

    @Test("errors: missing, not XML, not a dictionary, unresolved references")
    func errors() throws {
        func code(_ paths: [String]) -> FIXDictionaryError.Code? {
            do {
                _ = try FIXDictionary(loading: paths)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code(["/nonexistent/FIX44.xml"]) == .cannotOpen)
        #expect(code([FileManager.default.temporaryDirectory.path]) == .cannotOpen)
        let files = try [
            ("8=FIX.4.4\u{1}9=5\u{1}35=0\u{1}10=000\u{1}", FIXDictionaryError.Code.notXML),
            ("<fix><fields><field number='1' name='A'></fields></fix>", .notXML),
            ("<fix><fields/></fix><fix/>", .notXML),
            ("<fix a='1' a='2'><fields/></fix>", .notXML),
            ("<fix><fields><field number='1' name='A&bogus;'/></fields></fix>", .notXML),
            ("", .notXML),
            ("<?xml version='1.0'?><dictionary><fields/></dictionary>", .notADictionary),
            ("<fix><something/></fix>", .notADictionary),
            ("<fix><fields><field name='NoNumber' type='INT'/></fields></fix>", .notADictionary),
            ("<fix><messages><message name='X' msgtype='X'><field name='NoSuchField'/></message></messages></fix>", .unresolvedReference),
            ("<fix><messages><message name='X' msgtype='X'><component name='Missing'/></message></messages></fix>", .unresolvedReference),
            (
                "<fix><messages><message name='X' msgtype='X'><component name='A'/></message></messages><components>"
                    + "<component name='A'><component name='B'/></component><component name='B'><component name='A'/></component>"
                    + "</components></fix>", .unresolvedReference
            ),
        ].map { (try temporaryFile($0.0), $0.1) }
        defer { for (path, _) in files { try? FileManager.default.removeItem(atPath: path) } }
        for (path, expected) in files {
            #expect(code([path]) == expected, "\(path)")
        }
        do {
            _ = try FIXDictionary(loading: [files[1].0])
        } catch {
            #expect(error.path == files[1].0)
            #expect(error.reason.hasPrefix("line 1:"))
            #expect(error.description.contains("FIX dictionary"))
        }
    }
}
