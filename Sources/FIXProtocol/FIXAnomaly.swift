/// Something wrong or unusual in a FIX stream. The raw values are stable names: they appear in
/// the output (`fix.anomalies`, `trading.anomaly`) and rules match on them.
package enum FIXAnomaly: String, Sendable, CaseIterable {
    /// BodyLength (9) does not point at the CheckSum field; the message was framed by its trailer.
    case bodyLengthMismatch = "body_length_mismatch"
    /// CheckSum (10) does not match the sum of the message bytes.
    case badChecksum = "bad_checksum"
    /// CheckSum is not exactly three digits (`10=81`).
    case checksumFormat = "checksum_not_three_digits"
    /// A tag written with leading zeros (`058=`).
    case nonCanonicalTag = "non_canonical_tag"
    /// A field that is not `digits=value`.
    case malformedField = "malformed_field"
    /// Bytes before a message that are not FIX were skipped to find the next message.
    case junkSkipped = "junk_skipped"
    /// A message was cut by a gap in the TCP stream.
    case truncatedAtGap = "truncated_at_gap"
    /// The stream ended in the middle of a message.
    case truncatedAtEnd = "truncated_at_end"
    /// A message longer than the size limit; it was skipped.
    case messageTooLarge = "message_too_large"
    /// MsgType (35) is missing or not the third field.
    case missingMsgType = "missing_msg_type"
    /// A FIXCOMP payload that does not inflate.
    case badCompression = "bad_compression"
    /// MsgSeqNum went forward by more than one.
    case sequenceGap = "sequence_gap"
    /// MsgSeqNum went backwards without PossDupFlag.
    case sequenceRegression = "sequence_regression"
    /// A length field (95, 90, 93, 212, ...) whose data runs past the message.
    case dataLengthOverrun = "data_length_overrun"
    /// A NumInGroup field whose count differs from the number of group entries that follow it
    /// (the entries found are kept).
    case groupCountMismatch = "group_count_mismatch"
}
