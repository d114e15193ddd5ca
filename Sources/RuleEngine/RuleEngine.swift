import FlowTracking
import PacketCapture
import ProtocolKit

/// Runs rules over trading events in packet-time order and raises alerts.
///
/// Every piece of state is keyed and bounded: per rule, groups (sliding windows of times or of
/// distinct values) and suppression keys; per reference condition, the keys of earlier events.
/// Expired state is swept in packet time; past the limits the least recently updated groups go
/// first (counted in `statistics`). Nothing reads the wall clock and nothing depends on hash
/// order, so the same events give the same alerts, byte for byte.
package final class RuleEngine {
    /// Bounds on the engine's state.
    package struct Limits: Sendable {
        /// Groups one rule holds at once.
        package var groupsPerRule = 100_000
        /// Keys one reference condition remembers.
        package var referenceKeys = 200_000
        /// Values an alert lists per evidence field, and distinct values beyond the threshold.
        package var evidenceValues = 16
        /// Flow ids an alert lists.
        package var flowIDs = 16

        /// The defaults.
        package init() {}
    }

    /// What the engine did, for the stats record and the summary.
    package struct Statistics: Sendable {
        /// Events looked at.
        package var events: UInt64 = 0
        /// Alerts raised.
        package var alerts: UInt64 = 0
        /// Alerts a rule's suppression held back.
        package var suppressed: UInt64 = 0
        /// Groups dropped because a rule reached `groupsPerRule`.
        package var groupsEvicted: UInt64 = 0
        /// Earlier-event keys dropped because a condition reached `referenceKeys`.
        package var referenceKeysEvicted: UInt64 = 0
        /// Alerts per rule id, in the order of the rules.
        package var alertsByRule: [(id: Int, count: UInt64)] = []

        /// No counts.
        package init() {}
    }

    /// The rules that run, sorted by id.
    package let rules: [Rule]
    /// The site registry.
    package let site: SiteIndex
    /// The bounds.
    package let limits: Limits
    /// What was done so far.
    package private(set) var statistics = Statistics()

    private let runtimes: [RuleRuntime]
    private let memories: [ReferenceMemory]
    private var rulesByKind: [String: [Int]] = [:]
    private var rulesForAnyKind: [Int] = []
    private var memoriesByKind: [String: [Int]] = [:]
    private var memoriesForAnyKind: [Int] = []

    /// An engine running those of `rules` that are active with `site` (see `Rule.activation`);
    /// `detectors` make the stateful detectors rules name.
    package init(rules: [Rule], site: SiteRegistry, detectors: [DetectorDefinition] = [], limits: Limits = Limits()) {
        let index = SiteIndex(site)
        let running = rules.filter { $0.activation(with: site).runs }.sorted { $0.id < $1.id }
        self.rules = running
        self.site = index
        self.limits = limits
        var memories: [ReferenceMemory] = []
        var runtimes: [RuleRuntime] = []
        for rule in running {
            var after: [Int] = []
            var unless: [Int] = []
            for condition in rule.after {
                after.append(memories.count)
                memories.append(ReferenceMemory(condition, limit: limits.referenceKeys))
            }
            for condition in rule.unless {
                unless.append(memories.count)
                memories.append(ReferenceMemory(condition, limit: limits.referenceKeys))
            }
            var detector: (any RuleDetector)?
            if let spec = rule.detector, let definition = detectors.first(where: { $0.name == spec.name }) {
                detector = definition.make(spec.parameters, index)
            }
            runtimes.append(RuleRuntime(rule: rule, after: after, unless: unless, detector: detector, limits: limits))
        }
        self.runtimes = runtimes
        self.memories = memories
        for (position, runtime) in runtimes.enumerated() {
            if let kinds = runtime.rule.match.kinds {
                for kind in kinds { rulesByKind[kind, default: []].append(position) }
            } else {
                rulesForAnyKind.append(position)
            }
        }
        for kind in rulesByKind.keys { rulesByKind[kind] = (rulesByKind[kind]! + rulesForAnyKind).sorted() }
        for (position, memory) in memories.enumerated() {
            if let kinds = memory.condition.match.kinds {
                for kind in kinds { memoriesByKind[kind, default: []].append(position) }
            } else {
                memoriesForAnyKind.append(position)
            }
        }
        for kind in memoriesByKind.keys { memoriesByKind[kind] = (memoriesByKind[kind]! + memoriesForAnyKind).sorted() }
        statistics.alertsByRule = running.map { ($0.id, 0) }
    }

    /// Whether no rule runs.
    package var isEmpty: Bool { runtimes.isEmpty }

    /// Looks at one event (events must come in packet-time order); appends the alerts it
    /// completes to `alerts`, in rule-id order.
    package func process(_ event: TradingEvent, into alerts: inout [Alert]) {
        statistics.events &+= 1
        let view = EventView(event)
        let time = event.time.nanoseconds
        for position in rulesByKind[event.kind.rawValue] ?? rulesForAnyKind {
            let runtime = runtimes[position]
            runtime.sweepIfDue(time)
            guard runtime.rule.match.matches(view, site: site) else { continue }
            guard runtime.after.allSatisfy({ memories[$0].seen(view, at: time) }) else { continue }
            guard !runtime.unless.contains(where: { memories[$0].seen(view, at: time) }) else { continue }
            for evidence in runtime.evaluate(view, limits: limits) {
                // A missing field is an empty part of the key.
                let suppressionKey = runtime.rule.suppress.map { spec in
                    spec.by.map { view.value($0)?.text ?? "" }.joined(separator: "\u{1F}")
                }
                if let suppressionKey, let duration = runtime.rule.suppress?.duration {
                    if let until = runtime.suppressedUntil[suppressionKey], until > time {
                        statistics.suppressed &+= 1
                        continue
                    }
                    runtime.suppressedUntil[suppressionKey] = time + duration.nanoseconds
                }
                statistics.alerts &+= 1
                statistics.alertsByRule[position].count &+= 1
                let rule = runtime.rule
                alerts.append(Alert(
                    ruleID: rule.id, ruleName: rule.name, signature: rule.signature, category: rule.category,
                    severity: rule.severity, time: event.time, flow: event.flow, direction: event.direction,
                    protocolName: event.protocolName, evidence: evidence
                ))
            }
            statistics.groupsEvicted &+= runtime.takeEvicted()
        }
        // Earlier-event conditions learn from the event after the rules have read it: "earlier"
        // means strictly before.
        for position in memoriesByKind[event.kind.rawValue] ?? memoriesForAnyKind {
            statistics.referenceKeysEvicted &+= memories[position].record(view, at: time, site: site)
        }
    }

    /// Convenience: the alerts of `events`, in order.
    package func run(_ events: [TradingEvent]) -> [Alert] {
        var alerts: [Alert] = []
        for event in events { process(event, into: &alerts) }
        return alerts
    }
}

/// One rule's state.
private final class RuleRuntime {
    let rule: Rule
    let after: [Int]
    let unless: [Int]
    let detector: (any RuleDetector)?
    var groups: [String: GroupState] = [:]
    var suppressedUntil: [String: Int64] = [:]
    private var nextSweep = Int64.min
    private var evicted: UInt64 = 0
    private let maxGroups: Int
    /// The longest window the state spans.
    private let span: Int64

    init(rule: Rule, after: [Int], unless: [Int], detector: (any RuleDetector)?, limits: RuleEngine.Limits) {
        self.rule = rule
        self.after = after
        self.unless = unless
        self.detector = detector
        self.maxGroups = limits.groupsPerRule
        let aggregate = rule.aggregate
        span = (aggregate?.occurrences?.window ?? aggregate?.window)?.nanoseconds ?? 0
    }

    func takeEvicted() -> UInt64 {
        defer { evicted = 0 }
        return evicted
    }

    /// Drops expired groups and suppression keys once a minute of packet time.
    func sweepIfDue(_ time: Int64) {
        guard time >= nextSweep else { return }
        nextSweep = time + 60_000_000_000
        if !groups.isEmpty {
            let cutoff = time - span
            groups = groups.filter { $0.value.last >= cutoff }
        }
        if !suppressedUntil.isEmpty {
            suppressedUntil = suppressedUntil.filter { $0.value > time }
        }
    }

    /// The evidence of the alerts `view` completes (before suppression).
    func evaluate(_ view: EventView, limits: RuleEngine.Limits) -> [AlertEvidence] {
        if let detector { return detector.observe(view) }
        guard let aggregate = rule.aggregate else { return [single(view, limits: limits)] }
        guard let key = view.key(aggregate.groupBy) else { return [] }
        // Distinct values: one, or each element of a list field (the instruments of a subscription).
        var distinctValues: [String] = []
        if let field = aggregate.distinct {
            guard let value = view.value(field) else { return [] }
            if case .list(let elements) = value {
                distinctValues = elements.map(\.text)
                guard !distinctValues.isEmpty else { return [] }
            } else {
                distinctValues = [value.text]
            }
        }
        let time = view.time.nanoseconds
        let keyText = key.joined(separator: "\u{1F}")
        let state: GroupState
        if let known = groups[keyText] {
            state = known
        } else {
            if groups.count >= maxGroups { evictOldest() }
            state = GroupState(key: key, rule: rule, aggregate: aggregate, limits: limits)
            groups[keyText] = state
        }
        state.observe(view, distinctValues: distinctValues, rule: rule)
        guard state.crossed(at: time) else { return [] }
        let evidence = state.evidence(rule: rule, at: view.time)
        groups[keyText] = nil
        return [evidence]
    }

    private func evictOldest() {
        let target = maxGroups * 9 / 10
        let ordered = groups.sorted { $0.value.last != $1.value.last ? $0.value.last < $1.value.last : $0.key < $1.key }
        for (key, _) in ordered.prefix(groups.count - target) {
            groups[key] = nil
            evicted &+= 1
        }
    }

    private func single(_ view: EventView, limits: RuleEngine.Limits) -> AlertEvidence {
        var evidence = AlertEvidence(firstTime: view.time, lastTime: view.time)
        let groupFields = rule.suppress?.by ?? []
        for field in groupFields {
            if let value = view.value(field) { evidence.group.append((field.name, value.text)) }
        }
        evidence.flows = [view.event.flow.id]
        evidence.flowCount = 1
        for field in rule.evidence {
            if let value = view.value(field) {
                evidence.fields.append((field.name, Self.texts(value, cap: limits.evidenceValues), false))
            }
        }
        return evidence
    }

    static func texts(_ value: RuleValue, cap: Int) -> [String] {
        if case .list(let elements) = value { return Array(elements.prefix(cap).map(\.text)) }
        return [value.text]
    }
}

/// One group's windows.
private final class GroupState {
    let key: [String]
    let window: Int64
    let span: Int64
    var times: TimeRing
    var distinct: ValueWindow<String>
    var occurrences: TimeRing?
    var evidence: [ValueWindow<String>]
    var flows: ValueWindow<UInt64>
    var last: Int64 = 0
    let threshold: Int
    let countsDistinct: Bool
    let listed: Int

    init(key: [String], rule: Rule, aggregate: RuleAggregate, limits: RuleEngine.Limits) {
        self.key = key
        window = aggregate.window.nanoseconds
        span = (aggregate.occurrences?.window ?? aggregate.window).nanoseconds
        threshold = aggregate.threshold
        countsDistinct = aggregate.distinct != nil
        listed = limits.evidenceValues
        times = TimeRing(capacity: countsDistinct ? 1 : aggregate.threshold)
        distinct = ValueWindow(cap: countsDistinct ? aggregate.threshold : 0)
        occurrences = aggregate.occurrences.map { TimeRing(capacity: $0.threshold) }
        evidence = rule.evidence.map { _ in ValueWindow(cap: limits.evidenceValues) }
        flows = ValueWindow(cap: limits.flowIDs)
    }

    func observe(_ view: EventView, distinctValues: [String], rule: Rule) {
        let time = view.time.nanoseconds
        last = time
        if countsDistinct {
            distinct.evict(before: time - window + 1)
            for value in distinctValues { distinct.add(value, at: time) }
        } else {
            times.push(time)
        }
        flows.evict(before: time - span + 1)
        flows.add(view.event.flow.id, at: time)
        for (position, field) in rule.evidence.enumerated() {
            evidence[position].evict(before: time - span + 1)
            guard let value = view.value(field) else { continue }
            for text in RuleRuntime.texts(value, cap: evidence[position].cap) { evidence[position].add(text, at: time) }
        }
    }

    /// Whether the count (or the occurrences) reached the threshold at `time`.
    func crossed(at time: Int64) -> Bool {
        let inner: Bool
        if countsDistinct {
            inner = distinct.count >= threshold
        } else {
            inner = times.isFull && time - (times.oldest ?? time) < window
        }
        guard inner else { return false }
        guard var ring = occurrences else { return true }
        ring.push(time)
        occurrences = ring
        // One occurrence counted: the inner count starts again.
        times.removeAll()
        distinct.removeAll()
        return ring.isFull && time - (ring.oldest ?? time) < span
    }

    func evidence(rule: Rule, at time: Timestamp) -> AlertEvidence {
        let aggregate = rule.aggregate
        var first = time.nanoseconds
        if let oldest = occurrences?.oldest {
            first = oldest
        } else if countsDistinct, let start = distinct.firstTime {
            first = start
        } else if let oldest = times.oldest {
            first = oldest
        }
        if let start = flows.firstTime { first = min(first, start) }
        var evidence = AlertEvidence(firstTime: Timestamp(nanoseconds: first), lastTime: time)
        evidence.group = zip(aggregate?.groupBy ?? [], key).map { ($0.name, $1) }
        if let occurrences {
            evidence.count = occurrences.count
            evidence.threshold = aggregate?.occurrences?.threshold
            evidence.window = aggregate?.occurrences?.window
            if let aggregate { evidence.occurrence = (aggregate.threshold, aggregate.window) }
        } else {
            evidence.count = countsDistinct ? distinct.count : times.count
            evidence.threshold = aggregate?.threshold
            evidence.window = aggregate?.window
        }
        if let field = aggregate?.distinct, occurrences == nil {
            evidence.distinct = (field.name, Array(distinct.values.prefix(listed)), distinct.count)
        }
        evidence.flows = flows.values
        evidence.flowCount = flows.count + (flows.more ? 1 : 0)
        evidence.fields = zip(rule.evidence, self.evidence).map { ($0.name, $1.values, $1.more) }
        return evidence
    }
}

/// What a reference condition remembers: the join keys of earlier matching events and when each
/// was last seen.
private final class ReferenceMemory {
    let condition: ReferenceCondition
    private var seen: [String: Int64] = [:]
    private let limit: Int
    private var nextSweep = Int64.min
    private let earlierFields: [FieldRef]
    private let currentFields: [FieldRef]

    init(_ condition: ReferenceCondition, limit: Int) {
        self.condition = condition
        self.limit = limit
        earlierFields = condition.same.map(\.earlier)
        currentFields = condition.same.map(\.current)
    }

    /// Whether an earlier event with the same key as `view` was seen (within the window).
    func seen(_ view: EventView, at time: Int64) -> Bool {
        guard let key = view.key(currentFields), let last = seen[key.joined(separator: "\u{1F}")] else { return false }
        if let within = condition.within { return time - last < within.nanoseconds }
        return true
    }

    /// Remembers `view` if it matches; returns how many keys the bound made it forget.
    func record(_ view: EventView, at time: Int64, site: SiteIndex) -> UInt64 {
        var dropped: UInt64 = 0
        if time >= nextSweep, let within = condition.within {
            nextSweep = time + 60_000_000_000
            seen = seen.filter { time - $0.value < within.nanoseconds }
        }
        guard condition.match.matches(view, site: site), let key = view.key(earlierFields) else { return 0 }
        let text = key.joined(separator: "\u{1F}")
        if seen[text] == nil && seen.count >= limit {
            let ordered = seen.sorted { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }
            for (old, _) in ordered.prefix(seen.count - limit * 9 / 10) {
                seen[old] = nil
                dropped += 1
            }
        }
        seen[text] = time
        return dropped
    }
}
