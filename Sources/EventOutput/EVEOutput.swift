#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
private let systemClose = Glibc.close
#elseif canImport(Musl)
import Musl
private let systemWrite = Musl.write
private let systemClose = Musl.close
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
private let systemClose = Darwin.close
#endif

/// Buffered EVE JSON lines output to a file or to standard output (`-`).
///
/// Records are appended to an in-memory buffer and written with POSIX `write` (looping over
/// partial writes and `EINTR`) when the buffer passes `flushThreshold` bytes, on `flush()` and on
/// `close()`. Not thread-safe: one owner writes.
package final class EVEOutput {
    /// The default buffer size that triggers a write.
    package static let defaultFlushThreshold = 256 * 1024

    /// The path as given (`-` for standard output).
    package let path: String
    /// Buffered bytes beyond this are written out.
    package let flushThreshold: Int
    /// Bytes handed to the operating system so far.
    package private(set) var bytesWritten: UInt64 = 0

    private var descriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8]
    private var isClosed = false

    /// Opens `path` for writing (created with mode 0644; truncated unless `append`), or standard
    /// output when `path` is `-`. Throws `OutputError` with code `.openFailed`.
    package init(path: String, append: Bool = false, flushThreshold: Int = EVEOutput.defaultFlushThreshold) throws {
        self.path = path
        self.flushThreshold = max(1, flushThreshold)
        buffer = []
        buffer.reserveCapacity(self.flushThreshold + 64 * 1024)
        if path == "-" {
            descriptor = STDOUT_FILENO
            ownsDescriptor = false
            return
        }
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC)
        var opened: Int32
        repeat {
            opened = open(path, flags, 0o644)
        } while opened < 0 && errno == EINTR
        guard opened >= 0 else {
            throw OutputError(code: .openFailed, path: path, errno: errno)
        }
        descriptor = opened
        ownsDescriptor = true
    }

    deinit {
        if !isClosed {
            try? close()
        }
    }

    /// Appends the writer's bytes (whole records) and empties the writer for reuse; writes out
    /// when the buffer passes the threshold.
    package func append(_ writer: inout JSONWriter) throws {
        try writer.withBytes { try write($0) }
        writer.reset()
    }

    /// Appends raw bytes (whole JSON lines); writes out when the buffer passes the threshold.
    package func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends raw bytes (whole JSON lines) from memory the caller holds.
    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !isClosed else { throw OutputError(code: .closed, path: path, reason: "already closed") }
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushThreshold {
            try flush()
        }
    }

    /// Writes out everything buffered. On failure the unwritten bytes stay buffered.
    package func flush() throws {
        guard !isClosed else { throw OutputError(code: .closed, path: path, reason: "already closed") }
        guard !buffer.isEmpty else { return }
        var written = 0
        let failure: Int32? = buffer.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return nil }
            while written < raw.count {
                let result = systemWrite(descriptor, base + written, raw.count - written)
                if result > 0 {
                    written += result
                } else if result < 0 && errno == EINTR {
                    continue
                } else if result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    var waiter = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&waiter, 1, -1)
                } else {
                    return result < 0 ? errno : EIO
                }
            }
            return nil
        }
        bytesWritten &+= UInt64(written)
        if written == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else {
            buffer.removeFirst(written)
        }
        if let failure {
            throw OutputError(code: .writeFailed, path: path, errno: failure)
        }
    }

    /// Flushes, then closes the file (standard output is flushed, not closed). Later writes throw
    /// `.closed`; closing twice does nothing.
    package func close() throws {
        guard !isClosed else { return }
        defer { isClosed = true }
        var flushError: Error?
        do { try flush() } catch { flushError = error }
        if ownsDescriptor {
            // Linux closes the descriptor even when close() reports EINTR: never retry.
            if systemClose(descriptor) != 0 && flushError == nil {
                throw OutputError(code: .closeFailed, path: path, errno: errno)
            }
        }
        if let flushError { throw flushError }
    }
}
