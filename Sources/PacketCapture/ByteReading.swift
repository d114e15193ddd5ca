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

extension String {
    /// The UTF-8 text `bytes` hold, each invalid sequence as U+FFFD: the string
    /// `String(decoding: bytes, as: UTF8.self)` makes, byte for byte (a test compares them), at
    /// about a quarter of its cost for short text. (`String(decoding:as:)` goes through its
    /// repairing decoder first; this copies the bytes into the new string, then validates them
    /// where they lie, and a string of up to 15 bytes is kept in the string itself.) The decoders
    /// make strings of names, accounts and codes by the million.
    @inlinable
    package init(utf8Bytes bytes: UnsafeRawBufferPointer) {
        self.init(unsafeUninitializedCapacity: bytes.count) { output in
            UnsafeMutableRawBufferPointer(output).copyMemory(from: bytes)
            return bytes.count
        }
    }

    /// `init(utf8Bytes:)` for typed bytes.
    @inlinable
    package init(utf8Bytes bytes: UnsafeBufferPointer<UInt8>) {
        self.init(utf8Bytes: UnsafeRawBufferPointer(bytes))
    }
}
