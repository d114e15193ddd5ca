/// Something wrong or unusual in a TDX stream. The raw values are stable names: they appear in the
/// output (`tdx.anomalies`, `trading.anomaly`), in the counters (`tdx.anomalies.<name>`) and rules
/// match on them.
///
/// Two kinds: those told from frame headers and request bodies (`counted`), which are counted in
/// the stats record whether or not anyone wants events, and those found only by inflating and
/// decoding a reply body, which are reported in events only: the counting path never inflates, so
/// that the counters are the same with and without events.
package enum TDXAnomaly: String, Sendable, CaseIterable {
    /// Bytes that are not a TDX frame were skipped to find the next one.
    case junkSkipped = "junk_skipped"
    /// A request header in step with the stream whose two lengths differ, or that counts less than
    /// the command; the decoder resynchronises.
    case requestLengthMismatch = "request_length_mismatch"
    /// A frame in step with the stream that is neither a request (flag 0x0c, 0x01, 0x00) nor a
    /// reply (magic b1 cb 74 00 and a known flag); the decoder resynchronises.
    case badHeader = "bad_header"
    /// A reply whose flag's compression bit disagrees with its sizes (set with equal sizes, or
    /// clear with different ones).
    case compressionFlagMismatch = "compression_flag_mismatch"
    /// A reply whose declared uncompressed size is over the cap; the body is not inflated.
    case bodyOverCap = "body_over_cap"
    /// A compressed body that does not start with a zlib header (RFC 1950 CMF/FLG).
    case zlibBadHeader = "zlib_bad_header"
    /// A reply no request of the flow asked for (same sequence id and command), on a flow whose
    /// requests were all seen.
    case unpairedReply = "unpaired_reply"
    /// More requests waiting for their replies than the limit; the oldest was forgotten.
    case pendingOverflow = "pending_overflow"
    /// A TCP gap cut a frame.
    case truncatedAtGap = "truncated_at_gap"
    /// The stream ended in the middle of a frame.
    case truncatedAtEnd = "truncated_at_end"
    /// An HTTP message of the TdxTradeServer wrapper that cannot be framed (no Content-Length,
    /// chunked, headers too long); the rest of that direction is skipped.
    case httpUnframed = "http_unframed"
    /// An HTTP body of the wrapper over the cap; it is skipped, not decoded.
    case httpBodyOverCap = "http_body_over_cap"

    // Found only by inflating or decoding a body (events only).

    /// A compressed body that zlib rejects.
    case zlibCorrupt = "zlib_corrupt"
    /// A compressed body whose zlib stream ends before its end marker.
    case zlibTruncated = "zlib_truncated"
    /// Bytes after the end of a body's zlib stream (the wire size is larger than the stream).
    case zlibTrailingData = "zlib_trailing_data"
    /// A body that inflates to a size other than the header's uncompressed size.
    case inflatedSizeMismatch = "inflated_size_mismatch"
    /// A body shorter than its layout (its record count, fixed fields) needs.
    case bodyTruncated = "body_truncated"
    /// Bytes left after the last record a body's layout describes.
    case bodyTrailingBytes = "body_trailing_bytes"
    /// A JSON body of the HTTP wrapper that does not parse.
    case httpBadJSON = "http_bad_json"

    /// Whether the counting path finds it too (it is then counted in `tdx.anomalies.<name>`).
    package var counted: Bool {
        switch self {
        case .zlibCorrupt, .zlibTruncated, .zlibTrailingData, .inflatedSizeMismatch, .bodyTruncated, .bodyTrailingBytes,
            .httpBadJSON:
            false
        default:
            true
        }
    }

    /// The anomaly's position in `allCases` (for bit sets and counter arrays).
    var index: Int {
        TDXAnomaly.allCases.firstIndex(of: self) ?? 0
    }
}

/// A set of anomalies of one frame, in a word.
struct TDXAnomalySet: Equatable {
    private var bits: UInt32 = 0

    var isEmpty: Bool { bits == 0 }

    mutating func insert(_ anomaly: TDXAnomaly) { bits |= 1 << UInt32(anomaly.index) }

    mutating func formUnion(_ other: TDXAnomalySet) { bits |= other.bits }

    func contains(_ anomaly: TDXAnomaly) -> Bool { bits & (1 << UInt32(anomaly.index)) != 0 }

    /// The members, in declaration order.
    var members: [TDXAnomaly] { TDXAnomaly.allCases.filter(contains) }
}
