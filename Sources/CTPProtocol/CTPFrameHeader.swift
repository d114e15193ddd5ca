import ProtocolKit

/// The 4-byte FTD header that starts every CTP frame (SFIT's XMP layer).
///
/// ```
///  0      1        2               4              4+ExtLen
/// +------+--------+---------------+--------------+------------------------------+
/// | Type | ExtLen | ContentLength | extension    | content (ContentLength bytes)|
/// |      |        | (uint16 BE)   | TLVs         | Type 2: CRP header + FTDC    |
/// +------+--------+---------------+--------------+------------------------------+
/// ```
/// Type 0 is link management (heartbeats), 1 an FTDC packet without the CRP layer, 2 a CRP header
/// followed by FTDC (what CTP sends for every data packet, compressed or not).
struct CTPFrameHeader: Equatable {
    /// The header's size on the wire.
    static let size = 4
    /// Type 0: link management, no body.
    static let linkType: UInt8 = 0
    /// Type 1: an FTDC packet right after the extension area.
    static let ftdcType: UInt8 = 1
    /// Type 2: a CRP header, then FTDC (maybe zero-run compressed).
    static let compressedType: UInt8 = 2

    /// The frame type.
    var type: UInt8
    /// Bytes of extension TLVs after the header.
    var extensionLength: Int
    /// Bytes of content after the extension area.
    var contentLength: Int

    /// Reads the header at `offset` (which must have 4 bytes after it).
    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        type = bytes[offset]
        extensionLength = Int(bytes[offset + 1])
        contentLength = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
    }

    /// The whole frame's length.
    var length: Int { Self.size + extensionLength + contentLength }

    /// Whether the type is one SFIT's stack sends.
    var typeKnown: Bool { type <= Self.compressedType }

    /// Whether the extension length is 0 or 2...127 (a tag and its length at least; SFIT's maximum).
    var extensionLengthValid: Bool { extensionLength == 0 || (extensionLength >= 2 && extensionLength <= CTPLimits.maxExtension) }
}

/// The bounds of the CTP decoder (SFIT's own limits where it has them).
enum CTPLimits {
    /// SFIT rejects content longer than this (XMP_PACKAGE_MAX_SIZE); longer is decoded with an anomaly.
    static let maxContent = 4096
    /// SFIT's largest extension area.
    static let maxExtension = 127
    /// The longest frame the header can describe.
    static let maxFrame = CTPFrameHeader.size + 255 + 65535
    /// The longest FTDC packet after decompression: the header and the most its content length can say.
    static let maxMessage = CTPMessageHeader.size + 65535
}

/// What the extension TLVs of one frame say.
///
/// Each tag is `Tag (1) | Length (1) | Data (Length)`. CTP's tag numbers differ from the JR/T 0016
/// standard: 0x05 is keep-alive (a heartbeat) and 0x07 announces the heartbeat timeout in seconds.
struct CTPExtension {
    /// Whether a keep-alive tag (0x05) is present.
    var keepAlive = false
    /// The heartbeat timeout announced with tag 0x07 (seconds), if any.
    var heartbeatTimeout: UInt32?
    /// Whether a tag runs past the area.
    var malformed = false
    /// How many tags there are.
    var tags = 0

    /// The tags of `area`.
    init(_ area: UnsafeRawBufferPointer) {
        var offset = 0
        while offset + 2 <= area.count {
            let tag = area[offset]
            let length = Int(area[offset + 1])
            guard offset + 2 + length <= area.count else {
                malformed = true
                return
            }
            tags += 1
            if tag == 0x05 { keepAlive = true }
            if tag == 0x07 && length == 4 { heartbeatTimeout = Self.bigEndian(area, offset + 2, 4) }
            offset += 2 + length
        }
        if offset != area.count { malformed = true }
    }

    /// The tags as record entries: `{"tag": "heartbeat_timeout", "value": 39}`.
    static func record(_ area: UnsafeRawBufferPointer) -> [FieldValue] {
        var out: [FieldValue] = []
        var offset = 0
        while offset + 2 <= area.count {
            let tag = area[offset]
            let length = Int(area[offset + 1])
            guard offset + 2 + length <= area.count else { break }
            var entry: [(String, FieldValue)] = [("tag", .string(name(of: tag)))]
            if length > 0 && length <= 4 {
                entry.append(("value", .uint(UInt64(bigEndian(area, offset + 2, length)))))
            } else if length > 0 {
                entry.append(("length", .uint(UInt64(length))))
            }
            out.append(.object(entry))
            offset += 2 + length
        }
        return out
    }

    /// The name of an extension tag (hex for tags no source names).
    static func name(of tag: UInt8) -> String {
        switch tag {
        case 0x00: "none"
        case 0x01: "datetime"
        case 0x02: "compress_method"
        case 0x03: "transaction_id"
        case 0x04: "session_state"
        case 0x05: "keep_alive"
        case 0x06: "trade_date"
        case 0x07: "heartbeat_timeout"
        default: CTPFormat.hex(UInt32(tag), digits: 2)
        }
    }

    private static func bigEndian(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ count: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in offset..<(offset + count) { value = value << 8 | UInt32(bytes[index]) }
        return value
    }
}

/// Small formatting helpers shared by the records.
enum CTPFormat {
    /// `0x` and `digits` upper-case hex digits (more when the value needs them).
    static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
