/// The 20-byte FTDC header at the start of every FTDC packet (after decompression), all integers
/// big-endian.
///
/// ```
///  0        1      2         4      8          12          14              16          20
/// +--------+------+---------+------+----------+-----------+---------------+-----------+---------
/// |Version |Chain |Sequence |TID   |Sequence  |FieldCount |ContentLength  |RequestID  | fields
/// |        |C / L |Series   |      |Number    |           |(after header) |           | ...
/// +--------+------+---------+------+----------+-----------+---------------+-----------+---------
/// ```
/// Each field is `FieldID (uint16) | FieldLength (uint16) | body`: the C struct packed member by
/// member, big-endian. 'C' packets continue a message that an 'L' packet ends.
struct CTPMessageHeader: Equatable {
    /// The header's size.
    static let size = 20
    /// Chain byte of the last (or only) packet of a message.
    static let lastPacket = UInt8(ascii: "L")
    /// Chain byte of a packet that more packets of the same message follow.
    static let continued = UInt8(ascii: "C")

    /// The FTDC version byte (0x0C for API 6.3.6, 0x0F for 6.5.x, 0x34 for 6.7.11).
    var version: UInt8
    /// 'L' or 'C'.
    var chain: UInt8
    /// The flow the packet belongs to (0 session, 1 dialog, 2 private, 3 public, 4 query).
    var series: UInt16
    /// The transaction id: the message type.
    var tid: UInt32
    /// The packet's number in its series.
    var sequence: UInt32
    /// The number of fields the sender says follow.
    var fieldCount: UInt16
    /// The bytes of fields the sender says follow the header.
    var contentLength: UInt16
    /// The client's request id, echoed in responses (0 for pushes).
    var requestID: UInt32

    /// Reads the header at the start of `bytes` (which holds at least 20 bytes).
    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer) {
        version = bytes[0]
        chain = bytes[1]
        series = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        tid = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        sequence = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        fieldCount = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
        contentLength = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 14, as: UInt16.self))
        requestID = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
    }

    /// Whether the chain byte is 'L' or 'C'.
    var chainValid: Bool { chain == Self.lastPacket || chain == Self.continued }

    /// Whether the version byte is one a known API release writes.
    var versionKnown: Bool { Self.knownVersions.contains(version) }

    /// FTDC versions seen from real API releases: 0x0C (6.3.6, "V12"), 0x0F (6.5.x `_se` fronts),
    /// 0x34 (the 6.7.11 `_se` trader API, whose login says "FTDC 52").
    static let knownVersions: [UInt8] = [0x0C, 0x0F, 0x34]
}

/// The fields of one FTDC packet's content, walked without copying.
enum CTPFields {
    /// The size of a field header.
    static let headerSize = 4

    /// What walking a content area found.
    struct Walk {
        /// Whole fields found.
        var count = 0
        /// Whether a field or field header runs past the content.
        var overrun = false
    }

    /// Calls `body` with each field's id and body, in order; stops at the first field that runs
    /// past `content`.
    @inline(__always)
    static func walk(_ content: UnsafeRawBufferPointer, _ body: (UInt16, UnsafeRawBufferPointer) -> Void) -> Walk {
        var walk = Walk()
        var offset = 0
        let count = content.count
        while offset < count {
            guard offset + headerSize <= count else {
                walk.overrun = true
                break
            }
            let fid = UInt16(bigEndian: content.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            let length = Int(UInt16(bigEndian: content.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self)))
            let start = offset + headerSize
            guard start + length <= count else {
                walk.overrun = true
                break
            }
            body(fid, UnsafeRawBufferPointer(rebasing: content[start..<(start + length)]))
            walk.count += 1
            offset = start + length
        }
        return walk
    }
}
