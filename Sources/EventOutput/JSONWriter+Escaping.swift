/// String escaping (RFC 8259) and UTF-8 repair for `JSONWriter`.
extension JSONWriter {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends a quoted, escaped string.
    @inline(__always)
    mutating func appendEscaped(_ value: String) {
        var value = value
        value.withUTF8 { appendEscaped(validUTF8: UnsafeRawBufferPointer($0)) }
    }

    /// Appends the escape sequence for one byte that may not appear raw in a JSON string.
    private mutating func appendEscape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case 0x22: bytes.append(UInt8(ascii: "\""))
        case 0x5C: bytes.append(UInt8(ascii: "\\"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0x0F)])
        }
    }

    /// Appends a quoted string from bytes known to be valid UTF-8, escaping as needed.
    mutating func appendEscaped(validUTF8 source: UnsafeRawBufferPointer) {
        appendEscaped(source, validating: false)
    }

    /// Appends a quoted string from bytes that should be UTF-8; each maximal invalid subpart
    /// (the Unicode "best practice", as `String(decoding:as:)` does it) becomes U+FFFD.
    mutating func appendEscaped(untrustedUTF8 source: UnsafeRawBufferPointer) {
        appendEscaped(source, validating: true)
    }

    /// Appends `source` quoted: runs of plain bytes copied whole, `"`, `\` and control characters
    /// escaped, and (when `validating`) invalid UTF-8 replaced by U+FFFD.
    private mutating func appendEscaped(_ source: UnsafeRawBufferPointer, validating: Bool) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        let count = source.count
        while index < count {
            let byte = source[index]
            if byte >= 0x80 && validating {
                let (valid, length) = Self.sequence(at: index, in: source)
                if valid {
                    index += length
                    continue
                }
                if runStart < index {
                    bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: source[runStart..<index]))
                }
                bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])  // U+FFFD
                index += length
                runStart = index
                continue
            }
            if byte >= 0x20 && byte != 0x22 && byte != 0x5C {
                index += 1
                continue
            }
            if runStart < index {
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: source[runStart..<index]))
            }
            appendEscape(byte)
            index += 1
            runStart = index
        }
        if runStart < count {
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: source[runStart..<count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Checks the multi-byte UTF-8 sequence starting at `start` (whose first byte is >= 0x80).
    /// Returns whether it is well formed and how many bytes it covers: the whole sequence when
    /// valid, otherwise the length of the maximal invalid subpart (at least 1).
    private static func sequence(at start: Int, in source: UnsafeRawBufferPointer) -> (valid: Bool, length: Int) {
        let lead = source[start]
        let trailing: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: trailing = 1
        case 0xE0: trailing = 2; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: trailing = 2
        case 0xED: trailing = 2; high = 0x9F  // no UTF-16 surrogates
        case 0xF0: trailing = 3; low = 0x90  // no overlong 4-byte forms
        case 0xF1...0xF3: trailing = 3
        case 0xF4: trailing = 3; high = 0x8F  // nothing past U+10FFFF
        default: return (false, 1)  // continuation byte, C0/C1 overlong lead, or F5...FF
        }
        var offset = 1
        while offset <= trailing {
            guard start + offset < source.count else { return (false, offset) }
            let byte = source[start + offset]
            let (min, max): (UInt8, UInt8) = offset == 1 ? (low, high) : (0x80, 0xBF)
            guard byte >= min && byte <= max else { return (false, offset) }
            offset += 1
        }
        return (true, trailing + 1)
    }
}
