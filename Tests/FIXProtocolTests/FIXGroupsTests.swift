import Foundation
import Testing

@testable import FIXProtocol

/// A message written with `|` for SOH, tokenized.
private struct TestMessage {
    let bytes: [UInt8]
    let fields: [FIXField]

    init(_ text: String) {
        bytes = Array(text.replacingOccurrences(of: "|", with: "\u{1}").utf8)
        let tokenizer = FIXTokenizer()
        bytes.withUnsafeBytes { tokenizer.tokenize($0, 0..<$0.count) }
        fields = tokenizer.fields
    }

    /// The tree under `dictionary`, rendered compactly, and the anomalies.
    func tree(_ dictionary: FIXDictionary, msgType: String) -> (text: String, nodes: [FIXNode], anomalies: [FIXAnomaly]) {
        var anomalies: [FIXAnomaly] = []
        let nodes = bytes.withUnsafeBytes {
            FIXGroups.tree(fields, bytes: $0, msgType: msgType, dictionary: dictionary, anomalies: &anomalies)
        }
        return (render(nodes), nodes, anomalies)
    }

    /// `tag=value|...`, a group as `count#declared[entry ; entry]`.
    private func render(_ nodes: [FIXNode]) -> String {
        nodes.map { node in
            switch node {
            case .field(let field):
                return "\(field.tag)=" + String(decoding: bytes[field.valueStart..<field.valueEnd], as: UTF8.self)
            case .group(let countTag, let count, let entries):
                return "\(countTag)#\(count)[" + entries.map(render).joined(separator: " ; ") + "]"
            }
        }.joined(separator: "|")
    }
}

@Suite("FIX repeating groups")
struct FIXGroupsTests {
    @Test("MarketDataSnapshotFullRefresh: 268 entries of 269/270/271")
    func marketDataSnapshot() {
        let message = TestMessage(
            "8=FIX.4.4|9=0|35=W|49=MD|56=C|34=2|52=20240102-09:30:00|55=600000|268=3|269=0|270=10.5|271=100|"
                + "269=1|271=200|270=10.6|269=2|270=10.55|271=50|10=000|")
        let (text, nodes, anomalies) = message.tree(.fix44, msgType: "W")
        #expect(
            text == "8=FIX.4.4|9=0|35=W|49=MD|56=C|34=2|52=20240102-09:30:00|55=600000|"
                + "268#3[269=0|270=10.5|271=100 ; 269=1|271=200|270=10.6 ; 269=2|270=10.55|271=50]|10=000")
        #expect(anomalies.isEmpty)
        #expect(FIXGroups.memberFields(of: nodes) == message.fields.filter { $0.tag != 268 })
    }

    @Test("NewOrderSingle with Parties, then top-level fields again")
    func newOrderSingleParties() {
        let message = TestMessage(
            "8=FIX.4.4|9=0|35=D|11=ord1|453=2|448=BROKER1|447=D|452=1|448=CUST9|452=3|447=D|1=ACC|55=600000|54=1|38=100|10=000|")
        let (text, _, anomalies) = message.tree(.fix44, msgType: "D")
        #expect(text == "8=FIX.4.4|9=0|35=D|11=ord1|453#2[448=BROKER1|447=D|452=1 ; 448=CUST9|452=3|447=D]|1=ACC|55=600000|54=1|38=100|10=000")
        #expect(anomalies.isEmpty)
    }

    @Test("nested groups: PartySubIDs in Parties, NestedParties in NoAllocs")
    func nested() {
        let parties = TestMessage("35=D|453=1|448=X|447=D|452=3|802=2|523=s1|803=1|523=s2|803=2|54=1|")
        #expect(parties.tree(.fix44, msgType: "D").text == "35=D|453#1[448=X|447=D|452=3|802#2[523=s1|803=1 ; 523=s2|803=2]]|54=1")
        let allocs = TestMessage("35=D|78=2|79=A1|539=1|524=P1|525=D|538=24|80=60|79=A2|80=40|11=x|")
        #expect(allocs.tree(.fix44, msgType: "D").text == "35=D|78#2[79=A1|539#1[524=P1|525=D|538=24]|80=60 ; 79=A2|80=40]|11=x")
        // The FIX 5.0 SP2 layout of the same message nests the same way.
        #expect(parties.tree(.fix50SP2, msgType: "D").text == "35=D|453#1[448=X|447=D|452=3|802#2[523=s1|803=1 ; 523=s2|803=2]]|54=1")
    }

    @Test("a count that disagrees with the entries is kept and reported")
    func countMismatch() {
        let short = TestMessage("35=W|268=3|269=0|270=1|269=1|270=2|10=000|")
        let (text, nodes, anomalies) = short.tree(.fix44, msgType: "W")
        #expect(text == "35=W|268#3[269=0|270=1 ; 269=1|270=2]|10=000")
        #expect(anomalies == [.groupCountMismatch])
        guard case .group(_, let count, let entries)? = nodes.dropFirst().first else {
            Issue.record("no group node")
            return
        }
        #expect(count == 3 && entries.count == 2)

        let long = TestMessage("35=W|268=1|269=0|269=1|10=000|")
        #expect(long.tree(.fix44, msgType: "W").text == "35=W|268#1[269=0 ; 269=1]|10=000")
        #expect(long.tree(.fix44, msgType: "W").anomalies == [.groupCountMismatch])

        // Not a number, and entries that do not start with the delimiter.
        let garbage = TestMessage("35=W|268=x|270=1|269=0|10=000|")
        #expect(garbage.tree(.fix44, msgType: "W").text == "35=W|268#-1[]|270=1|269=0|10=000")
        #expect(garbage.tree(.fix44, msgType: "W").anomalies == [.groupCountMismatch])

        // An empty group is fine.
        let empty = TestMessage("35=W|268=0|10=000|")
        #expect(empty.tree(.fix44, msgType: "W").anomalies.isEmpty)
    }

    @Test("without a dictionary's groups, fields stay flat")
    func flat() {
        let message = TestMessage("35=W|268=2|269=0|270=1|269=1|270=2|10=000|")
        let (text, nodes, anomalies) = message.tree(.standard, msgType: "W")
        #expect(text == "35=W|268=2|269=0|270=1|269=1|270=2|10=000")
        #expect(nodes == message.fields.map(FIXNode.field))
        #expect(anomalies.isEmpty)
    }

    @Test("header groups apply to every message type, custom ones included")
    func headerGroups() {
        let message = TestMessage("8=STEP.1.0.0|9=0|35=UA3202|627=2|628=HUB1|630=7|628=HUB2|115=CLIENT|10=000|")
        #expect(message.tree(.fix44, msgType: "UA3202").text == "8=STEP.1.0.0|9=0|35=UA3202|627#2[628=HUB1|630=7 ; 628=HUB2]|115=CLIENT|10=000")
    }

    @Test("a loaded venue dictionary's group")
    func venueGroup() throws {
        let path = try temporaryFile(venueXML)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let venue = try FIXDictionary(loading: [path])
        let message = TestMessage("35=U1|5001=A|5002=2|5003=L1|5004=10|453=1|448=P|452=3|5003=L2|5010=2|5011=ab|10=000|")
        #expect(
            message.tree(venue, msgType: "U1").text
                == "35=U1|5001=A|5002#2[5003=L1|5004=10|453#1[448=P|452=3] ; 5003=L2]|5010=2|5011=ab|10=000")
    }
}
