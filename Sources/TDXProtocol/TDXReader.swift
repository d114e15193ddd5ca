import ProtocolKit

/// A body's layout ran past its end.
struct TDXShortBody: Error {}

/// A bounds-checked cursor over one body: little-endian integers, IEEE float32, TDX's
/// variable-length signed integers, ASCII codes and GBK text (notes section 1.4). Reads past the
/// end throw `TDXShortBody` and leave the position where it was.
struct TDXReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int

    init(_ bytes: UnsafeRawBufferPointer, at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    /// Bytes not read yet.
    var remaining: Int { bytes.count - position }

    @inline(__always)
    private func need(_ count: Int) throws(TDXShortBody) {
        guard count >= 0, bytes.count - position >= count else { throw TDXShortBody() }
    }

    mutating func skip(_ count: Int) throws(TDXShortBody) {
        try need(count)
        position += count
    }

    mutating func u8() throws(TDXShortBody) -> UInt8 {
        try need(1)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() throws(TDXShortBody) -> UInt16 {
        try need(2)
        defer { position += 2 }
        return bytes.loadUnaligned(fromByteOffset: position, as: UInt16.self).littleEndian
    }

    mutating func i16() throws(TDXShortBody) -> Int16 {
        Int16(bitPattern: try u16())
    }

    mutating func u32() throws(TDXShortBody) -> UInt32 {
        try need(4)
        defer { position += 4 }
        return bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian
    }

    /// An IEEE-754 float32 (pytdx's own decoder of these is wrong for small values; FINDINGS.md section 6).
    mutating func f32() throws(TDXShortBody) -> Float {
        Float(bitPattern: try u32())
    }

    /// A variable-length signed integer: the first byte holds bit 7 "more follows", bit 6 the sign
    /// and the lowest 6 bits of the magnitude; each next byte bit 7 "more follows" and the next 7
    /// bits, least significant group first. At most 9 bytes (62 bits of magnitude).
    @inline(__always)
    mutating func varint() throws(TDXShortBody) -> Int64 {
        try need(1)
        var at = position
        var byte = bytes[at]
        // One byte (most deltas): no loop.
        if byte & 0x80 == 0 {
            position = at &+ 1
            let magnitude = Int64(byte & 0x3F)
            return byte & 0x40 != 0 ? -magnitude : magnitude
        }
        at += 1
        let negative = byte & 0x40 != 0
        var magnitude = Int64(byte & 0x3F)
        var shift: Int64 = 6
        while byte & 0x80 != 0 {
            guard at < bytes.count, shift <= 55 else { throw TDXShortBody() }
            byte = bytes[at]
            at += 1
            magnitude |= Int64(byte & 0x7F) << shift
            shift += 7
        }
        position = at
        return negative ? -magnitude : magnitude
    }

    /// Reads past `count` varints, keeping nothing: a byte without bit 7 ends each. The same
    /// bytes are read and the same inputs refused as by `count` calls of `varint()` (a varint
    /// has at most 8 bytes with bit 7 set before the one that ends it). Eight bytes at a time
    /// while eight remain.
    @inline(__always)
    mutating func skipVarints(_ count: Int) throws(TDXShortBody) {
        var left = count
        var at = position
        // Bytes with bit 7 set so far in the varint being read.
        var run = 0
        if let base = bytes.baseAddress {
            while left > 0 && bytes.count &- at >= 8 {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                // Bit 7 of every byte that ends a varint.
                var ends = ~word & 0x8080_8080_8080_8080
                if ends == 0 {
                    run &+= 8
                    guard run <= 8 else { throw TDXShortBody() }
                    at &+= 8
                    continue
                }
                guard run &+ ends.trailingZeroBitCount / 8 <= 8 else { throw TDXShortBody() }
                let found = ends.nonzeroBitCount
                if found >= left {
                    for _ in 1..<left { ends &= ends &- 1 }
                    at &+= ends.trailingZeroBitCount / 8 &+ 1
                    left = 0
                    run = 0
                    break
                }
                left &-= found
                run = ends.leadingZeroBitCount / 8
                at &+= 8
            }
        }
        while left > 0 {
            guard at < bytes.count else { throw TDXShortBody() }
            let byte = bytes[at]
            at &+= 1
            if byte & 0x80 == 0 {
                left &-= 1
                run = 0
            } else {
                run &+= 1
                guard run <= 8 else { throw TDXShortBody() }
            }
        }
        position = at
    }

    /// The next `count` bytes as they are.
    mutating func take(_ count: Int) throws(TDXShortBody) -> UnsafeRawBufferPointer {
        try need(count)
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// `count` bytes of ASCII up to the first NUL (a security code).
    mutating func code(_ count: Int) throws(TDXShortBody) -> String {
        Self.text(try take(count), as: .ascii)
    }

    /// `count` bytes of GBK text up to the first NUL, as UTF-8.
    mutating func gbk(_ count: Int) throws(TDXShortBody) -> String {
        Self.text(try take(count), as: .gbk)
    }

    /// The bytes `count` from here, not moving.
    func peek(_ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[position..<(position + min(count, remaining))])
    }

    /// Text of `slot` up to its first NUL in `encoding`, with trailing spaces removed.
    static func text(_ slot: UnsafeRawBufferPointer, as encoding: TextEncoding) -> String {
        var end = 0
        while end < slot.count && slot[end] != 0 { end += 1 }
        while end > 0 && slot[end - 1] == 0x20 { end -= 1 }
        return Charset.decode(UnsafeRawBufferPointer(rebasing: slot[..<end]), as: encoding)
    }
}
