import PacketCapture

/// A framed and tokenized tag=value message: typed access to its fields.
///
/// It borrows the buffer the message was framed in and the tokenizer's field array; it lives only
/// while one message is being decoded.
struct FIXMessage {
    /// The buffer the field offsets point into.
    let bytes: UnsafeRawBufferPointer
    /// Where the message lies.
    let frame: FIXFrame
    /// The fields in wire order (the tokenizer's storage).
    let fields: UnsafeBufferPointer<FIXField>
    /// Index of MsgType (35) in `fields`, or nil; 2 in a well-formed message.
    let msgTypeIndex: Int?
    /// Bit `tag & 63` set for the tag of every field (`FIXTokenizer.tagsSeen`): a tag whose bit
    /// is clear is absent, told without a scan (most tags asked about are: PossDupFlag, the
    /// routing headers, optional order fields).
    let tagsSeen: UInt64

    /// `tagsSeen`: as the tokenizer gave it, or every bit (nothing told absent) by default.
    init(bytes: UnsafeRawBufferPointer, frame: FIXFrame, fields: UnsafeBufferPointer<FIXField>, tagsSeen: UInt64 = ~0) {
        self.bytes = bytes
        self.frame = frame
        self.fields = fields
        self.tagsSeen = tagsSeen
        if fields.count > 2 && fields[2].tag == 35 {
            msgTypeIndex = 2
        } else {
            msgTypeIndex = fields.firstIndex { $0.tag == 35 }
        }
    }

    /// The bytes of a field's value.
    @inline(__always)
    func value(of field: FIXField) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[field.valueStart..<field.valueEnd])
    }

    /// The first field with `tag`.
    func field(_ tag: Int) -> FIXField? {
        guard tagsSeen >> UInt64(tag & 63) & 1 != 0 else { return nil }
        for field in fields where field.tag == tag { return field }
        return nil
    }

    /// The raw value of the first field with `tag`.
    func raw(_ tag: Int) -> UnsafeRawBufferPointer? {
        field(tag).map(value(of:))
    }

    /// Whether the first `tag` field's value is exactly `text`.
    func value(_ tag: Int, is text: StaticString) -> Bool {
        guard let value = raw(tag), value.count == text.utf8CodeUnitCount else { return false }
        return text.withUTF8Buffer { memoryEqual(value, UnsafeRawBufferPointer($0)) }
    }

    /// The first `tag` field as a non-negative integer.
    func int(_ tag: Int) -> Int? {
        guard let field = field(tag) else { return nil }
        return FIXFraming.parseInt(bytes, field.valueStart..<field.valueEnd)
    }

    /// The first `tag` field as ASCII/UTF-8 text.
    func ascii(_ tag: Int) -> String? {
        raw(tag).map { String(utf8Bytes: $0) }
    }

    /// The MsgType value. The one-character types of the standard, which nearly every message
    /// has, are string literals (no string is made per message: 1.3 million on the mixed benchmark
    /// capture, about 120 instructions each).
    var msgType: String {
        guard let index = msgTypeIndex else { return "" }
        let value = value(of: fields[index])
        if value.count == 1, let literal = Self.singleCharacterType(value[0]) { return literal }
        return String(utf8Bytes: value)
    }

    /// The literal for a one-character MsgType of the standard (0...9, A...Z, a...z), or nil.
    @inline(__always)
    static func singleCharacterType(_ byte: UInt8) -> String? {
        switch byte {
        case UInt8(ascii: "0"): "0"
        case UInt8(ascii: "1"): "1"
        case UInt8(ascii: "2"): "2"
        case UInt8(ascii: "3"): "3"
        case UInt8(ascii: "4"): "4"
        case UInt8(ascii: "5"): "5"
        case UInt8(ascii: "6"): "6"
        case UInt8(ascii: "7"): "7"
        case UInt8(ascii: "8"): "8"
        case UInt8(ascii: "9"): "9"
        case UInt8(ascii: "A"): "A"
        case UInt8(ascii: "B"): "B"
        case UInt8(ascii: "C"): "C"
        case UInt8(ascii: "D"): "D"
        case UInt8(ascii: "E"): "E"
        case UInt8(ascii: "F"): "F"
        case UInt8(ascii: "G"): "G"
        case UInt8(ascii: "H"): "H"
        case UInt8(ascii: "I"): "I"
        case UInt8(ascii: "J"): "J"
        case UInt8(ascii: "K"): "K"
        case UInt8(ascii: "L"): "L"
        case UInt8(ascii: "M"): "M"
        case UInt8(ascii: "N"): "N"
        case UInt8(ascii: "O"): "O"
        case UInt8(ascii: "P"): "P"
        case UInt8(ascii: "Q"): "Q"
        case UInt8(ascii: "R"): "R"
        case UInt8(ascii: "S"): "S"
        case UInt8(ascii: "T"): "T"
        case UInt8(ascii: "U"): "U"
        case UInt8(ascii: "V"): "V"
        case UInt8(ascii: "W"): "W"
        case UInt8(ascii: "X"): "X"
        case UInt8(ascii: "Y"): "Y"
        case UInt8(ascii: "Z"): "Z"
        case UInt8(ascii: "a"): "a"
        case UInt8(ascii: "b"): "b"
        case UInt8(ascii: "c"): "c"
        case UInt8(ascii: "d"): "d"
        case UInt8(ascii: "e"): "e"
        case UInt8(ascii: "f"): "f"
        case UInt8(ascii: "g"): "g"
        case UInt8(ascii: "h"): "h"
        case UInt8(ascii: "i"): "i"
        case UInt8(ascii: "j"): "j"
        case UInt8(ascii: "k"): "k"
        case UInt8(ascii: "l"): "l"
        case UInt8(ascii: "m"): "m"
        case UInt8(ascii: "n"): "n"
        case UInt8(ascii: "o"): "o"
        case UInt8(ascii: "p"): "p"
        case UInt8(ascii: "q"): "q"
        case UInt8(ascii: "r"): "r"
        case UInt8(ascii: "s"): "s"
        case UInt8(ascii: "t"): "t"
        case UInt8(ascii: "u"): "u"
        case UInt8(ascii: "v"): "v"
        case UInt8(ascii: "w"): "w"
        case UInt8(ascii: "x"): "x"
        case UInt8(ascii: "y"): "y"
        case UInt8(ascii: "z"): "z"
        default: nil
        }
    }

    /// The MsgType value's bytes.
    var msgTypeBytes: UnsafeRawBufferPointer? {
        msgTypeIndex.map { value(of: fields[$0]) }
    }

    /// The BeginString.
    var beginString: String {
        String(utf8Bytes: beginStringBytes)
    }

    /// The BeginString's bytes.
    var beginStringBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[frame.beginStringStart..<(frame.beginStringStart + frame.beginStringLength)])
    }
}

/// A small set of anomalies, one bit each, so a message's anomalies cost no allocation.
struct FIXAnomalySet {
    private var bits: UInt32 = 0

    var isEmpty: Bool { bits == 0 }

    mutating func insert(_ anomaly: FIXAnomaly) { bits |= 1 << UInt32(anomaly.index) }

    func contains(_ anomaly: FIXAnomaly) -> Bool { bits & (1 << UInt32(anomaly.index)) != 0 }

    /// The members, in declaration order.
    var members: [FIXAnomaly] { FIXAnomaly.allCases.filter(contains) }
}

extension FIXAnomaly {
    /// The anomaly's position in `allCases` (for bit sets and counter arrays).
    var index: Int {
        FIXAnomaly.allCases.firstIndex(of: self) ?? 0
    }
}
