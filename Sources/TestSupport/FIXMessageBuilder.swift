/// Builds FIX tag=value messages byte by byte for test captures, independent of the decoder it
/// tests: fields in order, then `8=`, `9=` (BodyLength) and `10=` (CheckSum) computed around
/// them, with knobs that damage each of those on purpose.
///
/// ```swift
/// var logon = FIXMessageBuilder(beginString: "FIX.4.4", msgType: "A")
/// logon.add(49, "CLIENT1"); logon.add(56, "BROKER"); logon.add(34, 1)
/// logon.add(rawTag: "058", "zero-padded tag")        // a non-canonical tag
/// logon.bodyLengthAdjustment = -5                     // BodyLength 5 too small
/// let bytes = logon.bytes()
/// ```
///
/// BodyLength counts the bytes from the one after the SOH that ends `9=` up to and including the
/// SOH before `10=`; CheckSum is the byte sum mod 256 of everything before `10=`, written with
/// three digits.
package struct FIXMessageBuilder: Hashable, Sendable {
    /// One field: the tag as written (normally the decimal number) and the raw value bytes.
    package struct Field: Hashable, Sendable {
        /// The tag text, e.g. `"58"` or the non-canonical `"058"`.
        package var tag: String
        /// The value bytes (anything but SOH, unless it is the data of a length/data pair).
        package var value: [UInt8]

        /// A field with its tag written as given.
        package init(rawTag: String, value: [UInt8]) {
            self.tag = rawTag
            self.value = value
        }
    }

    /// How CheckSum's value is written.
    package enum ChecksumStyle: Hashable, Sendable {
        /// Three digits, zero-padded (`10=081`): the standard.
        case threeDigits
        /// No padding (`10=81`), as some engines write it.
        case unpadded
    }

    /// The BeginString value (`FIX.4.4`, `FIXT.1.1`, `STEP.1.0.0`, ...).
    package var beginString: String
    /// The body fields in order (MsgType first, normally).
    package var fields: [Field] = []
    /// Added to the true BodyLength (negative: too small).
    package var bodyLengthAdjustment = 0
    /// Written instead of the true BodyLength when set.
    package var bodyLengthOverride: Int?
    /// Zero-pads BodyLength to this many digits (`9=0087`) when set.
    package var bodyLengthDigits: Int?
    /// Added (mod 256) to the true CheckSum: anything but 0 makes it wrong.
    package var checksumAdjustment = 0
    /// How the CheckSum value is written.
    package var checksumStyle = ChecksumStyle.threeDigits
    /// Whether the `10=` trailer is written at all.
    package var includesTrailer = true

    /// A message with BeginString `beginString` and, when given, MsgType (35) as its first field.
    package init(beginString: String = "FIX.4.4", msgType: String? = nil) {
        self.beginString = beginString
        if let msgType { add(35, msgType) }
    }

    /// Appends a field with a text value (UTF-8).
    package mutating func add(_ tag: Int, _ value: String) {
        fields.append(Field(rawTag: String(tag), value: Array(value.utf8)))
    }

    /// Appends a field with an integer value.
    package mutating func add(_ tag: Int, _ value: Int) {
        fields.append(Field(rawTag: String(tag), value: Array(String(value).utf8)))
    }

    /// Appends a field with raw value bytes (GBK text, binary data).
    package mutating func add(_ tag: Int, bytes: [UInt8]) {
        fields.append(Field(rawTag: String(tag), value: bytes))
    }

    /// Appends a field whose tag is written exactly as `rawTag` (e.g. `"058"`).
    package mutating func add(rawTag: String, _ value: String) {
        fields.append(Field(rawTag: rawTag, value: Array(value.utf8)))
    }

    /// Appends a length/data pair: `lengthTag=<count>` then `dataTag=<data>` (data may hold SOH).
    package mutating func addData(lengthTag: Int, dataTag: Int, _ data: [UInt8]) {
        add(lengthTag, data.count)
        add(dataTag, bytes: data)
    }

    /// Appends a repeating group: the count field, then each entry's fields in order.
    package mutating func addGroup(_ countTag: Int, _ entries: [[(Int, String)]]) {
        add(countTag, entries.count)
        for entry in entries {
            for (tag, value) in entry { add(tag, value) }
        }
    }

    /// The body bytes: every field as `tag=value␁`.
    package var body: [UInt8] {
        var out: [UInt8] = []
        for field in fields {
            out.append(contentsOf: field.tag.utf8)
            out.append(UInt8(ascii: "="))
            out.append(contentsOf: field.value)
            out.append(0x01)
        }
        return out
    }

    /// The BodyLength the message truly has.
    package var trueBodyLength: Int { body.count }

    /// The whole message with every knob applied.
    package func bytes() -> [UInt8] {
        let body = self.body
        let declared = bodyLengthOverride ?? (body.count + bodyLengthAdjustment)
        var length = String(declared)
        if let digits = bodyLengthDigits, length.count < digits {
            length = String(repeating: "0", count: digits - length.count) + length
        }
        var out = Array("8=\(beginString)\u{01}9=\(length)\u{01}".utf8)
        out.append(contentsOf: body)
        guard includesTrailer else { return out }
        let sum = (FIXMessageBuilder.checksum(out) + checksumAdjustment) & 0xFF
        let text = checksumStyle == .threeDigits ? FIXMessageBuilder.threeDigits(sum) : String(sum)
        out.append(contentsOf: Array("10=\(text)\u{01}".utf8))
        return out
    }

    /// The CheckSum the message truly has (before any adjustment).
    package var trueChecksum: Int {
        var copy = self
        copy.includesTrailer = false
        return FIXMessageBuilder.checksum(copy.bytes())
    }

    /// The byte sum mod 256.
    package static func checksum(_ bytes: [UInt8]) -> Int {
        var sum = 0
        for byte in bytes { sum &+= Int(byte) }
        return sum & 0xFF
    }

    /// `7` → `"007"`.
    package static func threeDigits(_ value: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, 3 - text.count)) + text
    }

    /// Finds a value for a filler field `tag` (appended last) such that the message's true
    /// CheckSum equals `target`: `prefix` followed by four letters or digits (their sums cover
    /// every residue mod 256). Returns false if none fits.
    @discardableResult
    package mutating func appendFiller(_ tag: Int, prefix: String, checksum target: Int) -> Bool {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var base = self
        base.add(tag, prefix + "0000")
        let wanted = ((target - base.trueChecksum) % 256 + 256) % 256
        let zero = Int(UInt8(ascii: "0"))
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    for d in alphabet where (Int(a) + Int(b) + Int(c) + Int(d) - 4 * zero) % 256 == wanted {
                        add(tag, prefix + String(decoding: [a, b, c, d], as: UTF8.self))
                        return true
                    }
                }
            }
        }
        return false
    }
}
