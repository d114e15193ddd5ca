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
    let match: MatchProgram
    let aggregate: RuleAggregate?
    let groupBy: [FieldRef]
    let distinctField: FieldRef?
    let evidenceFields: [FieldRef]
    let suppress: RuleSuppression?
    /// The position of `groupBy` among the engine's distinct group-by lists (-1: no groups).
    var keyList = -1
    /// The groups (nil without an aggregate): a table this rule may share with rules that read
    /// the same events and group them the same way, and its own lane in it.
    let groups: GroupTable?
    let lane: GroupLane?
    /// `groups`, `lane` and `detector` as `evaluate` reads them for every event: without a retain
    /// and a release each time (this runtime holds them).
    private let groupsReference: Unmanaged<GroupTable>?
    private let laneReference: Unmanaged<GroupLane>?
    private unowned(unsafe) let detectorReference: (any RuleDetector)?
    var suppressedUntil: [RuleKey: Int64] = [:]
    private var nextSweep = Int64.min
    private var evicted: UInt64 = 0
    private let maxGroups: Int

    /// `table`: the groups of an earlier rule that reads the same events and groups them by the
    /// same fields (`EventMatch.selectsSameEvents`), to share; nil: a table of its own.
    init(
        rule: Rule, after: [Int], unless: [Int], detector: (any RuleDetector)?, gate: Int?, sharing table: GroupTable? = nil,
        limits: RuleEngine.Limits
    ) {
        self.rule = rule
        self.after = after
        self.unless = unless
        self.detector = detector
        self.gate = gate
        self.maxGroups = limits.groupsPerRule
        let aggregate = rule.aggregate
        self.match = MatchProgram(rule.match)
        self.aggregate = aggregate
        groupBy = aggregate?.groupBy ?? []
        distinctField = aggregate?.distinct
        evidenceFields = rule.evidence
        suppress = rule.suppress
        if let aggregate {
            let groups = table ?? GroupTable()
            let lane = groups.addLane(GroupShape(aggregate: aggregate, evidence: rule.evidence, limits: limits))
            self.groups = groups
            self.lane = lane
            groupsReference = Unmanaged.passUnretained(groups)
            laneReference = Unmanaged.passUnretained(lane)
        } else {
            groups = nil
            lane = nil
            groupsReference = nil
            laneReference = nil
        }
        detectorReference = detector
    }

    /// Groups dropped at the bound since the last call.
    func takeEvicted() -> UInt64 {
        defer { evicted = 0 }
        return evicted
    }

    /// Drops expired groups and suppression keys once a minute of packet time (a shared table
    /// sweeps once for all its rules).
    func sweepIfDue(_ time: Int64) {
        groupsReference?._withUnsafeGuaranteedRef { $0.sweepIfDue(time) }
        guard time >= nextSweep else { return }
        nextSweep = time + 60_000_000_000
        if !suppressedUntil.isEmpty {
            suppressedUntil = suppressedUntil.filter { $0.value > time }
        }
    }

    /// The evidence of the alerts `event` completes (before suppression).
    /// `key` is the event's group key (`event.key(groupBy)`), which the engine computes once for
    /// the rules sharing a `group_by`; `number` numbers the event (the rules sharing a table find
    /// its group once).
    func evaluate(
        _ event: TradingEvent, key: RuleKey?, number: UInt64, limits: RuleEngine.Limits, lists: RuleListCache
    ) -> [AlertEvidence] {
        if let detector = detectorReference { return detector.observe(event) }
        guard let groupsReference, let laneReference else { return [single(event, limits: limits)] }
        guard let key else { return [] }
        return groupsReference._withUnsafeGuaranteedRef { groups in
            laneReference._withUnsafeGuaranteedRef { evaluate(event, key: key, number: number, in: groups, lane: $0, lists: lists) }
        }
    }

    /// `evaluate` for a rule with groups, with the table and the rule's lane lent to it.
    private func evaluate(
        _ event: TradingEvent, key: RuleKey, number: UInt64, in groups: GroupTable, lane: GroupLane, lists: RuleListCache
    ) -> [AlertEvidence] {
        // Distinct values: one, or each element of a list field (the instruments of a subscription).
        var distinctValue: RuleValue?
        if let field = distinctField {
            guard let value = event.keyValue(field, lists: lists) else { return [] }
            if case .list(let elements) = value, elements.isEmpty { return [] }
            distinctValue = value
        }
        let group = groups.group(of: key, event: number, time: event.time.nanoseconds, limit: maxGroups, evicted: &evicted)
        guard lane.observe(group, event, distinctValue: distinctValue, lists: lists) else { return [] }
        let evidence = lane.evidence(group, key: groups.key(group), rule: rule, at: event.time)
        groups.finish(group, lane: lane)
        return [evidence]
    }

    private func single(_ event: TradingEvent, limits: RuleEngine.Limits) -> AlertEvidence {
        var evidence = AlertEvidence(firstTime: event.time, lastTime: event.time)
        for field in rule.suppress?.by ?? [] {
            if let value = event.value(field) { evidence.group.append((field.name, value.text)) }
        }
        evidence.flows = [event.flow.id]
        evidence.flowCount = 1
        for field in rule.evidence {
            if let value = event.value(field) {
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

/// What a reference condition remembers: the join keys of earlier matching events and when each
/// was last seen.
final class ReferenceMemory {
    let condition: ReferenceCondition
    /// `condition.match` as the engine tests it per event.
    let match: MatchProgram
    private var seen: [RuleKey: Int64] = [:]
    private let limit: Int
    private var nextSweep = Int64.min
    private let earlierFields: [FieldRef]
    private let currentFields: [FieldRef]

    init(_ condition: ReferenceCondition, limit: Int) {
        self.condition = condition
        match = MatchProgram(condition.match)
        self.limit = limit
        earlierFields = condition.same.map(\.earlier)
        currentFields = condition.same.map(\.current)
    }

    /// Whether an earlier event with the same key as `event` was seen (within the window).
    func seen(_ event: TradingEvent, at time: Int64) -> Bool {
        guard let key = event.key(currentFields), let last = seen[key] else { return false }
        if let within = condition.within { return time - last < within.nanoseconds }
        return true
    }

    /// Remembers `event` if it matches (`matched`, when given, says whether it does); returns how
    /// many keys the bound made it forget.
    func record(_ event: TradingEvent, at time: Int64, site: SiteIndex, matched: Bool? = nil) -> UInt64 {
        var dropped: UInt64 = 0
        if time >= nextSweep, let within = condition.within {
            nextSweep = time + 60_000_000_000
            seen = seen.filter { time - $0.value < within.nanoseconds }
        }
        guard matched ?? match.matches(event, site: site), let key = event.key(earlierFields) else { return 0 }
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
