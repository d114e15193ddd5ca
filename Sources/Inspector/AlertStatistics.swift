import EventOutput
import RuleEngine

/// What the rules raised in a run: counts for the stats record, and the first alerts of each
/// category for the terminal summary.
package struct AlertStatistics: Sendable {
    /// Rules loaded.
    package var rulesLoaded = 0
    /// Rules that ran (active with the site registry given).
    package var rulesActive = 0
    /// The engine's counters.
    package var engine = RuleEngine.Statistics()
    /// Alerts per category, in category order.
    package var byCategory: [(RuleCategory, UInt64)] = RuleCategory.allCases.map { ($0, 0) }
    /// Alerts per rule (id, name, count), in id order, rules without alerts left out.
    package var byRule: [(id: Int, name: String, count: UInt64)] = []
    /// The first alerts of each category (at most `examplesPerCategory`), in the order raised.
    package var examples: [Alert] = []
    /// How many alerts of a category the summary shows.
    package static let examplesPerCategory = 5

    /// No alerts.
    package init() {}

    /// Counts `alert`, keeping it as an example while its category has room.
    mutating func record(_ alert: Alert) {
        if let index = byCategory.firstIndex(where: { $0.0 == alert.category }) {
            byCategory[index].1 &+= 1
            if byCategory[index].1 <= UInt64(Self.examplesPerCategory) { examples.append(alert) }
        }
    }

    /// Alerts raised.
    package var total: UInt64 { engine.alerts }
}

extension JSONWriter {
    /// The `alerts` object of the stats record: totals, per category (all four, zeros included),
    /// per rule name (rules that alerted), and the engine's counters.
    package mutating func alertStatistics(_ stats: AlertStatistics) {
        key("alerts")
        beginObject()
        field("total", stats.engine.alerts)
        field("suppressed", stats.engine.suppressed)
        key("categories")
        beginObject()
        for (category, count) in stats.byCategory {
            key(category.rawValue)
            uint(count)
        }
        endObject()
        key("rules")
        beginObject()
        for entry in stats.byRule {
            key(entry.name)
            uint(entry.count)
        }
        endObject()
        field("rules_loaded", stats.rulesLoaded)
        field("rules_active", stats.rulesActive)
        field("events", stats.engine.events)
        field("groups_evicted", stats.engine.groupsEvicted)
        field("reference_keys_evicted", stats.engine.referenceKeysEvicted)
        endObject()
    }
}
