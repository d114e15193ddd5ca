import Testing
import TestSupport

@testable import FIXProtocol

@Suite("FIX dictionary and group code on hostile input")
struct FIXHostileInputTests {
    @Test("every prefix and random mangling of a dictionary parses or throws, never traps")
    func mangledXML() {
        let document = Array(venueXML.utf8)
        var parsed = 0
        for end in 0...document.count {
            if (try? document[0..<end].withUnsafeBytes { try FIXXMLDocument(parsing: $0) }) != nil { parsed += 1 }
        }
        #expect(parsed >= 1)  // the whole document (and prefixes that end after the root)
        var generator = SeededGenerator(seed: 0xF1C5)
        for _ in 0..<2_000 {
            var bytes = document
            for _ in 0..<generator.int(in: 1...8) {
                bytes[generator.int(in: 0...(bytes.count - 1))] = UInt8(truncatingIfNeeded: generator.next())
            }
            _ = try? bytes.withUnsafeBytes { try FIXXMLDocument(parsing: $0) }
        }
    }

    @Test("random tag sequences build trees whose fields are the message's")
    func randomGroups() {
        let tags = [35, 268, 269, 270, 271, 453, 448, 447, 452, 802, 523, 803, 78, 79, 539, 524, 80, 627, 628, 55, 10]
        var generator = SeededGenerator(seed: 268)
        for _ in 0..<500 {
            var text: [UInt8] = []
            for _ in 0..<generator.int(in: 0...40) {
                let tag = tags[generator.int(in: 0...(tags.count - 1))]
                text += Array("\(tag)=\(generator.int(in: 0...3))\u{1}".utf8)
            }
            let tokenizer = FIXTokenizer()
            text.withUnsafeBytes { tokenizer.tokenize($0, 0..<$0.count) }
            var anomalies: [FIXAnomaly] = []
            for dictionary in [FIXDictionary.fix44, .fix50SP2] {
                let nodes = text.withUnsafeBytes {
                    FIXGroups.tree(tokenizer.fields, bytes: $0, msgType: "D", dictionary: dictionary, anomalies: &anomalies)
                }
                let kept = FIXGroups.memberFields(of: nodes)
                #expect(kept.count <= tokenizer.fields.count)
                #expect(kept.allSatisfy { field in tokenizer.fields.contains(field) })
            }
        }
    }
}
