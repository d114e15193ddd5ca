/// A capture that cannot be opened or read, with a stable code and the file or interface it concerns.
package struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; compare errors by code.
    package enum Code: String, Sendable {
        /// The file does not exist or cannot be read.
        case cannotOpen = "cannot_open"
        /// The file is not a pcap or pcapng capture (or one libpcap cannot read).
        case notACapture = "not_a_capture"
        /// The live interface could not be opened or configured.
        case liveSetup = "live_setup"
        /// The BPF filter expression does not compile or cannot be set.
        case badFilter = "bad_filter"
    }

    /// The kind of failure.
    package var code: Code
    /// The file path or interface name.
    package var source: String
    /// Why, in words (libpcap's or the system's).
    package var reason: String

    /// An error of `code` about `source`.
    package init(_ code: Code, source: String, reason: String) {
        self.code = code
        self.source = source
        self.reason = reason
    }

    /// `"<source>": <reason>`, one line.
    package var description: String { "\"\(source)\": \(reason)" }
}
