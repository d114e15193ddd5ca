/// A hand-written JSON serializer into a reusable byte buffer (no `JSONEncoder`).
///
/// Callers emit keys and values in sequence; the writer places the commas and colons itself,
/// keeping a small stack with one entry per open object or array:
///
/// ```swift
/// var json = JSONWriter()
/// json.beginObject()
/// json.field("count", 3)
/// json.key("names"); json.beginArray(); json.string("a"); json.string("b"); json.endArray()
/// json.endObject()   // {"count":3,"names":["a","b"]}
/// ```
///
/// Strings are escaped per RFC 8259 (`"`, `\`, and control characters below 0x20); DEL and
/// non-ASCII text pass through as UTF-8. The writer is defensive against caller slips so the
/// output stays valid JSON: a key with no value gets `null`, an end call closes whatever container
/// is innermost with its matching bracket, and closing with nothing open is ignored. Writing a
/// value inside an object without a key first is the caller's error.
package struct JSONWriter: Sendable {
    /// The bytes written sit at the front of `storage`; past `count` it is room to write into (zeros
    /// when new, old bytes after `reset`): a token is formatted straight into place
    /// (`write(upTo:_:)`), with one capacity check and no per-call copy through
    /// `Array.append(contentsOf:)` (about 90 instructions each).
    private var storage: [UInt8]
    /// How many bytes are written.
    package private(set) var count = 0
    /// One entry per open container: bit 0 set once it holds an element (the next needs a comma),
    /// bit 1 set for an array.
    private var containers: [UInt8] = []
    /// Whether a key was just written and its value is pending.
    private var afterKey = false
    /// The text of the last minute a timestamp fell in (`appendTimestampText`).
    var timestampMinute = EVETimestamp.Minute()

    private static let hasElementsBit: UInt8 = 1
    private static let arrayBit: UInt8 = 2

    /// An empty writer with `capacity` bytes reserved.
    package init(capacity: Int = 4096) {
        storage = [UInt8](repeating: 0, count: Swift.max(capacity, 64))
        containers.reserveCapacity(16)
    }

    /// The serialized bytes, copied out (`withBytes` reads them in place).
    package var bytes: [UInt8] { Array(storage[..<count]) }

    /// Calls `body` with the serialized bytes, in place.
    package func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }

    /// Bytes the writer holds room for without growing.
    package var capacity: Int { storage.count }

    /// How many objects and arrays are open.
    package var depth: Int { containers.count }

    /// Whether a key was written and its value is still to come.
    var isAfterKey: Bool { afterKey }

    /// Empties the buffer and the nesting state, keeping the reserved storage.
    package mutating func reset() {
        count = 0
        containers.removeAll(keepingCapacity: true)
        afterKey = false
    }

    // MARK: - Structure

    /// Writes the comma due before a value (if any) and marks the enclosing container non-empty.
    /// Every value writer calls this first.
    @inline(__always)
    mutating func beforeValue() {
        if afterKey {
            afterKey = false
            return
        }
        let last = containers.count - 1
        if last >= 0 {
            if containers[last] & Self.hasElementsBit != 0 {
                append(UInt8(ascii: ","))
            } else {
                containers[last] |= Self.hasElementsBit
            }
        }
    }

    /// Writes `null` for a key whose value never came, keeping the output valid.
    @inline(__always)
    private mutating func closePendingKey() {
        if afterKey {
            afterKey = false
            appendRaw("null")
        }
    }

    /// Opens an object (`{`) as the next value.
    package mutating func beginObject() {
        beforeValue()
        containers.append(0)
        append(UInt8(ascii: "{"))
    }

    /// Opens an array (`[`) as the next value.
    package mutating func beginArray() {
        beforeValue()
        containers.append(Self.arrayBit)
        append(UInt8(ascii: "["))
    }

    /// Closes the innermost object (`}`).
    package mutating func endObject() { closeContainer() }

    /// Closes the innermost array (`]`).
    package mutating func endArray() { closeContainer() }

    /// Closes the innermost open container with the bracket that matches how it was opened
    /// (so a mismatched end call still gives valid JSON). Ignored when nothing is open.
    package mutating func closeContainer() {
        closePendingKey()
        guard let innermost = containers.popLast() else { return }
        append(innermost & Self.arrayBit != 0 ? UInt8(ascii: "]") : UInt8(ascii: "}"))
    }

    // MARK: - Keys

    /// Writes an object key and the colon; the next call writes its value.
    ///
    /// Keys written as literals in the code are plain (letters, digits, `_`, `.`, no quote,
    /// backslash or control character), so they are copied without the escaping scan; debug
    /// builds check that. Keys known only at run time go through `key(_: String)`.
    package mutating func key(_ name: StaticString) {
        closePendingKey()
        beforeValue()
        let count = name.utf8CodeUnitCount
        let start = name.utf8Start
        assert(UnsafeBufferPointer(start: start, count: count).allSatisfy { $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C },
               "a literal JSON key needs escaping")
        // The quotes, the name and the colon in one copy.
        write(upTo: count + 3) { out in
            out[0] = UInt8(ascii: "\"")
            (out + 1).update(from: start, count: count)
            out[count + 1] = UInt8(ascii: "\"")
            out[count + 2] = UInt8(ascii: ":")
            return count + 3
        }
        afterKey = true
    }

    /// Writes an object key from a run-time string (field names from rules, for example).
    @_disfavoredOverload
    package mutating func key(_ name: String) {
        closePendingKey()
        beforeValue()
        appendEscaped(name)
        append(UInt8(ascii: ":"))
        afterKey = true
    }

    // MARK: - Values

    /// Writes a string value, escaped.
    package mutating func string(_ value: String) {
        beforeValue()
        appendEscaped(value)
    }

    /// Writes a string value from bytes taken as UTF-8; invalid sequences become U+FFFD.
    package mutating func string(bytes value: UnsafeRawBufferPointer) {
        beforeValue()
        appendEscaped(untrustedUTF8: value)
    }

    /// Writes a signed integer.
    package mutating func int(_ value: Int64) {
        beforeValue()
        if value < 0 { append(UInt8(ascii: "-")) }
        appendDecimal(value.magnitude)
    }

    /// Writes an unsigned integer.
    package mutating func uint(_ value: UInt64) {
        beforeValue()
        appendDecimal(value)
    }

    /// Writes a number in Swift's shortest round-trip form; NaN and infinities become `null`.
    package mutating func double(_ value: Double) {
        guard value.isFinite else {
            null()
            return
        }
        beforeValue()
        var text = value.description
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Writes `true` or `false`.
    package mutating func bool(_ value: Bool) {
        beforeValue()
        if value {
            appendRaw("true")
        } else {
            appendRaw("false")
        }
    }

    /// Writes `null`.
    package mutating func null() {
        beforeValue()
        appendRaw("null")
    }

    // MARK: - Raw bytes

    /// Appends literal bytes unchanged (no escaping, no comma); for fixed JSON tokens.
    @inline(__always)
    mutating func appendRaw(_ text: StaticString) {
        text.withUTF8Buffer { append(UnsafeRawBufferPointer($0)) }
    }

    /// Appends one byte.
    @inline(__always)
    mutating func append(_ byte: UInt8) {
        write(upTo: 1) { out in
            out[0] = byte
            return 1
        }
    }

    /// Appends bytes unchanged.
    @inline(__always)
    mutating func append(_ source: UnsafeRawBufferPointer) {
        let length = source.count
        guard length > 0, let start = source.baseAddress else { return }
        write(upTo: length) { out in
            UnsafeMutableRawPointer(out).copyMemory(from: start, byteCount: length)
            return length
        }
    }

    // MARK: - Digits

    /// Appends the decimal digits of `value`, without going through `String`.
    @inline(__always)
    mutating func appendDecimal(_ value: UInt64) {
        if value < 10 {
            append(0x30 &+ UInt8(truncatingIfNeeded: value))
            return
        }
        write(upTo: 20) { out in Self.decimal(value, into: out) }  // UInt64.max has 20 digits
    }

    // MARK: - Writing in one copy

    /// Appends what `body` writes at the pointer it is given (at most `limit` bytes; it returns
    /// how many), straight into the storage after one capacity check.
    @inline(__always)
    mutating func write(upTo limit: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        if storage.count &- count < limit { grow(toHold: limit) }
        let at = count
        let written = storage.withUnsafeMutableBufferPointer { body($0.baseAddress.unsafelyUnwrapped + at) }
        count = at &+ written
    }

    /// Doubles the storage (at least) so that `extra` more bytes fit.
    @inline(never)
    private mutating func grow(toHold extra: Int) {
        let wanted = Swift.max(storage.count &* 2, count &+ extra)
        storage.append(contentsOf: repeatElement(0, count: wanted &- storage.count))
    }

    /// Copies literal `text` (no escaping: the caller's JSON) to `out`; returns how many bytes.
    @inline(__always)
    static func put(_ text: StaticString, at out: UnsafeMutablePointer<UInt8>) -> Int {
        let count = text.utf8CodeUnitCount
        out.update(from: text.utf8Start, count: count)
        return count
    }

    /// Writes `text`, which needs no escaping (a name from the code: letters, digits, `_`), in
    /// quotes at `out` (`text.utf8.count + 2` bytes); returns how many bytes.
    @inline(__always)
    static func quoted(plain text: String, at out: UnsafeMutablePointer<UInt8>) -> Int {
        var text = text
        return text.withUTF8 { utf8 in
            out[0] = UInt8(ascii: "\"")
            (out + 1).update(from: utf8.baseAddress.unsafelyUnwrapped, count: utf8.count)
            out[utf8.count + 1] = UInt8(ascii: "\"")
            return utf8.count + 2
        }
    }

    /// Writes the decimal digits of `value` at `out`; returns how many (1...20).
    @inline(__always)
    static func decimal(_ value: UInt64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        padded(value, width: 1, into: out)
    }

    /// Writes `value` as `width` digits, zero-padded (more if it needs more), at `out`; returns
    /// how many.
    @inline(__always)
    static func padded(_ value: UInt64, width: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var digits = 1
        var probe = value / 10
        while probe > 0 {
            digits += 1
            probe /= 10
        }
        let count = max(digits, width)
        var remaining = value
        var index = count
        while index > 0 {
            index -= 1
            out[index] = 0x30 &+ UInt8(truncatingIfNeeded: remaining % 10)
            remaining /= 10
        }
        return count
    }
}

// MARK: - Fields

extension JSONWriter {
    /// Writes `"key":"value"`.
    package mutating func field(_ key: StaticString, _ value: String) {
        self.key(key)
        string(value)
    }

    /// Writes `"key":"value"` when `value` is present; writes nothing when it is nil.
    package mutating func field(_ key: StaticString, ifPresent value: String?) {
        guard let value else { return }
        field(key, value)
    }

    /// Writes `"key":value` for a signed integer.
    package mutating func field(_ key: StaticString, _ value: Int) {
        self.key(key)
        int(Int64(value))
    }

    /// Writes `"key":value` for a signed 64-bit integer.
    package mutating func field(_ key: StaticString, _ value: Int64) {
        self.key(key)
        int(value)
    }

    /// Writes `"key":value` for an unsigned 64-bit integer.
    package mutating func field(_ key: StaticString, _ value: UInt64) {
        self.key(key)
        uint(value)
    }

    /// Writes `"key":value` for an unsigned 32-bit integer.
    package mutating func field(_ key: StaticString, _ value: UInt32) {
        self.key(key)
        uint(UInt64(value))
    }

    /// Writes `"key":value` for an unsigned 16-bit integer (ports).
    package mutating func field(_ key: StaticString, _ value: UInt16) {
        self.key(key)
        uint(UInt64(value))
    }

    /// Writes `"key":value` for a double (`null` when not finite).
    package mutating func field(_ key: StaticString, _ value: Double) {
        self.key(key)
        double(value)
    }

    /// Writes `"key":true` or `"key":false`.
    package mutating func field(_ key: StaticString, _ value: Bool) {
        self.key(key)
        bool(value)
    }

    /// Writes `"key":"text"` for bytes taken as UTF-8 (invalid sequences become U+FFFD).
    package mutating func field(_ key: StaticString, bytes value: UnsafeRawBufferPointer) {
        self.key(key)
        string(bytes: value)
    }
}
