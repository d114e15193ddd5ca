import PacketCapture
import ProtocolKit

/// The abuse family a rule flags (the EVE `alert.category`).
package enum RuleCategory: String, Sendable, CaseIterable, Comparable {
    /// Account-splitting back-ends and relays trading for many accounts without a relay licence.
    case unlicensedRelay = "unlicensed-relay"
    /// Licence-keyed broker interfaces shared or rented out.
    case apiResale = "api-resale"
    /// Real-time quotes leaving the broker for unlicensed consumers.
    case marketDataLeakage = "market-data-leakage"
    /// Protocol and session anomalies.
    case hygiene

    package static func < (lhs: RuleCategory, rhs: RuleCategory) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// How urgent an alert is.
package enum RuleSeverity: String, Sendable, CaseIterable {
    case low, medium, high

    /// Suricata's number for it (1 most severe), written as `alert.severity`.
    package var suricataLevel: Int {
        switch self {
        case .high: 1
        case .medium: 2
        case .low: 3
        }
    }
}

/// A field a rule names, resolved against the vocabulary.
package struct FieldRef: Sendable, Hashable, CustomStringConvertible {
    /// The dotted name.
    package var name: String
    /// The type of its values.
    package var type: EventVocabulary.ValueType
    /// For fields computed from the flow, which one.
    package var connection: ConnectionField?
    /// Its number in the event vocabulary (-1: outside it), for `TradingEvent.present`.
    package let id: Int

    package init(name: String, type: EventVocabulary.ValueType, connection: ConnectionField?) {
        self.name = name
        self.type = type
        self.connection = connection
        id = EventVocabulary.eventFieldIDs[name] ?? -1
    }

    package var description: String { name }
}

/// The fields the engine computes from an event's flow, direction, protocol and kind.
package enum ConnectionField: String, Sendable, Hashable {
    case srcIP = "src_ip", srcPort = "src_port", destIP = "dest_ip", destPort = "dest_port"
    case srcNet24 = "src_net24", srcNet16 = "src_net16", destNet24 = "dest_net24"
    case clientIP = "client_ip", clientPort = "client_port", serverIP = "server_ip", serverPort = "server_port"
    case clientNet24 = "client_net24", clientNet16 = "client_net16"
    case flowID = "flow_id", direction, `protocol`, kind
}

/// A literal value in a rule, read once in the forms comparisons need.
package struct RuleLiteral: Sendable, Hashable, CustomStringConvertible {
    /// As written.
    package var text: String
    /// As a number, when it is one.
    package var number: Double?
    /// As an address, when it is one.
    package var address: IPAddress?

    /// The literal `text`.
    package init(_ text: String) {
        self.text = text
        self.number = Double(text)
        self.address = text.contains(".") || text.contains(":") ? IPNetwork.parseAddress(text) : nil
    }

    package var description: String { text }
}

/// A compiled regular expression (safe to share: matching does not mutate it).
package final class RuleRegex: @unchecked Sendable {
    /// The pattern as written.
    package let pattern: String
    let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws {
        self.pattern = pattern
        self.regex = try Regex(pattern)
    }

    /// Whether the pattern matches somewhere in `text` (anchor with ^ and $ for whole values).
    func matches(_ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }
}

/// What one predicate tests.
package indirect enum RuleOperator: Sendable {
    /// Equal to one of the literals (`eq`, `in`).
    case equals([RuleLiteral])
    /// An address inside one of the networks (`cidr`).
    case cidr([IPNetwork])
    /// The text matches (`regex`).
    case regex(RuleRegex)
    /// A numeric comparison (`gt`, `gte`, `lt`, `lte`).
    case compare(Comparison, Double)
    /// The field is present (`exists: true`) or absent (`exists: false`).
    case exists(Bool)
    /// In a site-registry list (`in_site`), looked up under the values of `key` for keyed lists.
    case site(SiteList, key: [FieldRef])
    /// Equal to another field of the same event (`eq_field`).
    case sameAs(FieldRef)
    /// An address of one of these classes (`ip_class`).
    case ipClass(Set<IPClass>)

    /// A numeric comparison.
    package enum Comparison: String, Sendable {
        case gt, gte, lt, lte
    }
}

/// One test on one field. Every operator but `exists` needs the field present: a negated
/// operator (`not_in`, `ne`, `not_in_site`...) holds when the field is present and the test fails.
package struct RulePredicate: Sendable {
    /// The field tested.
    package var field: FieldRef
    /// The test.
    package var op: RuleOperator
    /// Whether the written operator was the `not_`/`ne` form.
    package var negated: Bool
}

/// Which events a rule (or a reference condition) looks at.
package struct EventMatch: Sendable {
    /// Event kinds (nil: any).
    package var kinds: Set<String>?
    /// Protocols (nil: any).
    package var protocols: Set<String>?
    /// Direction (nil: either).
    package var direction: Direction?
    /// Predicates that must all hold (`where`).
    package var all: [RulePredicate] = []
    /// Alternatives of which at least one must hold in full (`any`), when given.
    package var any: [[RulePredicate]] = []
    /// Predicate sets none of which may hold in full (`not`).
    package var none: [[RulePredicate]] = []

    /// Every predicate, for walking the fields and site lists a rule uses.
    var predicates: [RulePredicate] { all + any.flatMap { $0 } + none.flatMap { $0 } }

    /// Whether `other` is written the same way, so that it selects the same events (false when
    /// in doubt: a regex compares by its pattern).
    func selectsSameEvents(as other: EventMatch) -> Bool {
        func same(_ a: [RulePredicate], _ b: [RulePredicate]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { $0.sameTest(as: $1) }
        }
        func same(_ a: [[RulePredicate]], _ b: [[RulePredicate]]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
        }
        return kinds == other.kinds && protocols == other.protocols && direction?.rawValue == other.direction?.rawValue
            && same(all, other.all) && same(any, other.any) && same(none, other.none)
    }
}

extension RulePredicate {
    /// Whether `other` tests the same field the same way.
    func sameTest(as other: RulePredicate) -> Bool {
        guard field == other.field, negated == other.negated else { return false }
        switch (op, other.op) {
        case let (.equals(a), .equals(b)): return a == b
        case let (.cidr(a), .cidr(b)): return a == b
        case let (.regex(a), .regex(b)): return a.pattern == b.pattern
        case let (.compare(a, x), .compare(b, y)): return a == b && x == y
        case let (.exists(a), .exists(b)): return a == b
        case let (.site(a, x), .site(b, y)): return a.index == b.index && x == y
        case let (.sameAs(a), .sameAs(b)): return a == b
        case let (.ipClass(a), .ipClass(b)): return a == b
        default: return false
        }
    }
}

/// Counting over a sliding window of packet time, per group.
package struct RuleAggregate: Sendable {
    /// The fields whose values make the group key.
    package var groupBy: [FieldRef]
    /// Count distinct values of this field (nil: count events).
    package var distinct: FieldRef?
    /// Alert when the count reaches this.
    package var threshold: Int
    /// The sliding window.
    package var window: RuleDuration
    /// When given, reaching `threshold` within `window` is one occurrence, and the alert needs
    /// this many occurrences within this longer window (the exchanges' "10 times a day, 10 orders
    /// in a second").
    package var occurrences: (threshold: Int, window: RuleDuration)?
}

/// An earlier event that must have been seen (`after`) or must not have been (`unless`).
package struct ReferenceCondition: Sendable {
    /// Which earlier events count.
    package var match: EventMatch
    /// Pairs (field of this event, field of the earlier event) that must be equal.
    package var same: [(current: FieldRef, earlier: FieldRef)]
    /// How far back the earlier event may be (nil: any time in the run).
    package var within: RuleDuration?
}

/// Quiet time after an alert, per key.
package struct RuleSuppression: Sendable {
    /// The fields whose values make the key (default: the aggregate's group).
    package var by: [FieldRef]
    /// How long.
    package var duration: RuleDuration
}

/// A stateful detector named by a rule, with its parameters.
package struct DetectorSpec: Sendable {
    /// The detector's name.
    package var name: String
    /// Its parameters, checked against the detector's definition.
    package var parameters: [String: DetectorParameter]
}

/// A parameter value of a stateful detector.
package enum DetectorParameter: Sendable, Equatable {
    case int(Int)
    case number(Double)
    case duration(RuleDuration)
    case string(String)
}

/// One detection rule.
package struct Rule: Sendable {
    /// Stable number (`alert.signature_id`).
    package var id: Int
    /// Dotted name (`alert.rule`).
    package var name: String
    /// Short message (`alert.signature`); the name when not given.
    package var title: String?
    /// The abuse family.
    package var category: RuleCategory
    /// How urgent.
    package var severity: RuleSeverity
    /// What it detects, why, and which thresholds are engineering defaults.
    package var description: String
    /// Sources (regulations, cases, documentation).
    package var references: [String] = []
    /// Known benign causes.
    package var falsePositives: [String] = []
    /// Site keys the rule needs; without them it is inactive.
    package var requiresSite: [String] = []
    /// Site keys whose presence makes the rule unnecessary (a default-threshold fallback).
    package var onlyWithoutSite: [String] = []
    /// Which events it looks at.
    package var match: EventMatch
    /// Counting, when the rule needs more than one event.
    package var aggregate: RuleAggregate?
    /// Earlier events that must have been seen.
    package var after: [ReferenceCondition] = []
    /// Earlier events that must not have been seen.
    package var unless: [ReferenceCondition] = []
    /// Quiet time after an alert.
    package var suppress: RuleSuppression?
    /// Fields whose values the alert reports.
    package var evidence: [FieldRef] = []
    /// A stateful detector doing the work instead of `aggregate`.
    package var detector: DetectorSpec?
    /// The rule's own test cases.
    package var tests: [RuleTest] = []
    /// Where it was read from.
    package var file: String
    /// Line of the rule in `file`.
    package var line: Int
    /// Column of the rule in `file`.
    package var column = 0

    /// The message of its alerts.
    package var signature: String { title ?? name }

    /// The site lists its predicates name (with reference conditions).
    package var siteLists: [SiteList] {
        var lists: [SiteList] = []
        let predicates = match.predicates + after.flatMap(\.match.predicates) + unless.flatMap(\.match.predicates)
        for predicate in predicates {
            if case .site(let list, _) = predicate.op, !lists.contains(list) { lists.append(list) }
        }
        return lists
    }

    /// Whether it runs with `site`, and if it is weaker, why.
    package func activation(with site: SiteRegistry) -> RuleActivation {
        let missing = requiresSite.filter { !site.provides($0) }
        if !missing.isEmpty { return .inactive(missingSite: missing) }
        let present = onlyWithoutSite.filter { site.provides($0) }
        if !present.isEmpty { return .replaced(bySite: present) }
        let absent = siteLists.map(\.siteKey).filter { !site.provides($0) }
        var unique: [String] = []
        for key in absent where !unique.contains(key) { unique.append(key) }
        if !unique.isEmpty || !onlyWithoutSite.isEmpty {
            return .weaker(missingSite: unique + onlyWithoutSite.filter { !unique.contains($0) })
        }
        return .active
    }
}

/// Whether a rule runs with a given site registry.
package enum RuleActivation: Sendable, Equatable {
    /// Runs as written.
    case active
    /// Runs, but on defaults: these site keys are absent (their lists are empty, or the rule is a
    /// default-threshold stand-in for a registry check).
    case weaker(missingSite: [String])
    /// Does not run: it needs these site keys.
    case inactive(missingSite: [String])
    /// Does not run: the site gives these keys, and a registry-based rule does the job.
    case replaced(bySite: [String])

    /// Whether the engine runs the rule.
    package var runs: Bool {
        switch self {
        case .active, .weaker: true
        case .inactive, .replaced: false
        }
    }
}
