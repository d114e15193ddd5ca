extension BuiltInPacks {
    /// One rule per decoder anomaly (STYLE.md: every anomaly has a stable name and a default
    /// rule), like Suricata's app-layer event rules. Each alerts once per flow an hour; the stats
    /// record counts every occurrence. The tests check that every anomaly a decoder declares has
    /// its rule here.
    static let hygiene = RulePack(name: "hygiene", yaml: hygieneYAML())

    /// (id, protocol, anomaly, severity, what it means).
    static let anomalies: [(Int, String, String, String, String)] = [
        (9101, "fix", "body_length_mismatch", "low", "BodyLength (9) does not point at the CheckSum field; the message was framed by its trailer"),
        (9102, "fix", "bad_checksum", "low", "CheckSum (10) does not match the sum of the message bytes"),
        (9103, "fix", "checksum_not_three_digits", "low", "CheckSum is not exactly three digits"),
        (9104, "fix", "non_canonical_tag", "low", "a tag written with leading zeros"),
        (9105, "fix", "malformed_field", "low", "a field that is not digits=value"),
        (9106, "fix", "junk_skipped", "low", "bytes that are not FIX were skipped to find the next message"),
        (9107, "fix", "truncated_at_gap", "low", "a message was cut by a gap in the TCP stream"),
        (9108, "fix", "truncated_at_end", "low", "the stream ended in the middle of a message"),
        (9109, "fix", "message_too_large", "medium", "a message longer than the size limit was skipped"),
        (9110, "fix", "missing_msg_type", "low", "MsgType (35) is missing or not the third field"),
        (9111, "fix", "bad_compression", "medium", "a FIXCOMP payload that does not inflate"),
        (9112, "fix", "sequence_gap", "low", "MsgSeqNum went forward by more than one"),
        (9113, "fix", "sequence_regression", "medium", "MsgSeqNum went backwards without PossDupFlag"),
        (9114, "fix", "data_length_overrun", "medium", "a length field whose data runs past the message"),
        (9115, "fix", "group_count_mismatch", "low", "a NumInGroup count differs from the group entries that follow"),
        (9201, "ctp", "junk_skipped", "low", "bytes that are not a CTP frame were skipped"),
        (9202, "ctp", "unknown_ftd_type", "low", "an FTD header whose Type is not 0, 1 or 2"),
        (9203, "ctp", "bad_ext_length", "low", "an FTD extension length of 1 or over 127"),
        (9204, "ctp", "bad_ext_tag", "low", "an extension tag running past the extension area"),
        (9205, "ctp", "content_over_limit", "medium", "ContentLength over 4096, the limit of SFIT's stack"),
        (9206, "ctp", "body_on_link_frame", "low", "a link frame (Type 0) that carries a body"),
        (9207, "ctp", "unknown_crp_type", "low", "a CRP header whose protocol byte is not FTDC"),
        (9208, "ctp", "unknown_compression", "low", "a CRP compression method other than none and zero runs"),
        (9209, "ctp", "compression_overrun", "medium", "zero-run compressed data ending in the middle of an escape"),
        (9210, "ctp", "decompressed_too_large", "medium", "decompression gave more than an FTDC header can describe"),
        (9211, "ctp", "ftdc_header_truncated", "low", "fewer than 20 bytes where the FTDC header should be"),
        (9212, "ctp", "ftdc_length_mismatch", "low", "the FTDC content length differs from the bytes that follow"),
        (9213, "ctp", "field_overrun", "medium", "a field running past the FTDC content"),
        (9214, "ctp", "field_count_mismatch", "low", "the FTDC field count differs from the fields found"),
        (9215, "ctp", "unknown_version", "low", "an FTDC version byte no known API release sends"),
        (9216, "ctp", "bad_chain", "low", "a chain byte other than L and C"),
        (9217, "ctp", "chain_too_long", "medium", "a multi-packet message longer than the limit"),
        (9218, "ctp", "chain_interrupted", "low", "a multi-packet message whose last packet never came"),
        (9219, "ctp", "unknown_field_length", "low", "a known field id with a length no API release uses"),
        (9220, "ctp", "truncated_at_gap", "low", "a TCP gap cut a frame"),
        (9221, "ctp", "truncated_at_end", "low", "the stream ended in the middle of a frame"),
        (9301, "tdx", "junk_skipped", "low", "bytes that are not a TDX frame were skipped to find the next one"),
        (9302, "tdx", "request_length_mismatch", "low", "a request whose two length fields differ"),
        (9303, "tdx", "bad_header", "low", "a reply header that is not a TDX reply (magic, flag)"),
        (9304, "tdx", "compression_flag_mismatch", "low", "a reply whose compression flag disagrees with its sizes"),
        (9305, "tdx", "body_over_cap", "medium", "a reply declaring an uncompressed size over the cap; not inflated"),
        (9306, "tdx", "zlib_bad_header", "medium", "a compressed body that does not start with a zlib header"),
        (9307, "tdx", "unpaired_reply", "low", "a reply that answers no request seen"),
        (9308, "tdx", "pending_overflow", "medium", "more requests waiting for replies than the limit"),
        (9309, "tdx", "truncated_at_gap", "low", "a TCP gap cut a frame"),
        (9310, "tdx", "truncated_at_end", "low", "the stream ended in the middle of a frame"),
        (9311, "tdx", "http_unframed", "low", "a TdxTradeServer HTTP message that cannot be framed"),
        (9312, "tdx", "http_body_over_cap", "medium", "a TdxTradeServer HTTP body over the cap"),
        (9313, "tdx", "zlib_corrupt", "medium", "a compressed body that zlib rejects"),
        (9314, "tdx", "zlib_truncated", "medium", "a compressed body whose zlib stream ends early"),
        (9315, "tdx", "zlib_trailing_data", "low", "bytes after the end of a body's zlib stream"),
        (9316, "tdx", "inflated_size_mismatch", "medium", "a body that inflates to another size than its header says"),
        (9317, "tdx", "body_truncated", "low", "a body shorter than its layout needs"),
        (9318, "tdx", "body_trailing_bytes", "low", "bytes left after the last record of a body"),
        (9319, "tdx", "http_bad_json", "low", "a TdxTradeServer JSON body that does not parse"),
    ]

    private static func hygieneYAML() -> String {
        var yaml = "pack: hygiene\ndescription: one rule per decoder anomaly\nrules:\n"
        for (id, protocolName, anomaly, severity, meaning) in anomalies {
            let other = protocolName == "fix" ? "ctp" : "fix"  // another decoder: must not match
            yaml += """
                  - id: \(id)
                    name: hygiene.\(protocolName).\(anomaly)
                    title: "\(protocolName.uppercased()) hygiene: \(anomaly)"
                    category: hygiene
                    severity: \(severity)
                    description: "\(meaning) (decoder anomaly '\(anomaly)'; one alert per flow an hour, every occurrence counted in the stats record)."
                    match:
                      protocol: \(protocolName)
                      any:
                        - {anomaly: \(anomaly)}
                        - {anomalies: \(anomaly)}
                    suppress: {by: [flow_id], for: 1h}
                    evidence: [kind, length]
                    tests:
                      - name: on decoded messages, once per flow
                        events: [{kind: message, protocol: \(protocolName), repeat: 3, fields: {anomalies: [\(anomaly)]}}]
                        expect: {alerts: 1}
                      - name: as an anomaly event
                        events: [{kind: anomaly, protocol: \(protocolName), fields: {anomaly: \(anomaly), length: 12}}]
                        expect: {alerts: 1}
                      - name: from another decoder
                        events: [{kind: anomaly, protocol: \(other), fields: {anomaly: \(anomaly)}}]
                        expect: {alerts: 0}

                """
        }
        return yaml
    }
}
