/// What a TDX session counts, reported into the stats record as `tdx.<name>` when its flow ends.
/// Everything here comes from frame headers and request bodies, so it is the same whether or not
/// anyone wants events (reply bodies are inflated only for events).
struct TDXCounters {
    var frames: UInt64 = 0
    var requests: UInt64 = 0
    var replies: UInt64 = 0
    var compressedReplies: UInt64 = 0
    /// Reply body bytes on the wire, and what the headers say they inflate to.
    var wireBytes: UInt64 = 0
    var rawBytes: UInt64 = 0
    /// Codes asked for in security-quotes requests (0x053e, 0x054c).
    var codesRequested: UInt64 = 0
    var heartbeats: UInt64 = 0
    var unansweredRequests: UInt64 = 0
    var resyncBytes: UInt64 = 0
    var quoteFlows: UInt64 = 0
    var extendedFlows: UInt64 = 0
    var newGenerationFlows: UInt64 = 0
    var pytdxSetupFlows: UInt64 = 0
    var officialLoginFlows: UInt64 = 0
    var pytdxExtendedFlows: UInt64 = 0
    var brokerConfigFlows: UInt64 = 0
    var pytdxHeartbeatFlows: UInt64 = 0
    var fixedSequenceFlows: UInt64 = 0
    var httpFlows: UInt64 = 0
    var httpMessages: UInt64 = 0
    var httpRequests: UInt64 = 0
    var httpEncrypted: UInt64 = 0
    var tradeFlows: UInt64 = 0
    var tradeBytes: UInt64 = 0
    var anomalies = [UInt64](repeating: 0, count: TDXAnomaly.allCases.count)
    /// Requests per command (`commands.<name>`), by position in `TDXCommand.all`; the last slot
    /// counts commands the notes do not name.
    var commands = [UInt64](repeating: 0, count: TDXCommand.all.count + 1)

    /// Counts one request of `command`.
    @inline(__always)
    mutating func countCommand(_ command: UInt16) {
        commands[TDXCommand.position(command) ?? TDXCommand.all.count] &+= 1
    }

    var list: [(String, UInt64)] {
        var out: [(String, UInt64)] = [
            ("frames", frames), ("requests", requests), ("replies", replies), ("compressed_replies", compressedReplies),
            ("reply_bytes_wire", wireBytes), ("reply_bytes_raw", rawBytes), ("codes_requested", codesRequested),
            ("heartbeats", heartbeats), ("unanswered_requests", unansweredRequests), ("resync_bytes_after_gap", resyncBytes),
            ("quote_flows", quoteFlows), ("extended_flows", extendedFlows), ("new_generation_flows", newGenerationFlows),
            ("pytdx_setup_flows", pytdxSetupFlows), ("official_login_flows", officialLoginFlows),
            ("pytdx_extended_flows", pytdxExtendedFlows), ("broker_config_flows", brokerConfigFlows),
            ("pytdx_heartbeat_flows", pytdxHeartbeatFlows), ("fixed_sequence_flows", fixedSequenceFlows),
            ("http_wrapper_flows", httpFlows), ("http_messages", httpMessages), ("http_requests", httpRequests),
            ("http_encrypted_requests", httpEncrypted), ("trade_channel_flows", tradeFlows), ("trade_channel_bytes", tradeBytes),
        ]
        for (index, command) in TDXCommand.all.enumerated() where commands[index] > 0 {
            out.append(("commands.\(command.name)", commands[index]))
        }
        if commands[TDXCommand.all.count] > 0 { out.append(("commands.unknown", commands[TDXCommand.all.count])) }
        for anomaly in TDXAnomaly.allCases where anomalies[anomaly.index] > 0 {
            out.append(("anomalies.\(anomaly.rawValue)", anomalies[anomaly.index]))
        }
        return out
    }
}
