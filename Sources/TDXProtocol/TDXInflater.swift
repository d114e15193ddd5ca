import CDeflate
import CZlib

/// Inflates compressed reply bodies (zlib, RFC 1950) into one reused buffer, never past a cap.
///
/// A body is first inflated whole by libdeflate, about twice as fast as zlib; only a body it
/// does not take (one that overflows the cap, is cut short or is corrupt) goes through zlib,
/// which says how many bytes came out before the end. The outcome is the same either way.
/// One inflater serves every session of a decoder: both states are set up once (zlib's is reset
/// per body, as a fresh `inflateInit` allocates its window each time). It is not thread-safe; a
/// decoder (with its sessions) belongs to one pipeline thread.
package final class TDXInflater: @unchecked Sendable {
    /// What inflating one body gave.
    enum Outcome: Equatable {
        /// The stream ended cleanly after `count` bytes, with `trailing` input bytes after its end.
        case complete(count: Int, trailing: Int)
        /// More than `cap` bytes would come out; the first `cap` are in the buffer.
        case overflow(count: Int)
        /// The input ended before the stream's end marker; `count` bytes came out.
        case truncated(count: Int)
        /// zlib rejected the data after `count` bytes.
        case corrupt(count: Int)
    }

    /// The most bytes one body may inflate to.
    let capacity: Int
    /// Where the inflated bytes go.
    let buffer: UnsafeMutablePointer<UInt8>
    private var stream = z_stream()
    private var ready = false
    private let fast: OpaquePointer?
    /// Bodies inflated so far.
    private(set) var inflated = 0

    /// An inflater whose bodies may inflate to `capacity` bytes.
    init(capacity: Int) {
        self.capacity = max(1, capacity)
        buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity + 1)
        ready = inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        fast = libdeflate_alloc_decompressor()
    }

    deinit {
        if ready { inflateEnd(&stream) }
        if let fast { libdeflate_free_decompressor(fast) }
        buffer.deallocate()
    }

    /// Whether two bytes are a zlib header: deflate with a window up to 32 KiB, no preset
    /// dictionary, and a check value that makes CMF*256+FLG a multiple of 31.
    @inline(__always)
    static func headerValid(_ cmf: UInt8, _ flg: UInt8) -> Bool {
        cmf & 0x0F == 8 && cmf >> 4 <= 7 && flg & 0x20 == 0 && (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0
    }

    /// Inflates `input` into `buffer`, at most `limit` bytes (no more than `capacity`).
    func inflate(_ input: UnsafeRawBufferPointer, limit: Int) -> Outcome {
        inflated &+= 1
        guard ready, let base = input.baseAddress, !input.isEmpty else { return .corrupt(count: 0) }
        let cap = min(limit, capacity)
        if let fast {
            // Room for one byte more than allowed, as below; a body that needs more fails here.
            var consumed = 0
            var produced = 0
            let status = libdeflate_zlib_decompress_ex(fast, base, input.count, buffer, cap + 1, &consumed, &produced)
            if status == LIBDEFLATE_SUCCESS && produced <= cap {
                return .complete(count: produced, trailing: input.count - consumed)
            }
        }
        guard inflateReset(&stream) == Z_OK else { return .corrupt(count: 0) }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        // One byte more than allowed: producing it tells an overflow from an exact fit.
        stream.next_out = buffer
        stream.avail_out = uInt(cap + 1)
        let status = CZlib.inflate(&stream, Z_FINISH)
        let produced = cap + 1 - Int(stream.avail_out)
        switch status {
        case Z_STREAM_END:
            if produced > cap { return .overflow(count: cap) }
            return .complete(count: produced, trailing: Int(stream.avail_in))
        case Z_BUF_ERROR, Z_OK:
            if produced > cap { return .overflow(count: cap) }
            return .truncated(count: produced)
        default:
            return .corrupt(count: min(produced, cap))
        }
    }
}
