#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a capture file could not be written; compared by `code`.
package struct CaptureWriteError: Error, Equatable, CustomStringConvertible {
    /// The stable kind of failure.
    package enum Code: String, Sendable {
        /// The file could not be opened or created.
        case openFailed = "capture_write.open_failed"
        /// A `write(2)` call failed.
        case writeFailed = "capture_write.write_failed"
        /// The writer was used after `close()`.
        case closed = "capture_write.closed"
    }

    /// The kind of failure.
    package var code: Code
    /// The file path (empty for in-memory output).
    package var path: String
    /// `errno` at the failure, or 0.
    package var systemError: Int32

    /// An error with all fields given.
    package init(code: Code, path: String, systemError: Int32) {
        self.code = code
        self.path = path
        self.systemError = systemError
    }

    /// The code, path and system error text.
    package var description: String {
        let reason = systemError == 0 ? "" : ": " + String(cString: strerror(systemError))
        return "\(code.rawValue) \(path)\(reason)"
    }
}

/// A byte sink for capture writers: either a file written through a large buffer with POSIX
/// `write`, or an in-memory `[UInt8]`.
///
/// Writes never throw, so that writing a packet costs a copy and nothing more; the first failure
/// is kept and reported by `flush()` or `close()`, and later writes are dropped.
package final class CaptureOutput {
    private let fileDescriptor: Int32
    private let path: String
    private let capacity: Int
    private var buffer: UnsafeMutableRawPointer
    private var used = 0
    private var memory: [UInt8] = []
    private var failure: CaptureWriteError?
    private var isClosed = false

    /// The number of bytes written so far (buffered bytes included).
    package private(set) var totalBytes: Int = 0

    /// Output into memory; read it back with `bytes`.
    package init() {
        self.fileDescriptor = -1
        self.path = ""
        self.capacity = 0
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 8)
    }

    /// Output to a file, created or truncated, written in chunks of `bufferSize` bytes.
    package init(path: String, bufferSize: Int = 4 << 20) throws(CaptureWriteError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if descriptor < 0 {
            throw CaptureWriteError(code: .openFailed, path: path, systemError: errno)
        }
        self.fileDescriptor = descriptor
        self.path = path
        self.capacity = max(bufferSize, 64 << 10)
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        if !isClosed { try? close() }
        buffer.deallocate()
    }

    /// Whether this output is in memory.
    package var isInMemory: Bool { fileDescriptor < 0 }

    /// The bytes written so far, for in-memory output (empty for files).
    package var bytes: [UInt8] { memory }

    /// Appends raw bytes.
    @inline(__always)
    package func write(_ bytes: UnsafeRawBufferPointer) {
        totalBytes += bytes.count
        if fileDescriptor < 0 {
            memory.append(contentsOf: bytes)
            return
        }
        if failure != nil { return }
        if used + bytes.count > capacity {
            drain()
            if bytes.count >= capacity {
                writeFully(bytes)
                return
            }
        }
        if let base = bytes.baseAddress, !bytes.isEmpty {
            (buffer + used).copyMemory(from: base, byteCount: bytes.count)
            used += bytes.count
        }
    }

    /// Appends a byte array.
    @inline(__always)
    package func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Appends `count` zero bytes.
    package func writeZeros(_ count: Int) {
        guard count > 0 else { return }
        let zeros = [UInt8](repeating: 0, count: count)
        write(zeros)
    }

    /// Appends a 16-bit value, little-endian.
    @inline(__always)
    package func writeLittleEndian(_ value: UInt16) {
        withUnsafeBytes(of: value.littleEndian) { write($0) }
    }

    /// Appends a 32-bit value, little-endian.
    @inline(__always)
    package func writeLittleEndian(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { write($0) }
    }

    /// Appends a 64-bit value, little-endian.
    @inline(__always)
    package func writeLittleEndian(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { write($0) }
    }

    /// Writes the buffered bytes to the file and reports the first failure so far.
    package func flush() throws(CaptureWriteError) {
        if isClosed { throw CaptureWriteError(code: .closed, path: path, systemError: 0) }
        drain()
        if let failure { throw failure }
    }

    /// Flushes and closes the file; later calls do nothing. Throws the first failure, if any.
    package func close() throws(CaptureWriteError) {
        if isClosed { return }
        drain()
        isClosed = true
        if fileDescriptor >= 0 && systemClose(fileDescriptor) != 0 && failure == nil {
            failure = CaptureWriteError(code: .writeFailed, path: path, systemError: errno)
        }
        if let failure { throw failure }
    }

    private func drain() {
        guard fileDescriptor >= 0, used > 0, failure == nil else { return }
        writeFully(UnsafeRawBufferPointer(start: buffer, count: used))
        used = 0
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) {
        guard var cursor = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = systemWrite(fileDescriptor, cursor, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                failure = CaptureWriteError(code: .writeFailed, path: path, systemError: errno)
                return
            }
            cursor += written
            remaining -= written
        }
    }
}

#if canImport(Glibc)
private let systemClose = Glibc.close
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemClose = Darwin.close
private let systemWrite = Darwin.write
#endif
