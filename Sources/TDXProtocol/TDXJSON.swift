import ProtocolKit

/// A small JSON reader for the TdxTradeServer wrapper's bodies (`{"func": ..., "params": {...}}`
/// and `{"success": ..., "data" | "error": ...}`): RFC 8259 values into `FieldValue`, with a
/// depth limit; nil for anything that is not one whole JSON value.
enum TDXJSON {
    /// The deepest nesting accepted.
    static let maxDepth = 32

    /// The value `bytes` hold, or nil when they are not exactly one JSON value (whitespace around it allowed).
    static func parse(_ bytes: UnsafeRawBufferPointer) -> FieldValue? {
        var parser = Parser(bytes: bytes)
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipSpace()
        return parser.position == bytes.count ? value : nil
    }

    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        mutating func value(depth: Int) -> FieldValue? {
            guard depth <= TDXJSON.maxDepth else { return nil }
            skipSpace()
            guard position < bytes.count else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return string().map(FieldValue.string)
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            default: return number()
            }
        }

        mutating func literal(_ text: StaticString, _ value: FieldValue) -> FieldValue? {
            let count = text.utf8CodeUnitCount
            guard bytes.count - position >= count else { return nil }
            for index in 0..<count where bytes[position + index] != text.utf8Start[index] { return nil }
            position += count
            return value
        }

        mutating func object(depth: Int) -> FieldValue? {
            position += 1
            var members: [(String, FieldValue)] = []
            skipSpace()
            if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
                position += 1
                guard let member = value(depth: depth + 1) else { return nil }
                members.append((key, member))
                skipSpace()
                guard position < bytes.count else { return nil }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                guard bytes[position] == UInt8(ascii: "}") else { return nil }
                position += 1
                return .object(members)
            }
        }

        mutating func array(depth: Int) -> FieldValue? {
            position += 1
            var elements: [FieldValue] = []
            skipSpace()
            if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            while true {
                guard let element = value(depth: depth + 1) else { return nil }
                elements.append(element)
                skipSpace()
                guard position < bytes.count else { return nil }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                guard bytes[position] == UInt8(ascii: "]") else { return nil }
                position += 1
                return .array(elements)
            }
        }

        mutating func string() -> String? {
            position += 1
            var run = position
            var text = ""
            func flush(_ end: Int) {
                text += String(decoding: UnsafeRawBufferPointer(rebasing: bytes[run..<end]), as: UTF8.self)
            }
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    flush(position)
                    position += 1
                    return text
                }
                if byte < 0x20 { return nil }
                if byte != UInt8(ascii: "\\") {
                    position += 1
                    continue
                }
                flush(position)
                position += 1
                guard position < bytes.count else { return nil }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): text += "\""
                case UInt8(ascii: "\\"): text += "\\"
                case UInt8(ascii: "/"): text += "/"
                case UInt8(ascii: "b"): text += "\u{08}"
                case UInt8(ascii: "f"): text += "\u{0C}"
                case UInt8(ascii: "n"): text += "\n"
                case UInt8(ascii: "r"): text += "\r"
                case UInt8(ascii: "t"): text += "\t"
                case UInt8(ascii: "u"):
                    guard var unit = hex4() else { return nil }
                    if unit >= 0xD800 && unit < 0xDC00, bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"),
                        bytes[position + 1] == UInt8(ascii: "u")
                    {
                        position += 2
                        guard let low = hex4(), low >= 0xDC00 && low < 0xE000 else { return nil }
                        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    text.unicodeScalars.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                default:
                    return nil
                }
                run = position
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard bytes.count - position >= 4 else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x41...0x46: digit = byte - 0x41 + 10
                case 0x61...0x66: digit = byte - 0x61 + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                position += 1
            }
            return value
        }

        mutating func number() -> FieldValue? {
            let start = position
            var integral = true
            if position < bytes.count && bytes[position] == UInt8(ascii: "-") { position += 1 }
            let digitsStart = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte >= 0x30 && byte <= 0x39 {
                    position += 1
                } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                    || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                {
                    integral = false
                    position += 1
                } else {
                    break
                }
            }
            guard position > digitsStart else { return nil }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            if integral, let value = Int64(text) { return .int(value) }
            return Double(text).map(FieldValue.double)
        }
    }
}

extension FieldValue {
    /// Member `key` of an object.
    subscript(member key: String) -> FieldValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The text of a string, or the digits of a number (ids sent either way).
    var text: String? {
        switch self {
        case .string(let value): value
        case .int(let value): String(value)
        case .uint(let value): String(value)
        case .double(let value): value.description
        default: nil
        }
    }
}
