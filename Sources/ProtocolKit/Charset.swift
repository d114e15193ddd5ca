/// A text encoding the protocol decoders can turn into UTF-8: what FIX MessageEncoding (347) can
/// announce, and the GBK that CTP and STEP write without saying so.
package enum TextEncoding: String, Sendable, CaseIterable {
    /// UTF-8.
    case utf8 = "UTF-8"
    /// GBK (Windows code page 936), which includes GB2312.
    case gbk = "GBK"
    /// GB18030: GBK plus its extra double bytes and the four-byte sequences.
    case gb18030 = "GB18030"
    /// Shift_JIS as Windows writes it (code page 932).
    case shiftJIS = "Shift_JIS"
    /// EUC-JP (JIS X 0208 and half-width katakana, through the Windows-31J table as Windows' CP51932
    /// does, so the NEC extensions decode and 〜 is U+FF5E; JIS X 0212 shows as U+FFFD).
    case eucJP = "EUC-JP"
    /// ISO-2022-JP (ASCII, JIS X 0201 Roman and katakana, JIS X 0208 by escape sequence).
    case iso2022JP = "ISO-2022-JP"
    /// ISO-8859-1: every byte is the code point of the same number.
    case latin1 = "ISO-8859-1"
    /// US-ASCII: bytes above 0x7F are invalid.
    case ascii = "US-ASCII"

    /// The encoding a name stands for (a FIX MessageEncoding (347) value, an XML declaration's
    /// `encoding`), ignoring case, `-`, `_` and spaces (`GBK`, `GB2312`, `UTF-8`, `Shift_JIS`,
    /// `EUC-JP`, `ISO-2022-JP`, `ISO-8859-1`, ...); nil when it names no encoding decoded here.
    package init?(name value: some StringProtocol) {
        var key = ""
        for scalar in value.unicodeScalars where scalar != "-" && scalar != "_" && scalar != " " {
            guard scalar.isASCII, key.utf8.count < 24 else { return nil }
            key.unicodeScalars.append(Unicode.Scalar(UInt8(ascii: scalar) | (scalar.properties.isUppercase ? 0x20 : 0)))
        }
        switch key {
        case "utf8": self = .utf8
        case "gbk", "gb2312", "cp936", "ms936", "windows936", "euccn", "xgbk", "xeuccn", "csgb2312", "936": self = .gbk
        case "gb18030": self = .gb18030
        case "shiftjis", "sjis", "cp932", "ms932", "windows31j", "mskanji", "xsjis", "csshiftjis": self = .shiftJIS
        case "eucjp", "xeucjp", "cseucpkdfmtjapanese": self = .eucJP
        case "iso2022jp", "csiso2022jp": self = .iso2022JP
        case "iso88591", "latin1", "l1", "cp819", "iso885911987", "isolatin1": self = .latin1
        case "usascii", "ascii", "ansix3.41968", "iso646us": self = .ascii
        default: return nil
        }
    }
}

/// Turns protocol text bytes into valid Unicode. Every encoding is decoded with the replacement rule
/// of the WHATWG Encoding standard: a byte sequence that is not valid becomes U+FFFD and the
/// decoder goes on at the next byte that can start a character.
///
/// The tables come from Python's codecs (`Scripts/generate-gbk-table.py`) and are read in place
/// from constant text, so nothing is set up before the first decode.
package enum Charset {
    /// The text `bytes` hold in `encoding`, with U+FFFD for each invalid sequence.
    package static func decode(_ bytes: UnsafeRawBufferPointer, as encoding: TextEncoding) -> String {
        if encoding == .utf8 || isPlainASCII(bytes, escapeMatters: encoding == .iso2022JP) {
            return String(utf8Bytes: bytes)
        }
        // Each input byte becomes at most three bytes of UTF-8 (a lone byte as U+FFFD; a pair as a
        // BMP scalar; four GB18030 bytes as four).
        return String(unsafeUninitializedCapacity: bytes.count * 3) { output in
            var writer = UTF8Writer(output: output)
            switch encoding {
            case .utf8, .ascii: decodeASCII(bytes, &writer)
            case .latin1: for byte in bytes { writer.put(UInt32(byte)) }
            case .gbk: decodeChinese(bytes, gb18030: false, &writer)
            case .gb18030: decodeChinese(bytes, gb18030: true, &writer)
            case .shiftJIS: decodeShiftJIS(bytes, &writer)
            case .eucJP: decodeEUCJP(bytes, &writer)
            case .iso2022JP: decodeISO2022JP(bytes, &writer)
            }
            return writer.count
        }
    }

    /// Whether every byte is below 0x80 (and, when `escapeMatters`, none is ESC). Without ESC to
    /// look for, eight bytes are tested at a time (their high bits OR-ed together).
    @inline(__always)
    private static func isPlainASCII(_ bytes: UnsafeRawBufferPointer, escapeMatters: Bool) -> Bool {
        if escapeMatters {
            for byte in bytes where byte >= 0x80 || byte == 0x1B { return false }
            return true
        }
        var high: UInt64 = 0
        var index = 0
        while index + 8 <= bytes.count {
            high |= bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            high |= UInt64(bytes[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    private static func decodeASCII(_ bytes: UnsafeRawBufferPointer, _ writer: inout UTF8Writer) {
        for byte in bytes { writer.put(byte < 0x80 ? UInt32(byte) : replacement) }
    }

    // MARK: GBK and GB18030

    private static func decodeChinese(_ bytes: UnsafeRawBufferPointer, gb18030: Bool, _ writer: inout UTF8Writer) {
        let count = bytes.count
        var index = 0
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                writer.put(UInt32(lead))
                index += 1
                continue
            }
            // CP936 writes the euro sign as 0x80; GB18030 has it only as A2 E3.
            guard lead >= 0x81 && lead <= 0xFE, index + 1 < count else {
                writer.put(lead == 0x80 && !gb18030 ? 0x20AC : replacement)
                index += 1
                continue
            }
            let trail = bytes[index + 1]
            if gb18030 && trail >= 0x30 && trail <= 0x39 {
                if let scalar = fourByte(bytes, at: index) {
                    writer.put(scalar)
                    index += 4
                } else {
                    writer.put(replacement)
                    index += 1
                }
                continue
            }
            guard trail >= 0x40 && trail <= 0xFE && trail != 0x7F else {
                // The lead alone is invalid; the trail is decoded again on its own.
                writer.put(replacement)
                index += 1
                continue
            }
            let entry = Int(lead - 0x81) * 190 + Int(trail - 0x40) - (trail > 0x7F ? 1 : 0)
            var scalar = hexEntry(CharsetTables.gbk, entry)
            if scalar == replacement && gb18030 {
                scalar = run(CharsetTables.gb18030Extra, containing: entry) ?? replacement
            }
            writer.put(scalar)
            index += 2
        }
    }

    /// The scalar of the GB18030 four-byte sequence at `index`, or nil when it is not one.
    private static func fourByte(_ bytes: UnsafeRawBufferPointer, at index: Int) -> UInt32? {
        guard index + 3 < bytes.count else { return nil }
        let b1 = Int(bytes[index]), b2 = Int(bytes[index + 1]), b3 = Int(bytes[index + 2]), b4 = Int(bytes[index + 3])
        guard (0x81...0xFE).contains(b3), (0x30...0x39).contains(b4) else { return nil }
        let low = (b3 - 0x81) * 10 + (b4 - 0x30)
        if b1 <= 0x84 {
            let linear = ((b1 - 0x81) * 10 + (b2 - 0x30)) * 1260 + low
            return run(CharsetTables.gb18030Ranges, containing: linear) ?? replacement
        }
        if b1 >= 0x90 && b1 <= 0xE3 {
            let scalar = 0x10000 + ((b1 - 0x90) * 10 + (b2 - 0x30)) * 1260 + low
            return scalar <= 0x10FFFF ? UInt32(scalar) : replacement
        }
        return replacement
    }

    // MARK: Japanese

    private static func decodeShiftJIS(_ bytes: UnsafeRawBufferPointer, _ writer: inout UTF8Writer) {
        let count = bytes.count
        var index = 0
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                writer.put(UInt32(lead))
                index += 1
            } else if lead >= 0xA1 && lead <= 0xDF {
                writer.put(0xFF61 + UInt32(lead - 0xA1))
                index += 1
            } else if index + 1 < count, let scalar = shiftJISPair(lead, bytes[index + 1]) {
                writer.put(scalar)
                index += 2
            } else {
                writer.put(replacement)
                index += 1
            }
        }
    }

    /// The scalar of a Shift_JIS double byte (FFFD when undefined), or nil when `lead`/`trail` cannot form one.
    private static func shiftJISPair(_ lead: UInt8, _ trail: UInt8) -> UInt32? {
        let leadIndex: Int
        switch lead {
        case 0x81...0x9F: leadIndex = Int(lead - 0x81)
        case 0xE0...0xFC: leadIndex = Int(lead - 0xE0) + 31
        default: return nil
        }
        guard trail >= 0x40 && trail <= 0xFC && trail != 0x7F else { return nil }
        return hexEntry(CharsetTables.cp932, leadIndex * 188 + Int(trail - 0x40) - (trail > 0x7F ? 1 : 0))
    }

    /// The scalar of JIS X 0208 row/cell bytes (each 0x21-0x7E), through the Shift_JIS table.
    private static func jis0208(_ first: UInt8, _ second: UInt8) -> UInt32 {
        guard first >= 0x21 && first <= 0x7E && second >= 0x21 && second <= 0x7E else { return replacement }
        let lead = (first + 1) / 2 + (first <= 0x5E ? 0x70 : 0xB0)
        let trail: UInt8 = first & 1 == 1 ? second + (second >= 0x60 ? 0x20 : 0x1F) : second + 0x7E
        return shiftJISPair(lead, trail) ?? replacement
    }

    private static func decodeEUCJP(_ bytes: UnsafeRawBufferPointer, _ writer: inout UTF8Writer) {
        let count = bytes.count
        var index = 0
        while index < count {
            let lead = bytes[index]
            let next: UInt8 = index + 1 < count ? bytes[index + 1] : 0
            if lead < 0x80 {
                writer.put(UInt32(lead))
                index += 1
            } else if lead == 0x8E && next >= 0xA1 && next <= 0xDF {
                writer.put(0xFF61 + UInt32(next - 0xA1))
                index += 2
            } else if lead == 0x8F && next >= 0xA1 && next <= 0xFE && index + 2 < count && bytes[index + 2] >= 0xA1
                && bytes[index + 2] <= 0xFE
            {
                writer.put(replacement)  // JIS X 0212: no table here.
                index += 3
            } else if lead >= 0xA1 && lead <= 0xFE && next >= 0xA1 && next <= 0xFE {
                writer.put(jis0208(lead - 0x80, next - 0x80))
                index += 2
            } else {
                writer.put(replacement)
                index += 1
            }
        }
    }

    private static func decodeISO2022JP(_ bytes: UnsafeRawBufferPointer, _ writer: inout UTF8Writer) {
        enum Mode { case ascii, katakana, jis0208 }
        let count = bytes.count
        var mode = Mode.ascii
        var index = 0
        while index < count {
            let byte = bytes[index]
            if byte == 0x1B {
                let first: UInt8 = index + 1 < count ? bytes[index + 1] : 0
                let second: UInt8 = index + 2 < count ? bytes[index + 2] : 0
                switch (first, second) {
                case (0x28, 0x42), (0x28, 0x4A): mode = .ascii  // ESC ( B, ESC ( J
                case (0x28, 0x49): mode = .katakana  // ESC ( I
                case (0x24, 0x40), (0x24, 0x42): mode = .jis0208  // ESC $ @, ESC $ B
                default:
                    writer.put(replacement)
                    index += 1
                    continue
                }
                index += 3
                continue
            }
            if byte >= 0x80 {
                writer.put(replacement)
                index += 1
                continue
            }
            switch mode {
            case .ascii:
                writer.put(UInt32(byte))
                index += 1
            case .katakana:
                writer.put(byte >= 0x21 && byte <= 0x5F ? 0xFF61 + UInt32(byte - 0x21) : replacement)
                index += 1
            case .jis0208:
                if byte == 0x0A || byte == 0x0D {
                    writer.put(UInt32(byte))
                    index += 1
                } else if index + 1 < count && bytes[index + 1] < 0x80 && bytes[index + 1] != 0x1B {
                    writer.put(jis0208(byte, bytes[index + 1]))
                    index += 2
                } else {
                    writer.put(replacement)
                    index += 1
                }
            }
        }
    }

    // MARK: Tables

    /// U+FFFD REPLACEMENT CHARACTER.
    private static let replacement: UInt32 = 0xFFFD

    /// Entry `index` of a table of four-hex-digit words; U+FFFD outside the table.
    @inline(__always)
    private static func hexEntry(_ table: StaticString, _ index: Int) -> UInt32 {
        guard index >= 0, index * 4 + 4 <= table.utf8CodeUnitCount else { return replacement }
        let digits = table.utf8Start + index * 4
        return hexDigit(digits[0]) << 12 | hexDigit(digits[1]) << 8 | hexDigit(digits[2]) << 4 | hexDigit(digits[3])
    }

    @inline(__always)
    private static func hexDigit(_ character: UInt8) -> UInt32 {
        character <= 0x39 ? UInt32(character &- 0x30) : UInt32(character &- 0x37) & 0xF
    }

    /// The scalar for `key` in a table of (first key, first scalar, count) runs sorted by key.
    private static func run(_ table: StaticString, containing key: Int) -> UInt32? {
        var low = 0
        var high = table.utf8CodeUnitCount / 12  // runs
        // Find the last run whose first key is <= key.
        while low < high {
            let middle = (low + high) / 2
            if Int(hexEntry(table, middle * 3)) <= key { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let first = Int(hexEntry(table, (low - 1) * 3))
        let scalar = Int(hexEntry(table, (low - 1) * 3 + 1))
        let length = Int(hexEntry(table, (low - 1) * 3 + 2))
        return key - first < length ? UInt32(scalar + key - first) : nil
    }
}

/// Appends scalars as UTF-8 to a buffer sized for the worst case.
private struct UTF8Writer {
    let output: UnsafeMutableBufferPointer<UInt8>
    var count = 0

    @inline(__always)
    mutating func put(_ scalar: UInt32) {
        guard count + 4 <= output.count || count + utf8Length(scalar) <= output.count else { return }
        switch scalar {
        case 0..<0x80:
            output[count] = UInt8(scalar)
            count += 1
        case 0x80..<0x800:
            output[count] = UInt8(0xC0 | scalar >> 6)
            output[count + 1] = UInt8(0x80 | scalar & 0x3F)
            count += 2
        case 0x800..<0x10000:
            output[count] = UInt8(0xE0 | scalar >> 12)
            output[count + 1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[count + 2] = UInt8(0x80 | scalar & 0x3F)
            count += 3
        default:
            output[count] = UInt8(0xF0 | scalar >> 18 & 0x07)
            output[count + 1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            output[count + 2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[count + 3] = UInt8(0x80 | scalar & 0x3F)
            count += 4
        }
    }

    private func utf8Length(_ scalar: UInt32) -> Int {
        scalar < 0x80 ? 1 : scalar < 0x800 ? 2 : scalar < 0x10000 ? 3 : 4
    }
}
