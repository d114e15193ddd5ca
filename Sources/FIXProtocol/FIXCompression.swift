import CZlib

/// Inflates FIXCOMP payloads (zlib streams).
enum FIXCompression {
    /// The inflated bytes, or nil when `bytes` is not a valid zlib stream or inflates past `limit`.
    static func inflate(_ bytes: UnsafeRawBufferPointer, limit: Int) -> [UInt8]? {
        guard let input = bytes.baseAddress, !bytes.isEmpty else { return nil }
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: input.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(bytes.count)
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let status: Int32 = chunk.withUnsafeMutableBytes { buffer in
                stream.next_out = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(buffer.count)
                return CZlib.inflate(&stream, Z_NO_FLUSH)
            }
            let produced = chunk.count - Int(stream.avail_out)
            output.append(contentsOf: chunk[0..<produced])
            if output.count > limit { return nil }
            if status == Z_STREAM_END { return output }
            if status != Z_OK { return nil }
            if stream.avail_in == 0 && produced == 0 { return nil }  // truncated stream
        }
    }
}
