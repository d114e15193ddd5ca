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
    /// Rules by kind then protocol, built on first sight of each pair.
    private var index: [String: [String: [Int]]] = [:]
    private var memoryIndex: [String: [String: [Int]]] = [:]
    /// Field-presence gates shared by rules (`RuleRuntime.gate`), and their answers for the current event.
    private let gates: [[String]]
    private var gateAnswers: [UInt8]

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
        var gates: [[String]] = []
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
            var gate: Int?
            if let fields = RuleEngine.gateFields(rule.match) {
                if let known = gates.firstIndex(of: fields) {
                    gate = known
                } else {
                    gate = gates.count
                    gates.append(fields)
                }
            }
            runtimes.append(RuleRuntime(rule: rule, after: after, unless: unless, detector: detector, gate: gate, limits: limits))
        }
        self.runtimes = runtimes
        self.memories = memories
        self.gates = gates
        gateAnswers = Array(repeating: 0, count: gates.count)
        statistics.alertsByRule = running.map { ($0.id, 0) }
    }

    /// Non-connection fields of which an event needs at least one to match (nil: no such set):
    /// a required field of `where`, or one per alternative of `any`. Rules sharing a set share one
    /// check per event.
    static func gateFields(_ match: EventMatch) -> [String]? {
        func required(_ predicates: [RulePredicate]) -> String? {
            for predicate in predicates where predicate.field.connection == nil {
                if case .exists(false) = predicate.op { continue }
                return predicate.field.name
            }
            return nil
        }
        if let field = required(match.all) { return [field] }
        guard !match.any.isEmpty else { return nil }
        var fields: [String] = []
        for alternative in match.any {
            guard let field = required(alternative) else { return nil }
            if !fields.contains(field) { fields.append(field) }
        }
        return fields.sorted()
    }

    /// Whether no rule runs.
    package var isEmpty: Bool { runtimes.isEmpty }

    private func positions(kind: String, protocolName: String) -> [Int] {
        if let found = index[kind]?[protocolName] { return found }
        var list: [Int] = []
        for (position, runtime) in runtimes.enumerated() {
            let match = runtime.rule.match
            if let kinds = match.kinds, !kinds.contains(kind) { continue }
            if let protocols = match.protocols, !protocols.contains(protocolName) { continue }
            list.append(position)
        }
        index[kind, default: [:]][protocolName] = list
        return list
    }

    private func memoryPositions(kind: String, protocolName: String) -> [Int] {
        if let found = memoryIndex[kind]?[protocolName] { return found }
        var list: [Int] = []
        for (position, memory) in memories.enumerated() {
            let match = memory.condition.match
            if let kinds = match.kinds, !kinds.contains(kind) { continue }
            if let protocols = match.protocols, !protocols.contains(protocolName) { continue }
            list.append(position)
        }
        memoryIndex[kind, default: [:]][protocolName] = list
        return list
    }

    private func passes(gate: Int, _ view: EventView) -> Bool {
        switch gateAnswers[gate] {
        case 1: return true
        case 2: return false
        default:
            let open = gates[gate].contains { view.has($0) }
            gateAnswers[gate] = open ? 1 : 2
            return open
        }
    }

    /// Looks at one event (events must come in packet-time order); appends the alerts it
    /// completes to `alerts`, in rule-id order.
    package func process(_ event: TradingEvent, into alerts: inout [Alert]) {
        statistics.events &+= 1
        let view = EventView(event)
        let time = event.time.nanoseconds
        let kind = event.kind.rawValue
        if !gateAnswers.isEmpty {
            for gate in gateAnswers.indices { gateAnswers[gate] = 0 }
        }
        for position in positions(kind: kind, protocolName: event.protocolName) {
            let runtime = runtimes[position]
            if let gate = runtime.gate, !passes(gate: gate, view) { continue }
            runtime.sweepIfDue(time)
            guard runtime.match.matches(view, site: site, indexed: true) else { continue }
            guard runtime.after.allSatisfy({ memories[$0].seen(view, at: time) }) else { continue }
            guard !runtime.unless.contains(where: { memories[$0].seen(view, at: time) }) else { continue }
            for evidence in runtime.evaluate(view, limits: limits) {
                if let suppress = runtime.rule.suppress {
                    // A missing field is an empty part of the key.
                    var key = RuleKey()
                    for field in suppress.by { key.append(view.keyValue(field) ?? .text("")) }
                    if let until = runtime.suppressedUntil[key], until > time {
                        statistics.suppressed &+= 1
                        continue
                    }
                    runtime.suppressedUntil[key] = time + suppress.duration.nanoseconds
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
        for position in memoryPositions(kind: kind, protocolName: event.protocolName) {
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
    /// The field-presence gate this rule needs (an index into the engine's gates).
    let gate: Int?
    /// Parts of `rule` read per event, held apart so that reading them copies nothing else.
    let match: EventMatch
    let aggregate: RuleAggregate?
    let groupBy: [FieldRef]
    let distinctField: FieldRef?
    let evidenceFields: [FieldRef]
    /// What the rule's groups share (nil without an aggregate).
    let shape: GroupShape?
    var groups: [RuleKey: GroupState] = [:]
    var suppressedUntil: [RuleKey: Int64] = [:]
    private var nextSweep = Int64.min
    private var evicted: UInt64 = 0
    private let maxGroups: Int
    /// The longest window the state spans.
    private let span: Int64

    init(rule: Rule, after: [Int], unless: [Int], detector: (any RuleDetector)?, gate: Int?, limits: RuleEngine.Limits) {
        self.rule = rule
        self.after = after
        self.unless = unless
        self.detector = detector
        self.gate = gate
        self.maxGroups = limits.groupsPerRule
        let aggregate = rule.aggregate
        self.match = rule.match
        self.aggregate = aggregate
        groupBy = aggregate?.groupBy ?? []
        distinctField = aggregate?.distinct
        evidenceFields = rule.evidence
        shape = aggregate.map { GroupShape(aggregate: $0, evidence: rule.evidence, limits: limits) }
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
        guard let shape else { return [single(view, limits: limits)] }
        guard let key = view.key(groupBy) else { return [] }
        // Distinct values: one, or each element of a list field (the instruments of a subscription).
        var distinctValue: RuleValue?
        if let field = distinctField {
            guard let value = view.keyValue(field) else { return [] }
            if case .list(let elements) = value, elements.isEmpty { return [] }
            distinctValue = value
        }
        let state: GroupState
        if let known = groups[key] {
            state = known
        } else {
            if groups.count >= maxGroups { evictOldest() }
            state = GroupState(key: key, shape: shape)
            groups[key] = state
        }
        guard state.observe(view, distinctValue: distinctValue) else { return [] }
        let evidence = state.evidence(rule: rule, at: view.time)
        groups[key] = nil
        return [evidence]
    }

    private func evictOldest() {
        let target = maxGroups * 9 / 10
        let ordered = groups.map { (key: $0.key, last: $0.value.last, text: $0.key.text) }
            .sorted { $0.last != $1.last ? $0.last < $1.last : $0.text < $1.text }
        for entry in ordered.prefix(groups.count - target) {
            groups[entry.key] = nil
            evicted &+= 1
        }
    }

    private func single(_ view: EventView, limits: RuleEngine.Limits) -> AlertEvidence {
        var evidence = AlertEvidence(firstTime: view.time, lastTime: view.time)
        for field in rule.suppress?.by ?? [] {
            if let value = view.value(field) { evidence.group.append((field.name, value.text)) }
        }
        evidence.flows = [view.event.flow.id]
        evidence.flowCount = 1
        for field in rule.evidence {
            if let value = view.value(field) {
                evidence.fields.append((field.name, Self.elements(value).prefix(limits.evidenceValues).map(\.text), false))
            }
        }
        return evidence
    }

    /// A value, or the elements of a list.
    static func elements(_ value: RuleValue) -> [RuleValue] {
        if case .list(let elements) = value { return elements }
        return [value]
    }
}

/// What every group of one rule shares: thresholds, windows, evidence layout.
private final class GroupShape {
    let aggregate: RuleAggregate
    let window: Int64
    let span: Int64
    let threshold: Int
    let countsDistinct: Bool
    let countsOccurrences: Bool
    let counter: CounterShape
    let occurrences: CounterShape
    let evidenceFields: [FieldRef]
    let flowSlot: Int
    let flowCap: Int
    let listed: Int
    let storeCap: Int

    init(aggregate: RuleAggregate, evidence: [FieldRef], limits: RuleEngine.Limits) {
        self.aggregate = aggregate
        window = aggregate.window.nanoseconds
        span = (aggregate.occurrences?.window ?? aggregate.window).nanoseconds
        threshold = aggregate.threshold
        countsDistinct = aggregate.distinct != nil
        countsOccurrences = aggregate.occurrences != nil
        counter = CounterShape(threshold: countsDistinct ? 1 : aggregate.threshold, window: window)
        occurrences = CounterShape(
            threshold: aggregate.occurrences?.threshold ?? 1, window: aggregate.occurrences?.window.nanoseconds ?? 1
        )
        evidenceFields = evidence
        flowSlot = evidence.count
        flowCap = limits.flowIDs
        listed = limits.evidenceValues
        storeCap = max(limits.evidenceValues, limits.flowIDs)
    }
}

/// One group's windows.
private final class GroupState {
    let key: RuleKey
    let shape: GroupShape
    var counter = WindowCounter()
    var distinct: ValueWindow<RuleValue>
    /// Occurrences of the inner threshold (when the rule counts them).
    var occurrences = WindowCounter()
    /// Evidence values, one slot per evidence field, then the flow ids.
    var evidence: EvidenceStore
    var last: Int64 = 0

    init(key: RuleKey, shape: GroupShape) {
        self.key = key
        self.shape = shape
        distinct = ValueWindow(cap: shape.countsDistinct ? shape.threshold : 0)
        evidence = EvidenceStore(cap: shape.storeCap)
    }

    /// Counts the event; returns whether the count (or the occurrences) reached the threshold.
    func observe(_ view: EventView, distinctValue: RuleValue?) -> Bool {
        let time = view.time.nanoseconds
        let shape = self.shape
        last = time
        evidence.evict(before: time - shape.span + 1)
        evidence.add(.number(Double(view.event.flow.id)), slot: shape.flowSlot, at: time)
        let fields = shape.evidenceFields
        for position in fields.indices {
            guard let value = view.keyValue(fields[position]) else { continue }
            if case .list(let elements) = value {
                for element in elements { evidence.add(element, slot: position, at: time) }
            } else {
                evidence.add(value, slot: position, at: time)
            }
        }
        let inner: Bool
        if shape.countsDistinct {
            distinct.evict(before: time - shape.window + 1)
            if case .list(let elements)? = distinctValue {
                for element in elements { distinct.add(element, at: time) }
            } else if let distinctValue {
                distinct.add(distinctValue, at: time)
            }
            inner = distinct.count >= shape.threshold
        } else {
            inner = counter.add(time, shape.counter)
        }
        guard inner else { return false }
        guard shape.countsOccurrences else { return true }
        let reached = occurrences.add(time, shape.occurrences)
        // One occurrence counted: the inner count starts again.
        counter.removeAll()
        distinct.removeAll()
        return reached
    }

    func evidence(rule: Rule, at time: Timestamp) -> AlertEvidence {
        let shape = self.shape
        let aggregate = shape.aggregate
        var first = time.nanoseconds
        if shape.countsOccurrences, let oldest = occurrences.oldest(shape.occurrences) {
            first = oldest
        } else if shape.countsDistinct, let start = distinct.firstTime {
            first = start
        } else if let oldest = counter.oldest(shape.counter) {
            first = oldest
        }
        if let start = self.evidence.firstTime(shape.flowSlot) { first = min(first, start) }
        var evidence = AlertEvidence(firstTime: Timestamp(nanoseconds: first), lastTime: time)
        evidence.group = zip(aggregate.groupBy, key.values).map { ($0.name, $1.text) }
        if shape.countsOccurrences {
            evidence.count = occurrences.count(shape.occurrences)
            evidence.threshold = aggregate.occurrences?.threshold
            evidence.window = aggregate.occurrences?.window
            evidence.occurrence = (aggregate.threshold, aggregate.window)
        } else {
            evidence.count = shape.countsDistinct ? distinct.count : counter.count(shape.counter)
            evidence.threshold = aggregate.threshold
            evidence.window = aggregate.window
        }
        if let field = aggregate.distinct, !shape.countsOccurrences {
            evidence.distinct = (field.name, distinct.values.prefix(shape.listed).map(\.text), distinct.count)
        }
        let flowValues = self.evidence.values(shape.flowSlot)
        let flowIDs = flowValues.prefix(shape.flowCap).compactMap { value -> UInt64? in
            if case .number(let number) = value { return UInt64(number) }
            return nil
        }
        evidence.flows = flowIDs
        evidence.flowCount = flowIDs.count + (self.evidence.more(shape.flowSlot) || flowValues.count > shape.flowCap ? 1 : 0)
        evidence.fields = rule.evidence.enumerated().map { position, field in
            let values = self.evidence.values(position)
            return (field.name, values.prefix(shape.listed).map(\.text), self.evidence.more(position) || values.count > shape.listed)
        }
        return evidence
    }
}

/// What a reference condition remembers: the join keys of earlier matching events and when each
/// was last seen.
private final class ReferenceMemory {
    let condition: ReferenceCondition
    private var seen: [RuleKey: Int64] = [:]
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
        guard let key = view.key(currentFields), let last = seen[key] else { return false }
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
        guard condition.match.matches(view, site: site, indexed: true), let key = view.key(earlierFields) else { return 0 }
        if seen[key] == nil && seen.count >= limit {
            let ordered = seen.map { (key: $0.key, last: $0.value, text: $0.key.text) }
                .sorted { $0.last != $1.last ? $0.last < $1.last : $0.text < $1.text }
            for entry in ordered.prefix(seen.count - limit * 9 / 10) {
                seen[entry.key] = nil
                dropped += 1
            }
        }
        seen[key] = time
        return dropped
    }
}
