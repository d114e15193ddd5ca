extension UnsafeRawBufferPointer {
    /// The big-endian 16-bit value at `offset`; the caller has checked that two bytes are there.
    @inlinable @inline(__always)
    func bigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// The big-endian 32-bit value at `offset`; the caller has checked that four bytes are there.
    @inlinable @inline(__always)
    func bigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// The bytes in `start..<end` as a buffer of their own (no copy); the caller has checked the bounds.
    @inlinable @inline(__always)
    func bytes(from start: Int, to end: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[start..<end])
    }
}
