import CSupport

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
    ///
    /// The bulk goes sixteen bytes at a time in C with SSE2 (`tapsentry_zero_run_bulk`), what is
    /// left near the ends eight at a time here: the literal bytes before the first marker
    /// (0xE0...0xEF) in the word are stored as one word, then that marker is applied without a
    /// branch (a run's zeros and an escape's byte are both stored, and the positions move by what
    /// the marker says), so neither literals nor markers cost a mispredicted branch. Near the end
    /// of the input or of the capacity, bytes go one at a time.
    @inline(__always)
    static func decompress(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>, capacity: Int
    ) -> (count: Int, status: Status) {
        guard let source = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return (0, .complete) }
        let count = input.count
        var read = 0
        // Sixteen bytes at a time in C (SSE2); then eight at a time, then one at a time.
        var written = tapsentry_zero_run_bulk(source, count, output, capacity, &read)
        // 10 input bytes readable (a word and the two bytes after it), 24 output bytes writable (a word,
        // then a run's 16 zeros after up to 8 literals).
        while read + 10 <= count && written + 24 <= capacity {
            let raw = UnsafeRawPointer(source + read).loadUnaligned(as: UInt64.self)
            UnsafeMutableRawPointer(output + written).storeBytes(of: raw, as: UInt64.self)
            // In little-endian order the lowest marked byte is the first marker of the stream; with
            // no marker the count is 64, so 8 literals.
            let literals = markerBits(UInt64(littleEndian: raw)).trailingZeroBitCount &>> 3
            read &+= literals
            written &+= literals
            let hasMarker = literals < 8
            let marker = source[read]
            let next = source[read &+ 1]
            let isEscape = hasMarker && marker == 0xE0
            let isRun = hasMarker && marker & 0xF0 == 0xE0 && marker != 0xE0
            let target = UnsafeMutableRawPointer(output + written)
            target.storeBytes(of: UInt64(0), as: UInt64.self)
            target.storeBytes(of: UInt64(0), toByteOffset: 8, as: UInt64.self)
            target.storeBytes(of: isEscape ? next : 0, as: UInt8.self)
            written &+= (isRun ? Int(marker & 0x0F) : 0) &+ (isEscape ? 1 : 0)
            read &+= (isRun ? 1 : 0) &+ (isEscape ? 2 : 0)
        }
        while read < count {
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
                let target = UnsafeMutableRawPointer(output + written)
                target.storeBytes(of: UInt64(0), as: UInt64.self)
                target.storeBytes(of: UInt64(0), toByteOffset: 8, as: UInt64.self)
                written += run
                read += 1
            }
        }
        return (written, .complete)
    }

    /// Decompresses the first `prefix` bytes of `input` into `output` (which has room for
    /// `prefix + slack` bytes) and counts the length of the rest without writing it: what a count
    /// of messages needs from a packet (its FTDC header, its first field header, its length) at a
    /// fraction of the cost. Nil when the input does not decompress completely within `capacity`
    /// (the caller then decompresses it whole, to report how).
    @inline(__always)
    static func prefixAndLength(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>, prefix: Int, capacity: Int
    ) -> Int? {
        guard let source = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        let count = input.count
        var read = 0
        var length = 0
        while read < count && length < prefix {
            let byte = source[read]
            if byte & 0xF0 != 0xE0 {
                output[length] = byte
                length += 1
                read += 1
            } else if byte == 0xE0 {
                guard read + 1 < count else { return nil }
                output[length] = source[read + 1]
                length += 1
                read += 2
            } else {
                let target = UnsafeMutableRawPointer(output + length)
                target.storeBytes(of: UInt64(0), as: UInt64.self)
                target.storeBytes(of: UInt64(0), toByteOffset: 8, as: UInt64.self)
                length += Int(byte & 0x0F)
                read += 1
            }
        }
        // Eight bytes at a time: 8, less the markers, plus their runs. An escape (0xE0) adds 0
        // and makes the byte after it a literal, also when that byte opens the next word (`carry`).
        var carry = false
        // Each byte's output length (1 for a literal, the run for a marker, at most 15), added up
        // bytewise over up to 16 words before one horizontal sum.
        var lanes: UInt64 = 0
        var words = 0
        while read + 8 <= count {
            let word = UInt64(littleEndian: UnsafeRawPointer(source + read).loadUnaligned(as: UInt64.self))
            var markers = exactZeroBytes((word & 0xF0F0_F0F0_F0F0_F0F0) ^ 0xE0E0_E0E0_E0E0_E0E0)
            var escapes = exactZeroBytes(word ^ 0xE0E0_E0E0_E0E0_E0E0)
            if carry {
                markers &= ~0x80
                escapes &= ~0x80
            }
            if escapes & (escapes &<< 8) != 0 {
                // An escaped 0xE0 in the word: which 0xE0 escapes which is read byte by byte.
                if carry {
                    length += 1
                    read += 1
                    carry = false
                }
                let stop = min(read + 8, count)
                while read < stop {
                    guard let size = step(source, count, &read) else { return nil }
                    length += size
                }
                continue
            }
            markers &= ~(escapes &<< 8)
            let flags = markers &>> 7
            lanes &+= (word & 0x0F0F_0F0F_0F0F_0F0F & (flags &* 0xFF)) | (~flags & 0x0101_0101_0101_0101)
            words &+= 1
            if words == 16 {
                length &+= horizontalSum(lanes)
                lanes = 0
                words = 0
            }
            carry = escapes &>> 63 != 0
            read &+= 8
        }
        length &+= horizontalSum(lanes)
        if carry {
            guard read < count else { return nil }
            length += 1
            read += 1
        }
        while read < count {
            guard let size = step(source, count, &read) else { return nil }
            length += size
        }
        return length <= capacity ? length : nil
    }

    /// The output length of the input item at `read` (a literal, a run, an escape pair), which
    /// it steps over; nil for an escape with nothing after it.
    @inline(__always)
    private static func step(_ source: UnsafePointer<UInt8>, _ count: Int, _ read: inout Int) -> Int? {
        let byte = source[read]
        if byte == 0xE0 {
            guard read + 1 < count else { return nil }
            read += 2
            return 1
        }
        read += 1
        return byte & 0xF0 == 0xE0 ? Int(byte & 0x0F) : 1
    }

    /// The sum of the eight bytes of `lanes` (each at most 240, so 16-bit partial sums do not overflow).
    @inline(__always)
    private static func horizontalSum(_ lanes: UInt64) -> Int {
        let pairs = (lanes & 0x00FF_00FF_00FF_00FF) &+ ((lanes &>> 8) & 0x00FF_00FF_00FF_00FF)
        return Int((pairs &* 0x0001_0001_0001_0001) &>> 48)
    }

    /// The high bit of every zero byte of `word` (exact for every byte).
    @inline(__always)
    private static func exactZeroBytes(_ word: UInt64) -> UInt64 {
        let low = 0x7F7F_7F7F_7F7F_7F7F as UInt64
        return ~(((word & low) &+ low) | word | low)
    }

    /// The high bit of each byte of `word` in 0xE0...0xEF, exact up to the first such byte (the
    /// bits above it may be spurious, which the callers never look at).
    @inline(__always)
    private static func markerBits(_ word: UInt64) -> UInt64 {
        // Bytes whose high nibble is E become zero; then the classic zero-byte test.
        let masked = (word & 0xF0F0_F0F0_F0F0_F0F0) ^ 0xE0E0_E0E0_E0E0_E0E0
        return (masked &- 0x0101_0101_0101_0101) & ~masked & 0x8080_8080_8080_8080
    }
}
