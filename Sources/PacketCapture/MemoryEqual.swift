#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether `a` and `b` hold the same bytes (libc's `memcmp`): the one byte comparison of the
/// reassembler's overlap check, the FIX decoder's value tests and the TDX request memo.
@inlinable
package func memoryEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    guard let first = a.baseAddress, let second = b.baseAddress else { return true }
    return memcmp(first, second, a.count) == 0
}
