/// The CRP layer's zero-run compression (method 3), undone.
///
/// ```
/// 0xE0 b        the byte b itself (an escaped 0xE0...0xEF, or any byte)
/// 0xE1...0xEF   (b & 0x0F) zero bytes: 1...15
/// anything else itself
/// ```
/// Everything after the 2-byte CRP header is compressed, the FTDC header included.
enum CTPZeroRun {
    /// How a decompression ended.
    enum Status: Equatable {
        /// Every input byte was used.
        case complete
        /// The input ended right after an 0xE0 escape (the escaped byte is missing).
        case overrun
        /// The output would pass the capacity; the output holds what fitted.
        case tooLarge
    }

    /// Bytes the output buffer needs past its capacity: runs and literal words are stored whole.
    static let slack = 16

    /// Decompresses `input` into `output`, which has room for `capacity + slack` bytes; returns
    /// the bytes written and how it ended.
    @inline(__always)
    static func decompress(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>, capacity: Int
    ) -> (count: Int, status: Status) {
        guard let source = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return (0, .complete) }
        let count = input.count
        var read = 0
        var written = 0
        while read < count {
            // Eight literal bytes at a time while none of them is 0xE0...0xEF.
            while read + 8 <= count && written + 8 <= capacity {
                let word = UnsafeRawPointer(source + read).loadUnaligned(as: UInt64.self)
                guard !hasMarker(word) else { break }
                UnsafeMutableRawPointer(output + written).storeBytes(of: word, as: UInt64.self)
                read += 8
                written += 8
            }
            guard read < count else { break }
            let byte = source[read]
            if byte & 0xF0 != 0xE0 {
                guard written < capacity else { return (written, .tooLarge) }
                output[written] = byte
                written += 1
                read += 1
            } else if byte == 0xE0 {
                guard read + 1 < count else { return (written, .overrun) }
                guard written < capacity else { return (written, .tooLarge) }
                output[written] = source[read + 1]
                written += 1
                read += 2
            } else {
                let run = Int(byte & 0x0F)
                guard written + run <= capacity else { return (written, .tooLarge) }
                // A run is at most 15 bytes: two word stores cover it (the buffer has slack).
                let target = UnsafeMutableRawPointer(output + written)
                target.storeBytes(of: UInt64(0), as: UInt64.self)
                target.storeBytes(of: UInt64(0), toByteOffset: 8, as: UInt64.self)
                written += run
                read += 1
            }
        }
        return (written, .complete)
    }

    /// The length `input` decompresses to, without writing it (nil when it ends inside an escape).
    static func decompressedLength(_ input: UnsafeRawBufferPointer) -> Int? {
        var read = 0
        var length = 0
        while read < input.count {
            let byte = input[read]
            if byte == 0xE0 {
                guard read + 1 < input.count else { return nil }
                read += 2
                length += 1
            } else if byte & 0xF0 == 0xE0 {
                length += Int(byte & 0x0F)
                read += 1
            } else {
                length += 1
                read += 1
            }
        }
        return length
    }

    /// Whether any byte of `word` is in 0xE0...0xEF.
    @inline(__always)
    private static func hasMarker(_ word: UInt64) -> Bool {
        // Bytes whose high nibble is E become zero; then the classic zero-byte test.
        let masked = (word & 0xF0F0_F0F0_F0F0_F0F0) ^ 0xE0E0_E0E0_E0E0_E0E0
        return (masked &- 0x0101_0101_0101_0101) & ~masked & 0x8080_8080_8080_8080 != 0
    }
}
