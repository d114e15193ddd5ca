import EventOutput
import RuleEngine

/// The rules and alerts part of the terminal summary.
package enum AlertSummary {
    /// Lines on the rules that ran (and, without a site file or with keys missing from it, which
    /// rules are weaker or off), then the alerts by category with the main evidence of the first
    /// few of each.
    package static func render(_ stats: AlertStatistics, rules: RuleConfiguration) -> [String] {
        var lines: [String] = []
        let activations = rules.activations
        let weaker = activations.filter { if case .weaker = $0.activation { true } else { false } }
        let inactive = activations.filter { if case .inactive = $0.activation { true } else { false } }
        let replaced = activations.filter { if case .replaced = $0.activation { true } else { false } }
        var line = "  rules: \(stats.rulesActive) of \(stats.rulesLoaded) running"
        line += rules.site.source.map { ", site \($0)" } ?? ", no site file (--site): defaults"
        lines.append(line)
        if !inactive.isEmpty {
            lines.append("    off, they need site keys: " + describe(inactive.map { ($0.rule, missingKeys($0.activation)) }))
        }
        if !weaker.isEmpty {
            lines.append("    weaker without site keys: " + describe(weaker.map { ($0.rule, missingKeys($0.activation)) }))
        }
        if !replaced.isEmpty {
            lines.append("    replaced by registry checks: " + replaced.map { "\($0.rule.id)" }.joined(separator: ", "))
        }
        var alertLine = "  alerts: \(formatCount(stats.total))"
        if stats.engine.suppressed > 0 { alertLine += " (\(formatCount(stats.engine.suppressed)) more suppressed)" }
        lines.append(alertLine)
        for (category, count) in stats.byCategory where count > 0 {
            lines.append("    \(category.rawValue): \(formatCount(count))")
            for alert in stats.examples where alert.category == category {
                lines.append("      " + describe(alert))
            }
            if count > UInt64(AlertStatistics.examplesPerCategory) {
                lines.append("      ... and \(formatCount(count - UInt64(AlertStatistics.examplesPerCategory))) more")
            }
        }
        return lines
    }

    /// `[high] 1001 relay.ctp_session_many_investors flow_id=... : 2 distinct account (inv1, inv2) from 10.20.3.31, 2025-11-21T09:15:01`.
    static func describe(_ alert: Alert) -> String {
        let evidence = alert.evidence
        var text = "[\(alert.severity.rawValue)] \(alert.ruleID) \(alert.ruleName)"
        if !alert.groupText.isEmpty { text += " \(alert.groupText)" }
        if let distinct = evidence.distinct {
            let shown = distinct.values.prefix(6).joined(separator: ", ")
            text += ": \(distinct.total) distinct \(distinct.field) (\(shown)\(distinct.total > 6 ? ", ..." : ""))"
        } else if let threshold = evidence.threshold {
            text += ": \(evidence.count)"
            if let occurrence = evidence.occurrence {
                text += " times \(occurrence.threshold) in \(occurrence.window)"
            }
            if let window = evidence.window { text += " in \(window)" }
            if threshold != evidence.count { text += " (threshold \(threshold))" }
        }
        let source = alert.flow.source(alert.direction)
        let destination = alert.flow.destination(alert.direction)
        text += "; \(source.address):\(source.port) -> \(destination.address):\(destination.port) \(alert.protocolName)"
        text += " at \(EVETimestamp.format(alert.time).prefix(19))"
        return text
    }

    private static func missingKeys(_ activation: RuleActivation) -> [String] {
        switch activation {
        case .weaker(let keys), .inactive(let keys), .replaced(let keys): keys
        case .active: []
        }
    }

    /// `1003, 1005 (fix_sessions); 2003 (licensed_apps)`: rule ids grouped by the keys they miss.
    private static func describe(_ entries: [(Rule, [String])]) -> String {
        var groups: [(String, [Int])] = []
        for (rule, keys) in entries {
            let label = keys.joined(separator: ", ")
            if let index = groups.firstIndex(where: { $0.0 == label }) {
                groups[index].1.append(rule.id)
            } else {
                groups.append((label, [rule.id]))
            }
        }
        return groups.map { "\($0.1.map(String.init).joined(separator: ", ")) (\($0.0))" }.joined(separator: "; ")
    }
}
