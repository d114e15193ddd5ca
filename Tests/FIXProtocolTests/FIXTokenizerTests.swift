import Testing
import TestSupport

@testable import FIXProtocol

/// The tokenizer's C path for plain messages against its Swift loop, which every other message
/// takes (anomalies, length/data pairs, storage growth).
@Suite("FIX tokenizer")
struct FIXTokenizerTests {
    /// A random message: mostly plain fields, with the odd malformed field, non-canonical or long
    /// tag, empty value, length/data pair (its data holding SOH and `=`), missing last SOH.
    static func message(_ generator: inout SeededGenerator, plain: Bool) -> [UInt8] {
        var text: [UInt8] = []
        for _ in 0..<generator.int(in: 0...60) {
            let tag = [8, 9, 35, 49, 56, 34, 52, 11, 55, 54, 38, 40, 44, 10, 0, 1, 99_999, 123_456_789][generator.int(in: 0...17)]
            let value = Array(String(repeating: "v", count: generator.int(in: 0...24)).utf8)
            switch plain ? 0 : generator.int(in: 0...12) {
            case 1: text += Array("0\(tag)=".utf8) + value  // non-canonical
            case 2: text += Array("12345678901=".utf8) + value  // eleven digits
            case 3: text += Array("1234567890=".utf8) + value  // ten digits
            case 4: text += Array("x\(tag)=".utf8) + value  // malformed
            case 5: text += Array("\(tag)".utf8) + value  // no "="
            case 6:
                let data: [UInt8] = [0x41, 0x01, 0x3D, 0x42]
                text += Array("95=\(data.count)\u{1}96=".utf8) + data
            case 7: text += Array("95=9\u{1}96=".utf8) + [0x41, 0x01]  // a length past the data
            case 8: text += Array("\(tag)=".utf8)  // empty value
            default: text += Array("\(tag)=".utf8) + value
            }
            text.append(0x01)
        }
        if !text.isEmpty && generator.int(in: 0...3) == 0 { text.removeLast() }
        return text
    }

    @Test("plain and hostile messages: the same fields and anomalies with and without the C path")
    func sameAsSwift() {
        var generator = SeededGenerator(seed: 0xF1E1D)
        let fast = FIXTokenizer()
        let reference = FIXTokenizer()
        // Storage for the longest message first: a message of more fields than the storage holds
        // takes the Swift loop, which grows it.
        Array((0..<64).map { "\($0 + 1)=x\u{1}" }.joined().utf8).withUnsafeBytes { fast.tokenize($0, 0..<$0.count) }
        var fastPathUsed = 0
        for round in 0..<4_000 {
            let text = Self.message(&generator, plain: round % 2 == 0)
            // Tokenized at an offset, as within a stream buffer.
            let padded: [UInt8] = [0x01, 0x3D, 0x39] + text + [0x39, 0x3D]
            let range = 3..<(3 + text.count)
            padded.withUnsafeBytes { bytes in
                fast.tokenize(bytes, range)
                reference.tokenizeWithoutFastPath(bytes, range)
            }
            #expect(fast.fields == reference.fields, "message \(round): \(String(decoding: text, as: UTF8.self))")
            #expect(fast.anomalies == reference.anomalies, "message \(round)")
            // Both paths name every tag in the tag set, and only those.
            let tags = reference.fields.reduce(UInt64(0)) { $0 | 1 << UInt64($1.tag & 63) }
            #expect(fast.tagsSeen == tags && reference.tagsSeen == tags, "message \(round)")
            if fast.tookFastPath { fastPathUsed += 1 }
            if round % 2 == 0 { #expect(fast.tookFastPath, "plain message \(round)") }
        }
        #expect(fastPathUsed >= 2_000)
    }

    @Test("a dictionary's own length tags send their messages to the Swift loop, which pairs them")
    func customPairs() {
        for pairs in [[5001: 5002], [1 << 20: 1 << 20 + 1]] {
            let tokenizer = FIXTokenizer(dataPairs: pairs)
            let (length, data) = pairs.first!
            let text = Array("35=D\u{1}\(length)=3\u{1}\(data)=a\u{1}b\u{1}10=000\u{1}".utf8)
            text.withUnsafeBytes { tokenizer.tokenize($0, 0..<$0.count) }
            #expect(tokenizer.fields.map(\.tag) == [35, length, data, 10])
            #expect(tokenizer.fields[2].valueLength == 3)
            #expect(tokenizer.anomalies.isEmpty)
        }
    }

    @Test("a message of more fields than the storage held at first")
    func growth() {
        let tokenizer = FIXTokenizer()
        let text = Array((0..<500).map { "\($0 + 1)=x\u{1}" }.joined().utf8)
        text.withUnsafeBytes { tokenizer.tokenize($0, 0..<$0.count) }
        #expect(tokenizer.fields.count == 500)
        text.withUnsafeBytes { tokenizer.tokenize($0, 0..<$0.count) }
        #expect(tokenizer.fields.count == 500 && tokenizer.fields.last?.tag == 500)
    }
}

@Suite("FIX MsgType")
struct FIXMsgTypeTests {
    @Test("a one-character MsgType's literal is the byte's own text, for letters and digits only")
    func singleCharacterLiterals() {
        for byte in UInt8.min...UInt8.max {
            let literal = FIXMessage.singleCharacterType(byte)
            let isAlphanumeric = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            #expect((literal != nil) == isAlphanumeric, "byte \(byte)")
            if let literal { #expect(literal == String(decoding: [byte], as: UTF8.self), "byte \(byte)") }
        }
    }
}
