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

    init(bytes: UnsafeRawBufferPointer, frame: FIXFrame, fields: UnsafeBufferPointer<FIXField>) {
        self.bytes = bytes
        self.frame = frame
        self.fields = fields
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

    /// The MsgType value.
    var msgType: String {
        guard let index = msgTypeIndex else { return "" }
        return String(utf8Bytes: value(of: fields[index]))
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

@inline(__always)
func memoryEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    for index in 0..<a.count where a[index] != b[index] { return false }
    return true
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
