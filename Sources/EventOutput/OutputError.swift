#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why writing the EVE output failed: a stable code, the path and the system's reason.
/// Errors compare (and hash) by code only, like swift-asn1's `ASN1Error`.
package struct OutputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stable kind of failure.
    package struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The stable name, such as `output.open_failed`.
        package var rawValue: String
        /// A code from its stable name.
        package init(rawValue: String) { self.rawValue = rawValue }

        /// The output file could not be opened or created.
        package static let openFailed = Code(rawValue: "output.open_failed")
        /// Writing buffered records failed.
        package static let writeFailed = Code(rawValue: "output.write_failed")
        /// Closing the file failed (data may not have reached the disk).
        package static let closeFailed = Code(rawValue: "output.close_failed")
        /// The output was used after `close()`.
        package static let closed = Code(rawValue: "output.closed")

        /// The stable name.
        package var description: String { rawValue }
    }

    /// The kind of failure.
    package var code: Code
    /// The output path as given (`-` for standard output).
    package var path: String
    /// The system's explanation (`Permission denied`) or a short text.
    package var reason: String
    /// The `errno` value, when the failure came from a system call.
    package var systemError: Int32?

    /// An error with all fields given.
    package init(code: Code, path: String, reason: String, systemError: Int32? = nil) {
        self.code = code
        self.path = path
        self.reason = reason
        self.systemError = systemError
    }

    /// An error for a failed system call, taking the reason from `errno` value `number`.
    package init(code: Code, path: String, errno number: Int32) {
        self.init(code: code, path: path, reason: Self.describe(errno: number), systemError: number)
    }

    /// `cannot open "x": Permission denied`.
    package var description: String {
        let verb = switch code {
        case .openFailed: "cannot open"
        case .writeFailed: "cannot write"
        case .closeFailed: "cannot close"
        case .closed: "cannot use closed output"
        default: code.rawValue
        }
        return "\(verb) \"\(path)\": \(reason)"
    }

    /// Errors are equal when their codes are.
    package static func == (lhs: OutputError, rhs: OutputError) -> Bool { lhs.code == rhs.code }

    /// Hashes the code only, consistent with `==`.
    package func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The C library's text for an `errno` value.
    private static func describe(errno number: Int32) -> String {
        guard let text = strerror(number) else { return "error \(number)" }
        return String(cString: text)
    }
}
