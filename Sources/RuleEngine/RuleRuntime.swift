import FlowTracking
import PacketCapture
import ProtocolKit

/// One rule's state.
final class RuleRuntime {
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

    /// Groups dropped at the bound since the last call.
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
            state = GroupState(shape: shape)
            groups[key] = state
        }
        guard state.observe(view, distinctValue: distinctValue) else { return [] }
        let evidence = state.evidence(rule: rule, key: key, at: view.time)
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
final class GroupShape {
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

/// The windows only some rules need, kept apart so that a group of a plain count does not carry
/// them.
final class GroupExtras {
    /// Distinct values in the window (`distinct:` rules).
    var distinct: ValueWindow<RuleValue>
    /// Occurrences of the inner threshold (`occurrences:` rules).
    var occurrences = WindowCounter()

    init(cap: Int) {
        distinct = ValueWindow(cap: cap)
    }
}

/// One group's windows (its key is the dictionary's).
final class GroupState {
    let shape: GroupShape
    var counter = WindowCounter()
    /// Distinct values and occurrences, for the rules that count them.
    let extras: GroupExtras?
    /// Evidence values, one slot per evidence field, then the flow ids.
    var evidence: EvidenceStore
    var last: Int64 = 0

    init(shape: GroupShape) {
        self.shape = shape
        extras = shape.countsDistinct || shape.countsOccurrences
            ? GroupExtras(cap: shape.countsDistinct ? shape.threshold : 0) : nil
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
        if shape.countsDistinct, let extras {
            extras.distinct.evict(before: time - shape.window + 1)
            if case .list(let elements)? = distinctValue {
                for element in elements { extras.distinct.add(element, at: time) }
            } else if let distinctValue {
                extras.distinct.add(distinctValue, at: time)
            }
            inner = extras.distinct.count >= shape.threshold
        } else {
            inner = counter.add(time, shape.counter)
        }
        guard inner else { return false }
        guard shape.countsOccurrences, let extras else { return true }
        let reached = extras.occurrences.add(time, shape.occurrences)
        // One occurrence counted: the inner count starts again.
        counter.removeAll()
        extras.distinct.removeAll()
        return reached
    }

    func evidence(rule: Rule, key: RuleKey, at time: Timestamp) -> AlertEvidence {
        let shape = self.shape
        let aggregate = shape.aggregate
        let distinct = extras?.distinct ?? ValueWindow(cap: 0)
        let occurrences = extras?.occurrences ?? WindowCounter()
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
final class ReferenceMemory {
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

    /// Remembers `view` if it matches (`matched`, when given, says whether it does); returns how
    /// many keys the bound made it forget.
    func record(_ view: EventView, at time: Int64, site: SiteIndex, matched: Bool? = nil) -> UInt64 {
        var dropped: UInt64 = 0
        if time >= nextSweep, let within = condition.within {
            nextSweep = time + 60_000_000_000
            seen = seen.filter { time - $0.value < within.nanoseconds }
        }
        guard matched ?? condition.match.matches(view, site: site, indexed: true), let key = view.key(earlierFields) else { return 0 }
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
