import Testing

import ProtocolKit
import TestSupport

/// Decodes `bytes` with `Charset`.
private func decode(_ bytes: [UInt8], _ encoding: TextEncoding) -> String {
    bytes.withUnsafeBytes { Charset.decode($0, as: encoding) }
}

@Suite("Character sets")
struct CharsetTests {
    @Test("GBK: 中文 and 证券")
    func gbkWords() {
        #expect(decode([0xD6, 0xD0, 0xCE, 0xC4], .gbk) == "中文")
        #expect(decode([0xD6, 0xA4, 0xC8, 0xAF], .gbk) == "证券")
        #expect(decode([0xD6, 0xA4, 0xC8, 0xAF], .gb18030) == "证券")
    }

    @Test("GBK mixed with ASCII, and the GBK-only areas")
    func gbkMixed() {
        // "58=买入 600000" with 买入 = C2 F2 C8 EB.
        #expect(decode(Array("58=".utf8) + [0xC2, 0xF2, 0xC8, 0xEB] + Array(" 600000".utf8), .gbk) == "58=买入 600000")
        // 0x8140 is outside GB2312: 丂 U+4E02. 0xA1A1 is the ideographic space.
        #expect(decode([0x81, 0x40, 0xA1, 0xA1], .gbk) == "丂\u{3000}")
        // CP936's euro byte.
        #expect(decode([0x80], .gbk) == "€")
    }

    @Test("GBK text is decoded as GBK wherever its first non-ASCII byte falls, in text of any length")
    func nonASCIIAnywhere() {
        for before in 0...20 {
            for after in 0...20 {
                let bytes = [UInt8](repeating: 0x41, count: before) + [0xB0, 0xA1] + [UInt8](repeating: 0x42, count: after)
                let expected = String(repeating: "A", count: before) + "啊" + String(repeating: "B", count: after)
                #expect(decode(bytes, .gbk) == expected, "\(before) + \(after)")
                #expect(decode(bytes, .latin1) == String(repeating: "A", count: before) + "°¡" + String(repeating: "B", count: after))
            }
            // One non-ASCII byte alone, in any place of a word.
            for after in 0...9 {
                let bytes = [UInt8](repeating: 0x41, count: before) + [0xE9] + [UInt8](repeating: 0x42, count: after)
                #expect(decode(bytes, .latin1) == String(repeating: "A", count: before) + "é" + String(repeating: "B", count: after))
            }
            #expect(decode([UInt8](repeating: 0x7F, count: before), .gbk) == String(repeating: "\u{7F}", count: before))
        }
    }

    @Test("GBK: invalid and truncated bytes become U+FFFD without eating ASCII")
    func gbkInvalid() {
        #expect(decode([0xD6], .gbk) == "\u{FFFD}")
        #expect(decode([0x41, 0xD6], .gbk) == "A\u{FFFD}")
        #expect(decode([0xD6, 0x31, 0x32], .gbk) == "\u{FFFD}12")
        #expect(decode([0xFF, 0x41], .gbk) == "\u{FFFD}A")
        #expect(decode([0xD6, 0x7F], .gbk) == "\u{FFFD}\u{7F}")
        // A2 A0 is inside the pair range but undefined in GBK.
        #expect(decode([0xA2, 0xA0, 0x41], .gbk) == "\u{FFFD}A")
    }

    @Test("GB18030: four-byte sequences and pairs beyond GBK")
    func gb18030() {
        #expect(decode([0x81, 0x30, 0x81, 0x30], .gb18030) == "\u{80}")
        #expect(decode([0x90, 0x30, 0x81, 0x30], .gb18030) == "\u{10000}")
        #expect(decode([0xE3, 0x32, 0x9A, 0x35], .gb18030) == "\u{10FFFF}")
        #expect(decode([0xA2, 0xE3], .gb18030) == "€")
        #expect(decode([0x81, 0x30, 0x81], .gb18030) == "\u{FFFD}0\u{FFFD}")
        #expect(decode([0x81, 0x30, 0x81], .gbk) == "\u{FFFD}0\u{FFFD}")
    }

    @Test("Japanese encodings: 日本 and half-width katakana")
    func japanese() {
        #expect(decode([0x93, 0xFA, 0x96, 0x7B, 0xB1], .shiftJIS) == "日本ｱ")
        #expect(decode([0xC6, 0xFC, 0xCB, 0xDC, 0x8E, 0xB1], .eucJP) == "日本ｱ")
        let iso: [UInt8] = [0x1B, 0x24, 0x42, 0x46, 0x7C, 0x4B, 0x5C, 0x1B, 0x28, 0x42, 0x41]
        #expect(decode(iso, .iso2022JP) == "日本A")
        #expect(decode([0x93], .shiftJIS) == "\u{FFFD}")
    }

    @Test("UTF-8 passes through; invalid bytes become U+FFFD")
    func utf8() {
        #expect(decode(Array("证券 ok".utf8), .utf8) == "证券 ok")
        #expect(decode([0x41, 0xE8, 0xAF, 0x42, 0xFF], .utf8) == "A\u{FFFD}B\u{FFFD}")
    }

    @Test("Latin-1 and ASCII")
    func singleByte() {
        #expect(decode([0x43, 0x61, 0x66, 0xE9], .latin1) == "Café")
        #expect(decode([0x43, 0xE9], .ascii) == "C\u{FFFD}")
        #expect(decode([], .gbk) == "")
    }

    @Test("encoding names (FIX MessageEncoding, XML declarations)")
    func names() {
        #expect(TextEncoding(name: "GBK") == .gbk)
        #expect(TextEncoding(name: "GB2312") == .gbk)
        #expect(TextEncoding(name: "gb18030") == .gb18030)
        #expect(TextEncoding(name: "UTF-8") == .utf8)
        #expect(TextEncoding(name: "Shift_JIS") == .shiftJIS)
        #expect(TextEncoding(name: "EUC-JP") == .eucJP)
        #expect(TextEncoding(name: "ISO-2022-JP") == .iso2022JP)
        #expect(TextEncoding(name: "ISO-8859-1") == .latin1)
        #expect(TextEncoding(name: "KOI8-R") == nil)
        #expect(TextEncoding(name: "ＧＢＫ") == nil)
    }

    @Test("random bytes decode to valid text in every encoding")
    func randomText() {
        var generator = SeededGenerator(seed: 347)
        for _ in 0..<500 {
            let bytes = generator.bytes(count: generator.int(in: 0...64))
            for encoding in TextEncoding.allCases {
                let text = bytes.withUnsafeBytes { Charset.decode($0, as: encoding) }
                #expect(text.utf8.count <= max(bytes.count * 3, 0))
            }
        }
    }
}
