import EventOutput
import Foundation
import Testing

/// Runs `body` on a fresh writer and returns the output as text.
func render(_ body: (inout JSONWriter) -> Void) -> String {
    var writer = JSONWriter()
    body(&writer)
    return String(decoding: writer.bytes, as: UTF8.self)
}

/// A string value rendered alone.
private func quoted(_ value: String) -> String { render { $0.string(value) } }

/// Raw bytes rendered as a string value.
private func quoted(bytes: [UInt8]) -> String {
    render { writer in bytes.withUnsafeBytes { writer.string(bytes: $0) } }
}

@Suite("JSONWriter")
struct JSONWriterTests {
    @Test("every control character is escaped")
    func controlCharacters() throws {
        let short: [UInt8: String] = [0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"]
        let hex = Array("0123456789abcdef")
        for byte in UInt8(0)..<0x20 {
            let expected = short[byte] ?? "\\u00\(hex[Int(byte >> 4)])\(hex[Int(byte & 15)])"
            let text = String(UnicodeScalar(byte))
            #expect(quoted("a" + text + "b") == "\"a\(expected)b\"", "byte \(byte)")
            #expect(quoted(bytes: [0x61, byte, 0x62]) == "\"a\(expected)b\"", "byte \(byte)")
        }
        // Every escaped form parses back to the original character.
        let all = String((0..<0x20).map { Character(UnicodeScalar(UInt8($0))) })
        let parsed = try JSONSerialization.jsonObject(with: Data(quoted(all).utf8), options: .fragmentsAllowed)
        #expect(parsed as? String == all)
    }

    @Test("quotes, backslashes, slash, DEL and unicode")
    func specialCharacters() {
        #expect(quoted(#"say "hi""#) == #""say \"hi\"""#)
        #expect(quoted(#"C:\path\"#) == #""C:\\path\\""#)
        #expect(quoted("a/b") == "\"a/b\"")
        #expect(quoted("\u{7F}") == "\"\u{7F}\"")
        #expect(quoted("") == "\"\"")
        #expect(quoted("期货 Ünïcödé 🚀") == "\"期货 Ünïcödé 🚀\"")
        #expect(quoted(bytes: Array("期货 🚀".utf8)) == "\"期货 🚀\"")
    }

    @Test("invalid UTF-8 becomes U+FFFD per maximal subpart")
    func invalidUTF8() {
        let r = "\u{FFFD}"
        #expect(quoted(bytes: [0x61, 0xFF, 0x62]) == "\"a\(r)b\"")
        #expect(quoted(bytes: [0x80]) == "\"\(r)\"")
        #expect(quoted(bytes: [0xE2, 0x82]) == "\"\(r)\"")  // truncated euro sign
        #expect(quoted(bytes: [0xE2, 0x82, 0x41]) == "\"\(r)A\"")
        #expect(quoted(bytes: [0xC0, 0x80]) == "\"\(r)\(r)\"")  // overlong NUL
        #expect(quoted(bytes: [0xED, 0xA0, 0x80]) == "\"\(r)\(r)\(r)\"")  // UTF-16 surrogate
        #expect(quoted(bytes: [0xF4, 0x90, 0x80, 0x80]) == "\"\(r)\(r)\(r)\(r)\"")  // past U+10FFFF
        #expect(quoted(bytes: [0xF0, 0x9F, 0x9A, 0x80]) == "\"🚀\"")
        #expect(quoted(bytes: [0x22, 0xFE, 0x0A]) == "\"\\\"\(r)\\n\"")
    }

    @Test("UTF-8 repair matches String(decoding:) on random bytes")
    func randomBytes() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        for _ in 0..<2000 {
            let length = Int(next() % 24)
            // Bias toward high bytes so that multi-byte sequences and their failures are common.
            let bytes = (0..<length).map { _ -> UInt8 in
                let value = next()
                return value & 3 == 0 ? UInt8(truncatingIfNeeded: value >> 8) & 0x7F : 0x80 | UInt8(truncatingIfNeeded: value >> 8)
            }
            #expect(quoted(bytes: bytes) == quoted(String(decoding: bytes, as: UTF8.self)), "\(bytes)")
        }
    }

    @Test("integer extremes")
    func integers() {
        #expect(render { $0.int(0) } == "0")
        #expect(render { $0.int(-1) } == "-1")
        #expect(render { $0.int(Int64.max) } == "9223372036854775807")
        #expect(render { $0.int(Int64.min) } == "-9223372036854775808")
        #expect(render { $0.uint(0) } == "0")
        #expect(render { $0.uint(9) } == "9")
        #expect(render { $0.uint(10) } == "10")
        #expect(render { $0.uint(UInt64.max) } == "18446744073709551615")
        for value: UInt64 in [99, 100, 1_000_000, 4_294_967_295] {
            #expect(render { $0.uint(value) } == String(value))
        }
    }

    @Test("doubles, booleans and null")
    func otherScalars() throws {
        #expect(render { $0.double(1.5) } == "1.5")
        #expect(render { $0.double(-2) } == "-2.0")
        #expect(render { $0.double(.nan) } == "null")
        #expect(render { $0.double(.infinity) } == "null")
        #expect(render { $0.double(-.infinity) } == "null")
        #expect(render { $0.bool(true) } == "true")
        #expect(render { $0.bool(false) } == "false")
        #expect(render { $0.null() } == "null")
        let text = render {
            $0.beginArray()
            for value in [1e300, 1e-300, 0.1, -0.0, 123_456_789.125] { $0.double(value) }
            $0.double(.nan)
            $0.endArray()
        }
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any])
        let numbers = parsed.prefix(5).compactMap { ($0 as? NSNumber)?.doubleValue }
        #expect(numbers == [1e300, 1e-300, 0.1, -0.0, 123_456_789.125])
        #expect(parsed.last is NSNull)
    }

    @Test("nested objects and arrays place commas and colons")
    func nesting() {
        let text = render { w in
            w.beginObject()
            w.key("a")
            w.beginArray()
            w.int(1)
            w.beginArray()
            w.endArray()
            w.beginObject()
            w.endObject()
            w.beginObject()
            w.key("b")
            w.null()
            w.endObject()
            w.endArray()
            w.key("c")
            w.beginObject()
            w.key("d")
            w.beginArray()
            w.bool(true)
            w.bool(false)
            w.endArray()
            w.endObject()
            w.field("e", "x")
            w.key(String("dynamic \"key\""))
            w.uint(7)
            w.endObject()
        }
        #expect(text == #"{"a":[1,[],{},{"b":null}],"c":{"d":[true,false]},"e":"x","dynamic \"key\"":7}"#)
        #expect(render { $0.beginArray(); $0.endArray() } == "[]")
        #expect(render { $0.beginObject(); $0.endObject() } == "{}")
    }

    @Test("field overloads")
    func fields() {
        let text = render { w in
            w.beginObject()
            w.field("s", "v")
            w.field("absent", ifPresent: nil)
            w.field("present", ifPresent: "p")
            w.field("i", -5)
            w.field("i64", Int64(-6))
            w.field("u64", UInt64(7))
            w.field("u32", UInt32(8))
            w.field("u16", UInt16(9))
            w.field("d", 0.5)
            w.field("b", true)
            Array("raw".utf8).withUnsafeBytes { w.field("bytes", bytes: $0) }
            w.endObject()
        }
        #expect(text == #"{"s":"v","present":"p","i":-5,"i64":-6,"u64":7,"u32":8,"u16":9,"d":0.5,"b":true,"bytes":"raw"}"#)
    }

    @Test("caller slips still give valid JSON")
    func defensive() {
        #expect(render { $0.beginObject(); $0.key("k"); $0.endObject() } == #"{"k":null}"#)
        #expect(render { $0.beginObject(); $0.key("a"); $0.key("b"); $0.int(1); $0.endObject() } == #"{"a":null,"b":1}"#)
        #expect(render { $0.beginArray(); $0.endObject() } == "[]")
        #expect(render { $0.endObject(); $0.endArray() } == "")
        #expect(render { $0.beginObject(); $0.key("a"); $0.beginArray(); $0.int(1); $0.endRecord() } == "{\"a\":[1]}\n")
    }

    @Test("reset reuses the buffer")
    func reuse() {
        var writer = JSONWriter(capacity: 64)
        writer.beginObject()
        writer.field("a", 1)
        writer.reset()
        #expect(writer.bytes.isEmpty && writer.depth == 0)
        writer.beginObject()
        writer.field("b", 2)
        writer.endObject()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"b":2}"#)
        #expect(writer.capacity == 64)
    }

    @Test("the buffer grows past its reserved capacity without losing what it holds")
    func growth() {
        var writer = JSONWriter(capacity: 64)
        let long = String(repeating: "x", count: 300)
        writer.beginArray()
        for index in 0..<40 {
            writer.int(Int64(index))
            writer.string(long)
        }
        writer.endArray()
        let expected = "[" + (0..<40).map { "\($0),\"\(long)\"" }.joined(separator: ",") + "]"
        #expect(String(decoding: writer.bytes, as: UTF8.self) == expected)
        #expect(writer.count == expected.utf8.count && writer.capacity >= writer.count)
        writer.withBytes { #expect(Array($0) == Array(expected.utf8)) }
    }
}
