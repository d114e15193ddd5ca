/// Something wrong or unusual in a CTP stream. The raw values are stable names: they appear in the
/// output (`ctp.anomalies`, `trading.anomaly`), in the counters (`ctp.anomalies.<name>`) and rules
/// match on them.
package enum CTPAnomaly: String, Sendable, CaseIterable {
    /// Bytes that are not a CTP frame were skipped to find the next one.
    case junkSkipped = "junk_skipped"
    /// An FTD header whose Type is not 0 (link), 1 (FTDC) or 2 (compressed); the decoder resynchronises.
    case unknownFTDType = "unknown_ftd_type"
    /// An FTD header whose extension length is 1 or over 127; the decoder resynchronises.
    case badExtensionLength = "bad_ext_length"
    /// An extension tag whose length runs past the extension area.
    case badExtensionTag = "bad_ext_tag"
    /// ContentLength over 4096, the limit of SFIT's stack; the frame is decoded anyway.
    case contentOverLimit = "content_over_limit"
    /// A link frame (Type 0) that carries a body; the body is skipped.
    case bodyOnLinkFrame = "body_on_link_frame"
    /// A CRP header whose protocol byte is not 0x01 (FTDC); the frame is skipped.
    case unknownCRPType = "unknown_crp_type"
    /// A CRP compression method other than 0 (none) and 3 (zero runs); the frame is skipped.
    case unknownCompression = "unknown_compression"
    /// Zero-run compressed data ending in the middle of an escape (compression running past the frame).
    case compressionOverrun = "compression_overrun"
    /// Decompression gave more than 20 + 65535 bytes (more than an FTDC header can describe).
    case decompressedTooLarge = "decompressed_too_large"
    /// Fewer than 20 bytes where the FTDC header should be.
    case headerTruncated = "ftdc_header_truncated"
    /// The FTDC header's content length differs from the bytes that follow it.
    case contentLengthMismatch = "ftdc_length_mismatch"
    /// A field (or a field header) running past the FTDC content.
    case fieldOverrun = "field_overrun"
    /// The FTDC header's field count differs from the fields found.
    case fieldCountMismatch = "field_count_mismatch"
    /// An FTDC version byte not seen from any known API release (0x0C, 0x0F, 0x34).
    case unknownVersion = "unknown_version"
    /// A chain byte other than 'L' (last) and 'C' (continued).
    case badChain = "bad_chain"
    /// A multi-packet message longer than the limit (packets or bytes); what came so far is reported.
    case chainTooLong = "chain_too_long"
    /// A multi-packet message whose 'L' packet never came (another message, a gap or the end came first).
    case chainInterrupted = "chain_interrupted"
    /// A known field id with a length no API release uses; the longest layout that fits was used.
    case unknownFieldLength = "unknown_field_length"
    /// A TCP gap cut a frame.
    case truncatedAtGap = "truncated_at_gap"
    /// The stream ended in the middle of a frame.
    case truncatedAtEnd = "truncated_at_end"

    /// The anomaly's position in `allCases` (for bit sets and counter arrays).
    var index: Int {
        CTPAnomaly.allCases.firstIndex(of: self) ?? 0
    }
}

/// A set of anomalies of one message, in a word.
struct CTPAnomalySet: Equatable {
    private var bits: UInt32 = 0

    var isEmpty: Bool { bits == 0 }

    mutating func insert(_ anomaly: CTPAnomaly) { bits |= 1 << UInt32(anomaly.index) }

    mutating func formUnion(_ other: CTPAnomalySet) { bits |= other.bits }

    func contains(_ anomaly: CTPAnomaly) -> Bool { bits & (1 << UInt32(anomaly.index)) != 0 }

    /// The members, in declaration order.
    var members: [CTPAnomaly] { CTPAnomaly.allCases.filter(contains) }
}
