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

    /// Which events and fields the rules read (for decoders: `EventInterest.demand`).
    package let demand: EventDemand

    /// The detector kinds the rules may name, for `matchingCopy`.
    private let detectorDefinitions: [DetectorDefinition]

    private let runtimes: [RuleRuntime]
    /// `runtimes` as `run` reads them, for every rule an event reaches: without a retain and a
    /// release each time (`runtimes` keeps them alive).
    private let runtimeReferences: [Unmanaged<RuleRuntime>]
    private let memories: [ReferenceMemory]
    /// Rules by kind then protocol, built on first sight of each pair (kinds and protocols outside
    /// the vocabulary; those inside are in `slotReaches`).
    private var index: [String: [String: [Int]]] = [:]
    private var memoryIndex: [String: [String: [Int]]] = [:]
    /// For each (protocol, kind) of the vocabulary (`protocol * kinds + kind`): the rules that
    /// may match, in id order (a run of `reaches`), and the earlier-event conditions that may
    /// (a run of `memoryReaches`). Flat arrays of plain numbers, so that the loops over them per
    /// event retain nothing.
    private var slotReaches: [(first: Int, count: Int)] = []
    private var reaches: [Reach] = []
    private var slotMemories: [(first: Int, count: Int)] = []
    private var memoryReaches: [Int] = []
    /// Each rule's `match` (by position), and each condition's: read in place, not retained per
    /// event (the runtimes and memories that own them live as long as the engine).
    private let matchers: [Unmanaged<MatchProgram>]
    private let memoryMatchers: [Unmanaged<MatchProgram>]

    /// A rule a (protocol, kind) reaches, and the field-presence gate in front of it (-1: none);
    /// with the rule's group-by list (-1: none) and groups, so that `prefetchGroups` reads plain
    /// values instead of retaining the rule's runtime and table per event (the runtimes, which
    /// own the tables, live as long as the engine).
    private struct Reach {
        var position: Int
        var gate: Int
        var keyList: Int
        var groups: Unmanaged<GroupTable>?
    }
    /// Field-presence gates shared by rules (`RuleRuntime.gate`): each a run of `gateFields`
    /// (flat, so that asking one retains no list of its own); and their answers for the current
    /// event.
    private let gates: [(first: Int, count: Int)]
    private let gateFields: [(name: String, id: Int)]
    /// Distinct `group_by` lists, and per list the key of the event numbered in `keyEvents`.
    private let keyLists: [[FieldRef]]
    /// (`keys` is memory of the engine's own, `keyCount` long, rather than an array: the rules
    /// read a key in place, lent to them, instead of a copy per rule that then had to be
    /// destroyed, and storing the next event's key checks no array for uniqueness.)
    private let keys: UnsafeMutablePointer<RuleKey?>
    private let keyCount: Int
    /// The hash of each key in `keys` (nil with the key), read without copying the key.
    private var keyHashes: [UInt64?]
    private var keyEvents: [UInt64]
    /// Numbers the events `process` looks at (from 1).
    private var eventNumber: UInt64 = 0
    private var gateAnswers: [UInt8]
    /// The lists events carried lately, converted for the rules (`RuleListCache`).
    private let lists = RuleListCache()

    /// An engine running those of `rules` that are active with `site` (see `Rule.activation`);
    /// `detectors` make the stateful detectors rules name.
    package init(rules: [Rule], site: SiteRegistry, detectors: [DetectorDefinition] = [], limits: Limits = Limits()) {
        let index = SiteIndex(site)
        let running = rules.filter { $0.activation(with: site).runs }.sorted { $0.id < $1.id }
        self.rules = running
        self.site = index
        self.limits = limits
        detectorDefinitions = detectors
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
            // Rules that read the same events and group them by the same fields share one table
            // of groups, each counting in a lane of its own.
            var table: GroupTable?
            if detector == nil, after.isEmpty, unless.isEmpty, let aggregate = rule.aggregate {
                table = runtimes.first { earlier in
                    earlier.groups != nil && earlier.detector == nil && earlier.after.isEmpty && earlier.unless.isEmpty
                        && earlier.groupBy == aggregate.groupBy && earlier.rule.match.selectsSameEvents(as: rule.match)
                }?.groups
            }
            runtimes.append(RuleRuntime(
                rule: rule, after: after, unless: unless, detector: detector, gate: gate, sharing: table, limits: limits))
        }
        // Rules that group by the same fields share one key per event.
        var keyLists: [[FieldRef]] = []
        for runtime in runtimes where runtime.detector == nil && runtime.groups != nil {
            if let known = keyLists.firstIndex(of: runtime.groupBy) {
                runtime.keyList = known
            } else {
                runtime.keyList = keyLists.count
                keyLists.append(runtime.groupBy)
            }
        }
        self.keyLists = keyLists
        keyCount = keyLists.count
        keys = UnsafeMutablePointer<RuleKey?>.allocate(capacity: max(keyLists.count, 1))
        keys.initialize(repeating: nil, count: keyLists.count)
        keyHashes = Array(repeating: nil, count: keyLists.count)
        keyEvents = Array(repeating: 0, count: keyLists.count)
        self.runtimes = runtimes
        runtimeReferences = runtimes.map { Unmanaged.passUnretained($0) }
        self.memories = memories
        var gateRuns: [(first: Int, count: Int)] = []
        var gateFields: [(name: String, id: Int)] = []
        for fields in gates {
            gateRuns.append((gateFields.count, fields.count))
            gateFields += fields.map { ($0, EventVocabulary.eventFieldIDs[$0] ?? -1) }
        }
        self.gates = gateRuns
        self.gateFields = gateFields
        gateAnswers = Array(repeating: 0, count: gates.count)
        demand = RuleDemand.demand(runtimes: runtimes, memories: memories, detectors: detectors)
        matchers = runtimes.map { Unmanaged.passUnretained($0.match) }
        memoryMatchers = memories.map { Unmanaged.passUnretained($0.match) }
        precondition(
            EventVocabulary.kinds.count == Self.vocabularyKinds && EventVocabulary.protocols.count == Self.vocabularyProtocols
                && EventVocabulary.protocols.indices.allSatisfy { Self.protocolIndex(EventVocabulary.protocols[$0]) == $0 },
            "RuleEngine's vocabulary sizes and protocol positions must follow EventVocabulary")
        for protocolName in EventVocabulary.protocols {
            for kind in EventVocabulary.kinds {
                let positions = positions(kind: kind.rawValue, protocolName: protocolName)
                slotReaches.append((reaches.count, positions.count))
                reaches += positions.map { position in
                    let runtime = runtimes[position]
                    return Reach(
                        position: position, gate: runtime.gate ?? -1, keyList: runtime.keyList,
                        groups: runtime.groups.map { Unmanaged.passUnretained($0) })
                }
                let conditions = memoryPositions(kind: kind.rawValue, protocolName: protocolName)
                slotMemories.append((memoryReaches.count, conditions.count))
                memoryReaches += conditions
            }
        }
        statistics.alertsByRule = running.map { ($0.id, 0) }
    }

    /// A new engine with the same rules, site registry and limits, for a flow-sharded worker's
    /// `match` calls and decoders' demand. Workers matching at once through one shared engine
    /// retained and released the same arrays, sets and objects for every event (its reach table,
    /// its site lists, the engine itself): each such count change moved a cache line from one
    /// core to the other. An engine of their own makes those changes local.
    package func matchingCopy() -> RuleEngine {
        RuleEngine(rules: rules, site: site.registry, detectors: detectorDefinitions, limits: limits)
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

    /// Tables of groups the rules hold (rules that share one count once).
    var groupTables: Int {
        var tables: [ObjectIdentifier] = []
        for runtime in runtimes {
            if let groups = runtime.groups, !tables.contains(ObjectIdentifier(groups)) { tables.append(ObjectIdentifier(groups)) }
        }
        return tables.count
    }

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

    /// Whether `event` has one of the fields of gate `gate`.
    @inline(__always)
    private func opens(gate: Int, _ event: TradingEvent) -> Bool {
        let (first, count) = gates[gate]
        return gateFields.withUnsafeBufferPointer { fields in
            for index in first..<(first &+ count) where event.has(fields[index].name, id: fields[index].id) { return true }
            return false
        }
    }

    private func passes(gate: Int, _ event: TradingEvent) -> Bool {
        switch gateAnswers[gate] {
        case 1: return true
        case 2: return false
        default:
            let open = opens(gate: gate, event)
            gateAnswers[gate] = open ? 1 : 2
            return open
        }
    }

    /// The position of `name` in `EventVocabulary.protocols` (-1 outside it).
    @inline(__always)
    private static func protocolIndex(_ name: String) -> Int {
        switch name {
        case "fix": 0
        case "ctp": 1
        case "tdx": 2
        default: -1
        }
    }

    /// Looks at one event (events must come in packet-time order); appends the alerts it
    /// completes to `alerts`, in rule-id order.
    package func process(_ event: TradingEvent, into alerts: inout [Alert]) {
        // Matching first, then the state: the state's cache misses can then be started together.
        if let matched = match(event) { return process(event, matched: matched, into: &alerts) }
        statistics.events &+= 1
        eventNumber &+= 1
        let time = event.time.nanoseconds
        if !gateAnswers.isEmpty {
            for gate in gateAnswers.indices { gateAnswers[gate] = 0 }
        }
        // Outside the vocabulary, or more than 64 rules or conditions: rule by rule.
        let kind = event.kind.rawValue
        for position in positions(kind: kind, protocolName: event.protocolName) {
            if let gate = runtimes[position].gate, !passes(gate: gate, event) { continue }
            run(position, event, time: time, into: &alerts)
        }
        // Earlier-event conditions learn from the event after the rules have read it: "earlier"
        // means strictly before.
        for position in memoryPositions(kind: kind, protocolName: event.protocolName) {
            statistics.referenceKeysEvicted &+= memories[position].record(event, at: time, site: site)
        }
    }

    /// Runs rule `position` (its gate passed) on `event`; `matched`, when given, is what `match`
    /// found of its `match` part.
    @inline(__always)
    private func run(_ position: Int, _ event: TradingEvent, time: Int64, matched: Bool? = nil, into alerts: inout [Alert]) {
        runtimeReferences[position]._withUnsafeGuaranteedRef { runtime in
            run(runtime, position, event, time: time, matched: matched, into: &alerts)
        }
    }

    /// `run(position, ...)` with the rule's runtime lent to it.
    @inline(__always)
    private func run(
        _ runtime: RuleRuntime, _ position: Int, _ event: TradingEvent, time: Int64, matched: Bool?, into alerts: inout [Alert]
    ) {
        runtime.sweepIfDue(time)
        guard matched ?? runtime.match.matches(event, site: site) else { return }
        guard runtime.after.allSatisfy({ memories[$0].seen(event, at: time) }) else { return }
        guard !runtime.unless.contains(where: { memories[$0].seen(event, at: time) }) else { return }
        let list = runtime.keyList
        if list >= 0 { computeKey(list, event) }
        // The key lent from `keys`, not copied.
        let found =
            list >= 0
            ? runtime.evaluate(event, key: keys[list], number: eventNumber, limits: limits, lists: lists)
            : runtime.evaluate(event, key: nil, number: eventNumber, limits: limits, lists: lists)
        for evidence in found {
            if let suppress = runtime.suppress {
                // A missing field is an empty part of the key.
                var key = RuleKey()
                for field in suppress.by { key.append(event.keyValue(field) ?? .text("")) }
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

    // MARK: - Matching apart from state

    /// What the stateless part of the rules says of one event, worked out by `match` (on a
    /// flow-sharded worker) and used by `process(_:matched:into:)` (in the merge): of the rules
    /// its (protocol, kind) may reach, in order, which it reaches past their field gates and which
    /// of those it matches, and which earlier-event conditions it matches. Bit sets, so that
    /// handing it over allocates nothing.
    package struct Matches: Sendable {
        fileprivate var reached: UInt64 = 0
        fileprivate var matched: UInt64 = 0
        fileprivate var memories: UInt64 = 0
        fileprivate var hasMemories = false

        /// Whether the event reaches no rule and no condition: then processing it only counts it.
        package var isEmpty: Bool { reached == 0 && !hasMemories }
    }

    /// The slot of `event`'s (protocol, kind) in `slotReaches`, or nil outside the vocabulary.
    @inline(__always)
    private static func slot(_ event: TradingEvent) -> Int? {
        let protocolIndex = protocolIndex(event.protocolName)
        let kindIndex = event.kind.index
        guard protocolIndex >= 0 && kindIndex >= 0 else { return nil }
        return protocolIndex &* vocabularyKinds &+ kindIndex
    }

    /// How many kinds and protocols `EventVocabulary` lists, as literals (initialised statically:
    /// the vocabulary's arrays are read through a `swift_once` check, twice an event). `init`
    /// checks them against the arrays.
    private static let vocabularyKinds = 16
    private static let vocabularyProtocols = 3

    /// The stateless part of `process` for `event`: field gates and `match` parts (nil when its
    /// kind or protocol is outside the vocabulary, or more than 64 rules or conditions may read
    /// it; `process` then does it all). It reads only what never changes after `init`, so workers
    /// may call it while `process` runs on another thread.
    package func match(_ event: TradingEvent) -> Matches? {
        guard let slot = Self.slot(event) else { return nil }
        let (first, count) = slotReaches[slot]
        let (firstMemory, memoryCount) = slotMemories[slot]
        guard count <= 64, memoryCount <= 64 else { return nil }
        var matches = Matches()
        let site = self.site
        // Gates answered for this event (bit per gate, the first 64 gates; others are asked each time).
        var asked: UInt64 = 0
        var open: UInt64 = 0
        reaches.withUnsafeBufferPointer { reaches in
            matchers.withUnsafeBufferPointer { matchers in
                for index in 0..<count {
                    let reach = reaches[first &+ index]
                    if reach.gate >= 0 {
                        let gate = reach.gate
                        if gate < 64 {
                            if asked >> gate & 1 == 0 {
                                asked |= 1 &<< gate
                                if opens(gate: gate, event) { open |= 1 &<< gate }
                            }
                            if open >> gate & 1 == 0 { continue }
                        } else if !opens(gate: gate, event) {
                            continue
                        }
                    }
                    matches.reached |= 1 &<< index
                    if matchers[reach.position]._withUnsafeGuaranteedRef({ $0.matches(event, site: site) }) { matches.matched |= 1 &<< index }
                }
            }
        }
        if memoryCount > 0 {
            matches.hasMemories = true
            memoryReaches.withUnsafeBufferPointer { positions in
                memoryMatchers.withUnsafeBufferPointer { matchers in
                    for index in 0..<memoryCount
                    where matchers[positions[firstMemory &+ index]]._withUnsafeGuaranteedRef({ $0.matches(event, site: site) }) {
                        matches.memories |= 1 &<< UInt64(index)
                    }
                }
            }
        }
        return matches
    }

    /// `process(event, into:)` with the stateless part already done by `match`: the same alerts
    /// and state, in the same order.
    package func process(_ event: TradingEvent, matched: Matches, into alerts: inout [Alert]) {
        statistics.events &+= 1
        eventNumber &+= 1
        guard let slot = Self.slot(event) else { return }
        let time = event.time.nanoseconds
        let (first, count) = slotReaches[slot]
        if matched.matched != 0 { prefetchGroups(first, event, matched: matched.matched) }
        var reached = matched.reached
        while reached != 0 {
            let index = reached.trailingZeroBitCount
            reached &= reached &- 1
            guard index < count else { break }
            let position = reaches[first &+ index].position
            run(position, event, time: time, matched: matched.matched >> UInt64(index) & 1 != 0, into: &alerts)
        }
        let (firstMemory, memoryCount) = slotMemories[slot]
        for index in 0..<memoryCount {
            statistics.referenceKeysEvicted &+= memories[memoryReaches[firstMemory &+ index]].record(
                event, at: time, site: site, matched: matched.memories >> UInt64(index) & 1 != 0)
        }
    }

    /// The hash of the current event's key under list `list` (`keys[list]`), without a copy of
    /// the key.
    @inline(__always)
    private func groupKeyHash(_ list: Int, _ event: TradingEvent) -> UInt64? {
        computeKey(list, event)
        return keyHashes[list]
    }

    /// Works out the key of the current event under group-by list `list` (`keys[list]`) and its
    /// hash, once per event for all the rules sharing the list.
    @inline(__always)
    private func computeKey(_ list: Int, _ event: TradingEvent) {
        guard keyEvents[list] != eventNumber else { return }
        keyEvents[list] = eventNumber
        keys[list] = event.key(keyLists[list])
        keyHashes[list] = keys[list]?.hash
    }

    /// Starts loading the group state the matched rules will read for `event` (bit `i` of
    /// `matched`: the rule at `reaches[first + i]`): first every rule's index slot, then the
    /// records they name. Each rule's lookup is two dependent cache misses; asked for together,
    /// those of all the rules an event reaches overlap instead of following one another. Computes
    /// the group keys `run` then reuses.
    private func prefetchGroups(_ first: Int, _ event: TradingEvent, matched: UInt64) {
        var wanted: UInt64 = 0
        var rest = matched
        // A table shared by rules (next to each other in id order) is asked for once.
        var previous: UnsafeMutableRawPointer?
        while rest != 0 {
            let index = rest.trailingZeroBitCount
            rest &= rest &- 1
            let reach = reaches[first &+ index]
            guard reach.keyList >= 0, let groups = reach.groups, let hash = groupKeyHash(reach.keyList, event) else { continue }
            let table = groups.toOpaque()
            if table == previous { continue }
            previous = table
            groups._withUnsafeGuaranteedRef { $0.prefetchSlot(hash) }
            wanted |= 1 &<< UInt64(index)
        }
        while wanted != 0 {
            let index = wanted.trailingZeroBitCount
            wanted &= wanted &- 1
            let reach = reaches[first &+ index]
            if let groups = reach.groups, let hash = keyHashes[reach.keyList] {
                groups._withUnsafeGuaranteedRef { $0.prefetchRecord(hash) }
            }
        }
    }

    /// Counts an event a decoder left unbuilt because no rule reads it (see `demand`): it is
    /// counted as if looked at.
    package func countSkipped(_ count: UInt64 = 1) {
        statistics.events &+= count
    }

    deinit {
        keys.deinitialize(count: keyCount)
        keys.deallocate()
    }

    /// Convenience: the alerts of `events`, in order.
    package func run(_ events: [TradingEvent]) -> [Alert] {
        var alerts: [Alert] = []
        for event in events { process(event, into: &alerts) }
        return alerts
    }
}
