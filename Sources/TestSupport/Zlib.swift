import CZlib

/// zlib compression for test data (FIXCOMP payloads): deterministic for a given input and level.
package enum Zlib {
    /// `bytes` as one zlib stream (RFC 1950) compressed at `level` (0-9).
    package static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(capacity))
        let status = out.withUnsafeMutableBufferPointer { target in
            bytes.withUnsafeBufferPointer { source in
                compress2(target.baseAddress, &capacity, source.baseAddress, uLong(source.count), level)
            }
        }
        precondition(status == Z_OK, "compress2 failed: \(status)")
        out.removeLast(out.count - Int(capacity))
        return out
    }
}
