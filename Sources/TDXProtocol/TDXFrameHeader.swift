/// The 12 bytes that start every TDX request (notes section 1.2; FINDINGS.md section 2), all
/// little-endian:
///
///     0       1              5       6         8         10        12
///     +-------+--------------+-------+---------+---------+---------+------------------+
///     | flag  | sequence id  | type  | len1    | len2    | command | body (len1 - 2)  |
///     +-------+--------------+-------+---------+---------+---------+------------------+
///
/// The flag is 0x0c (standard market), 0x01 (extended market) or 0x00 (the official client's
/// new-generation frames); the sequence id is chosen by the client and echoed in the reply; len1
/// and len2 are equal and count the command and the body, so the frame is 10 + len1 bytes.
struct TDXRequestHeader: Equatable {
    /// Bytes of the header, the command included.
    static let size = 12
    /// Bytes before the part len1 counts (flag, sequence id, type, len1, len2).
    static let lengthBase = 10

    var flag: UInt8
    /// Bytes 1-4 as a little-endian number (the wire order is kept for display by `TDXFormat.sequence`).
    var sequence: UInt32
    var packetType: UInt8
    var length1: UInt16
    var length2: UInt16
    var command: UInt16

    /// The header at `offset` (which must have 12 bytes).
    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        flag = bytes[offset]
        sequence = bytes.loadUnaligned(fromByteOffset: offset + 1, as: UInt32.self).littleEndian
        packetType = bytes[offset + 5]
        length1 = bytes.loadUnaligned(fromByteOffset: offset + 6, as: UInt16.self).littleEndian
        length2 = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt16.self).littleEndian
        command = bytes.loadUnaligned(fromByteOffset: offset + 10, as: UInt16.self).littleEndian
    }

    /// The flags a request starts with: standard market, extended market, the official client's
    /// new-generation frames.
    static let standardFlag: UInt8 = 0x0C
    static let extendedFlag: UInt8 = 0x01
    static let newGenerationFlag: UInt8 = 0x00

    /// Whether `flag` is one a request starts with.
    @inline(__always)
    static func flagKnown(_ flag: UInt8) -> Bool { flag == standardFlag || flag == extendedFlag || flag == newGenerationFlag }

    /// A known flag and two equal lengths that count at least the command.
    var plausible: Bool { Self.flagKnown(flag) && length1 == length2 && length1 >= 2 }

    /// The whole frame's length.
    var frameLength: Int { Self.lengthBase + Int(length1) }

    /// The body's length (after the command).
    var bodyLength: Int { Int(length1) - 2 }
}

/// The 16 bytes that start every TDX reply (notes section 1.3), all little-endian:
///
///     0               4      5              9      10        12          14          16
///     +---------------+------+--------------+------+---------+-----------+-----------+--------+
///     | b1 cb 74 00   | flag | sequence id  | ?    | command | wire size | raw size  | body   |
///     +---------------+------+--------------+------+---------+-----------+-----------+--------+
///
/// The flag echoes the request's, with 0x10 set when the body is compressed (0x0c -> 0x1c,
/// 0x01 -> 0x11); the body is `wire size` bytes, a zlib stream when the two sizes differ.
struct TDXReplyHeader: Equatable {
    /// Bytes of the header.
    static let size = 16
    /// The magic number every reply starts with, as a little-endian u32.
    static let magic: UInt32 = 0x0074_CBB1
    /// The flag bit that says the body is compressed.
    static let compressedBit: UInt8 = 0x10

    var flag: UInt8
    var sequence: UInt32
    /// Byte 9, meaning unknown (usually 0).
    var byte9: UInt8
    var command: UInt16
    var wireSize: UInt16
    var rawSize: UInt16

    /// The header at `offset` (which must have 16 bytes and the magic).
    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        flag = bytes[offset + 4]
        sequence = bytes.loadUnaligned(fromByteOffset: offset + 5, as: UInt32.self).littleEndian
        byte9 = bytes[offset + 9]
        command = bytes.loadUnaligned(fromByteOffset: offset + 10, as: UInt16.self).littleEndian
        wireSize = bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt16.self).littleEndian
        rawSize = bytes.loadUnaligned(fromByteOffset: offset + 14, as: UInt16.self).littleEndian
    }

    /// Whether the four bytes at `offset` are the reply magic.
    @inline(__always)
    static func hasMagic(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian == magic
    }

    /// Whether a flag byte is a request flag, possibly with the compression bit.
    @inline(__always)
    static func flagKnown(_ flag: UInt8) -> Bool {
        flag & ~compressedBit == 0x0C || flag & ~compressedBit == 0x01 || flag & ~compressedBit == 0x00
    }

    /// The request flag this reply echoes (without the compression bit).
    var requestFlag: UInt8 { flag & ~Self.compressedBit }

    /// Whether the body is a zlib stream: the sizes differ (what clients go by).
    var compressed: Bool { wireSize != rawSize }

    /// Whether the flag's compression bit agrees with the sizes.
    var flagAgrees: Bool { (flag & Self.compressedBit != 0) == compressed }

    /// The whole frame's length.
    var frameLength: Int { Self.size + Int(wireSize) }
}

/// Text forms shared by the records.
enum TDXFormat {
    /// A command or flag as `0x053e` (`digits` hex digits).
    static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// The sequence id's four bytes in wire order (`02189300`), as the notes and the ground truth write it.
    static func sequence(_ value: UInt32) -> String {
        bytes([UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)])
    }

    /// Lower-case hex of `bytes`.
    static func bytes<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
