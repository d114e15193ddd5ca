import FlowTracking
import PacketCapture

/// The short summary printed on standard error at the end of a run.
package enum Summary {
    /// A few lines: what was read, how fast, flows, reassembly, skipped packets and output.
    package static func render(
        _ outcome: RunOutcome, evePath: String?, statsRecord: Bool = true, rules: RuleConfiguration? = nil
    ) -> String {
        let stats = outcome.statistics
        let seconds = max(outcome.elapsedSeconds, 1e-9)
        var lines: [String] = []
        var read = "read \(formatCount(stats.packets)) packets, \(formatBytes(Int64(stats.bytes)))"
        if stats.files > 0 { read += " from \(stats.files) file\(stats.files == 1 ? "" : "s")" }
        read += " in \(formatFixed(outcome.elapsedSeconds, digits: 2)) s (\(formatBytes(Int64(Double(stats.bytes) / seconds)))/s"
        if outcome.workers > 1 {
            read += ", \(outcome.workers) workers"
            if let cpus = outcome.workerCPUs { read += " on CPUs \(cpus.map(String.init).joined(separator: ", "))" }
        }
        read += ")"
        lines.append(read)
        if let live = stats.live {
            lines.append("  kernel: \(formatCount(live.received)) received, \(formatCount(live.dropped)) dropped, \(formatCount(live.interfaceDropped)) dropped by the interface")
            if live.dropped > 0 || live.interfaceDropped > 0 {
                lines.append("  warning: \(formatCount(live.dropped &+ live.interfaceDropped)) packets were dropped before the tool saw them: flows with drops may be cut short or missed (a larger --buffer-mb, more --workers or a BPF filter may help)")
            }
        }
        lines.append("  flows: \(formatCount(stats.flows.tcp)) TCP, \(formatCount(stats.flows.udp)) UDP (at most \(formatCount(stats.flows.peakActive)) at once, \(formatCount(stats.flows.evicted)) evicted)")
        var tcp = "  tcp: \(formatBytes(Int64(stats.tcp.reassembledBytes))) reassembled, \(formatCount(stats.tcp.gaps)) gaps"
        if stats.tcp.gaps > 0 { tcp += " (\(formatBytes(Int64(stats.tcp.gapBytes))) lost)" }
        tcp += ", \(formatCount(stats.tcp.outOfOrderSegments)) out of order, \(formatBytes(Int64(stats.tcp.retransmittedBytes))) retransmitted"
        if stats.tcp.conflictingOverlaps > 0 { tcp += ", \(formatCount(stats.tcp.conflictingOverlaps)) conflicting overlaps" }
        lines.append(tcp)
        let skipped = SkipReason.allCases.filter { stats.skipped[$0] > 0 }
        if !skipped.isEmpty {
            let parts = skipped.map { "\($0.name) \(formatCount(stats.skipped[$0]))" }
            lines.append("  skipped: \(formatCount(stats.skipped.total)) packets (\(parts.joined(separator: ", ")))")
        }
        if let evePath {
            let target = evePath == "-" ? "standard output" : evePath
            let closing = statsRecord ? " and the stats record" : ""
            lines.append("  output: \(formatCount(stats.recordsWritten)) records\(closing) to \(target)")
        }
        if let rules, let alerts = stats.alerts {
            lines += AlertSummary.render(alerts, rules: rules)
        }
        return lines.joined(separator: "\n")
    }
}
