/// String escaping (RFC 8259) and UTF-8 repair for `JSONWriter`.
extension JSONWriter {
    /// The lowercase hex digit of `nibble` (0...15).
    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble  // "0"..."9", "a"..."f"
    }

    /// Appends a quoted, escaped string.
    @inline(__always)
    mutating func appendEscaped(_ value: String) {
        var value = value
        value.withUTF8 { appendEscaped(validUTF8: UnsafeRawBufferPointer($0)) }
    }

    /// Appends the escape sequence for one byte that may not appear raw in a JSON string.
    private mutating func appendEscape(_ byte: UInt8) {
        append(UInt8(ascii: "\\"))
        switch byte {
        case 0x22: append(UInt8(ascii: "\""))
        case 0x5C: append(UInt8(ascii: "\\"))
        case 0x08: append(UInt8(ascii: "b"))
        case 0x0C: append(UInt8(ascii: "f"))
        case 0x0A: append(UInt8(ascii: "n"))
        case 0x0D: append(UInt8(ascii: "r"))
        case 0x09: append(UInt8(ascii: "t"))
        default:
            appendRaw("u00")
            append(Self.hexDigit(byte >> 4))
            append(Self.hexDigit(byte & 0x0F))
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
        let count = source.count
        var index = 0
        while index < count {
            let byte = source[index]
            guard byte >= 0x20 && byte != 0x22 && byte != 0x5C && (byte < 0x80 || !validating) else { break }
            index += 1
        }
        if index == count {
            // Nothing to escape or repair (most strings): the quotes and the text in one copy.
            write(upTo: count &+ 2) { out in
                out[0] = UInt8(ascii: "\"")
                if let start = source.baseAddress { (out + 1).update(from: start.assumingMemoryBound(to: UInt8.self), count: count) }
                out[count &+ 1] = UInt8(ascii: "\"")
                return count &+ 2
            }
            return
        }
        append(UInt8(ascii: "\""))
        var runStart = 0
        while index < count {
            let byte = source[index]
            if byte >= 0x80 && validating {
                let (valid, length) = Self.sequence(at: index, in: source)
                if valid {
                    index += length
                    continue
                }
                if runStart < index {
                    append(UnsafeRawBufferPointer(rebasing: source[runStart..<index]))
                }
                write(upTo: 3) { out in  // U+FFFD
                    out[0] = 0xEF
                    out[1] = 0xBF
                    out[2] = 0xBD
                    return 3
                }
                index += length
                runStart = index
                continue
            }
            if byte >= 0x20 && byte != 0x22 && byte != 0x5C {
                index += 1
                continue
            }
            if runStart < index {
                append(UnsafeRawBufferPointer(rebasing: source[runStart..<index]))
            }
            appendEscape(byte)
            index += 1
            runStart = index
        }
        if runStart < count {
            append(UnsafeRawBufferPointer(rebasing: source[runStart..<count]))
        }
        append(UInt8(ascii: "\""))
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
