import CSupport
import PacketCapture
import ProtocolKit

/// A group's key and the time of its last event: what the rules sharing a table share.
struct GroupRow {
    /// The group's key (its hash compared first when a key is looked up).
    var key: RuleKey
    /// The packet time of the group's last event, for any of the table's rules.
    var last: Int64 = 0
}

/// The groups of the rules that read the same events and group them by the same fields (rules
/// 2012-2015 count the orders of one account four ways): one key, one look-up and one row per
/// group for all of them, each rule's state in a lane of its own (`GroupLane`). Per rule, a look-up
/// was a hash probe, a key comparison and two cache misses, for every event of every such rule.
///
/// Without an object per group: group numbers index one buffer of rows and each lane's buffer of
/// states, and an open-addressing table of group numbers finds a key by its precomputed hash. Freed
/// numbers are reused, so the buffers grow to the most groups held at once. A class, so that a rule
/// reaches its table without copying it; the buffers are its own, so that reading a row retains
/// nothing.
final class GroupTable {
    /// The rules' lanes, in the order they joined; and as the per-event prefetch reads them,
    /// without a retain and a release each (`lanes` holds them).
    private(set) var lanes: [GroupLane] = []
    private var laneReferences: [Unmanaged<GroupLane>] = []
    /// The longest time any lane's state spans.
    private(set) var span: Int64 = 0
    /// Rows by group number: the first `numbered` are initialized (those of free numbers hold an
    /// empty key).
    private var rows: UnsafeMutablePointer<GroupRow>
    private var rowCapacity = 0
    private var numbered = 0
    /// Whether each group number is in use.
    private var used: [Bool] = []
    private var free: [Int32] = []
    /// Group number + 1 by hash (0: empty), linear probing, at most half full.
    private var index: UnsafeMutablePointer<Int32>
    private var indexSize = 16
    /// Groups held.
    private(set) var count = 0
    /// The event whose group was found last (see `group(of:event:)`), and that group.
    private var foundEvent: UInt64 = 0
    private var foundGroup = -1
    private var nextSweep = Int64.min

    init() {
        rows = UnsafeMutablePointer<GroupRow>.allocate(capacity: 0)
        index = UnsafeMutablePointer<Int32>.allocate(capacity: indexSize)
        index.initialize(repeating: 0, count: indexSize)
    }

    deinit {
        rows.deinitialize(count: numbered)
        rows.deallocate()
        index.deallocate()
    }

    /// Adds a lane for a rule of shape `shape` (before the first event).
    func addLane(_ shape: GroupShape) -> GroupLane {
        let lane = GroupLane(shape: shape)
        lanes.append(lane)
        laneReferences.append(Unmanaged.passUnretained(lane))
        span = max(span, shape.span)
        return lane
    }

    /// The group number of `key`, if held.
    private func find(_ key: RuleKey) -> Int? {
        let mask = indexSize &- 1
        var slot = Int(truncatingIfNeeded: key.hash) & mask
        while true {
            let stored = Int(index[slot])
            if stored == 0 { return nil }
            if rows[stored &- 1].key == key { return stored &- 1 }
            slot = (slot &+ 1) & mask
        }
    }

    /// The group of `key` for event number `event` (counted from 1 by the engine), added when not
    /// held (first dropping the least recently updated groups when `limit` are held; how many go
    /// into `evicted`); its time of last event becomes `time`. The rules sharing the table ask in
    /// turn for the same event: the first finds it, the others get the answer again.
    func group(of key: RuleKey, event: UInt64, time: Int64, limit: Int, evicted: inout UInt64) -> Int {
        if event == foundEvent && foundGroup >= 0 { return foundGroup }
        let group: Int
        if let known = find(key) {
            group = known
        } else {
            if count >= limit {
                // A group dropped is a group dropped for every rule of the table.
                evicted &+= UInt64(evictOldest(keeping: limit * 9 / 10) &* lanes.count)
            }
            group = insert(key)
        }
        rows[group].last = time
        foundEvent = event
        foundGroup = group
        return group
    }

    /// Starts loading the index slot where the probe for a key of hash `hash` begins (a hint:
    /// the engine asks for the slots of every table an event reaches before reading any, so that
    /// their cache misses overlap).
    @inline(__always)
    func prefetchSlot(_ hash: UInt64) {
        tapsentry_prefetch(index + (Int(truncatingIfNeeded: hash) & (indexSize &- 1)))
    }

    /// Starts loading the row the first probed slot names, if any, and the lanes' states of its
    /// group (after `prefetchSlot`).
    @inline(__always)
    func prefetchRecord(_ hash: UInt64) {
        let stored = Int(index[Int(truncatingIfNeeded: hash) & (indexSize &- 1)])
        guard stored != 0 else { return }
        tapsentry_prefetch(UnsafeRawPointer(rows + (stored &- 1)))
        laneReferences.withUnsafeBufferPointer { lanes in
            for lane in lanes { lane._withUnsafeGuaranteedRef { $0.prefetch(stored &- 1) } }
        }
    }

    /// The key of group `group`.
    func key(_ group: Int) -> RuleKey { rows[group].key }

    /// Adds a new group for `key` (not held); returns its number.
    private func insert(_ key: RuleKey) -> Int {
        let group: Int
        if let reused = free.popLast() {
            group = Int(reused)
            rows[group] = GroupRow(key: key)
            used[group] = true
        } else {
            group = numbered
            if numbered == rowCapacity { rows = grow(rows, holding: numbered, capacity: &rowCapacity) }
            (rows + group).initialize(to: GroupRow(key: key))
            numbered &+= 1
            used.append(true)
        }
        for lane in lanes { lane.open(group) }
        count &+= 1
        if count &* 2 > indexSize {
            rebuildIndex(size: indexSize &* 2)
        } else {
            place(group)
        }
        return group
    }

    private func place(_ group: Int) {
        let mask = indexSize &- 1
        var slot = Int(truncatingIfNeeded: rows[group].key.hash) & mask
        while index[slot] != 0 { slot = (slot &+ 1) & mask }
        index[slot] = Int32(truncatingIfNeeded: group &+ 1)
    }

    private func rebuildIndex(size: Int) {
        if size != indexSize {
            index.deallocate()
            index = UnsafeMutablePointer<Int32>.allocate(capacity: size)
            indexSize = size
        }
        index.initialize(repeating: 0, count: size)
        for group in used.indices where used[group] { place(group) }
    }

    /// The state of `lane` in `group` is done with (its rule alerted): with other lanes, only
    /// that state starts again; alone, the group goes.
    func finish(_ group: Int, lane: GroupLane) {
        if lanes.count == 1 { return remove(group) }
        lane.reset(group)
    }

    /// Forgets group `group`.
    private func remove(_ group: Int) {
        // Backward-shift deletion keeps every probe sequence unbroken.
        let mask = indexSize &- 1
        var hole = Int(truncatingIfNeeded: rows[group].key.hash) & mask
        while Int(index[hole]) != group &+ 1 { hole = (hole &+ 1) & mask }
        release(group)
        var next = (hole &+ 1) & mask
        while index[next] != 0 {
            let home = Int(truncatingIfNeeded: rows[Int(index[next]) &- 1].key.hash) & mask
            if (next &- hole) & mask <= (next &- home) & mask {
                index[hole] = index[next]
                hole = next
            }
            next = (next &+ 1) & mask
        }
        index[hole] = 0
    }

    /// Marks `group` free and drops what it holds (the index is left to the caller).
    private func release(_ group: Int) {
        used[group] = false
        rows[group] = GroupRow(key: RuleKey())
        for lane in lanes { lane.close(group) }
        free.append(Int32(truncatingIfNeeded: group))
        count &-= 1
        if group == foundGroup { foundGroup = -1 }
    }

    /// Once a minute of packet time: forgets the groups with no event in the longest span of the
    /// lanes, and empties the state of lanes whose own span has passed since the group's last
    /// event (a one-second burst count sharing a table with a one-day count).
    func sweepIfDue(_ time: Int64) {
        guard time >= nextSweep else { return }
        nextSweep = time + 60_000_000_000
        guard count > 0 else { return }
        let cutoff = time - span
        var removed = false
        for group in used.indices where used[group] {
            let last = rows[group].last
            if last < cutoff {
                release(group)
                removed = true
            } else if lanes.count > 1 {
                for lane in lanes where last < time - lane.shape.span { lane.reset(group) }
            }
        }
        guard removed else { return }
        var size = 16
        while size < count &* 2 { size &<<= 1 }
        rebuildIndex(size: size)
    }

    /// Drops the least recently updated groups (ties: by key text) down to `target`; returns how
    /// many.
    private func evictOldest(keeping target: Int) -> Int {
        let rows = self.rows
        let ordered = used.indices.filter { used[$0] }.map { (group: $0, last: rows[$0].last, text: rows[$0].key.text) }
            .sorted { $0.last != $1.last ? $0.last < $1.last : $0.text < $1.text }
        let dropped = max(0, count - target)
        for entry in ordered.prefix(dropped) { remove(entry.group) }
        return dropped
    }
}

/// One rule's state in each group of its table: by group number, its inner count, the evidence
/// values, and (for the rules that have them) its occurrence count and distinct values.
final class GroupLane {
    let shape: GroupShape
    /// By group number: the inner count and the evidence, together so that updating them for an
    /// event touches neighbouring cache lines.
    private var states: UnsafeMutablePointer<LaneState>
    private var stateCapacity = 0
    private var numbered = 0
    /// The times of the exact inner counters.
    private var counters: CounterColumn
    /// Occurrences of the inner threshold (`occurrences:` rules), by group number.
    private var occurrences: [CounterSlot] = []
    private var occurrenceCounters: CounterColumn
    /// Distinct values in the window (`distinct:` rules), by group number.
    private var distinct: [ValueWindow<RuleValue>] = []

    /// One group's inner count and evidence values.
    private struct LaneState {
        var counter = CounterSlot()
        /// Evidence values, one slot per evidence field, then the flow ids.
        var store: EvidenceStore
    }

    fileprivate init(shape: GroupShape) {
        self.shape = shape
        counters = CounterColumn(shape: shape.counter)
        occurrenceCounters = CounterColumn(shape: shape.occurrences)
        states = UnsafeMutablePointer<LaneState>.allocate(capacity: 0)
    }

    deinit {
        states.deinitialize(count: numbered)
        states.deallocate()
    }

    @inline(__always)
    fileprivate func prefetch(_ group: Int) {
        guard group < numbered else { return }
        let state = UnsafeRawPointer(states + group)
        tapsentry_prefetch(state)
        tapsentry_prefetch(state + 64)
        tapsentry_prefetch(state + 128)
    }

    /// Group `group` starts, empty (a number not used before, or one `close`d).
    fileprivate func open(_ group: Int) {
        if group < numbered {
            states[group] = LaneState(store: EvidenceStore(cap: shape.storeCap))
            if shape.countsOccurrences { occurrences[group] = CounterSlot() }
            if shape.countsDistinct { distinct[group] = ValueWindow(cap: shape.threshold) }
            return
        }
        if numbered == stateCapacity { states = grow(states, holding: numbered, capacity: &stateCapacity) }
        (states + group).initialize(to: LaneState(store: EvidenceStore(cap: shape.storeCap)))
        numbered &+= 1
        if shape.countsOccurrences { occurrences.append(CounterSlot()) }
        if shape.countsDistinct { distinct.append(ValueWindow(cap: shape.threshold)) }
    }

    /// Group `group` ends: what it held is dropped.
    fileprivate func close(_ group: Int) {
        counters.reset(&states[group].counter)
        states[group] = LaneState(store: EvidenceStore(cap: 0))
        if shape.countsOccurrences { occurrenceCounters.reset(&occurrences[group]) }
        if shape.countsDistinct { distinct[group] = ValueWindow(cap: 0) }
    }

    /// This lane of group `group` starts again, empty.
    fileprivate func reset(_ group: Int) {
        counters.reset(&states[group].counter)
        states[group].store = EvidenceStore(cap: shape.storeCap)
        if shape.countsOccurrences { occurrenceCounters.reset(&occurrences[group]) }
        if shape.countsDistinct { distinct[group] = ValueWindow(cap: shape.threshold) }
    }

    /// Counts the event in `group`; returns whether the count (or the occurrences) reached the
    /// threshold.
    func observe(_ group: Int, _ event: TradingEvent, distinctValue: RuleValue?, lists: RuleListCache) -> Bool {
        let time = event.time.nanoseconds
        let shape = self.shape
        let state = states + group
        state.pointee.store.evict(before: time - shape.span + 1)
        state.pointee.store.add(.number(Double(event.flow.id)), slot: shape.flowSlot, at: time)
        let fields = shape.evidenceFields
        for position in fields.indices {
            guard let value = event.keyValue(fields[position], lists: lists) else { continue }
            if case .list(let elements) = value {
                for element in elements { state.pointee.store.add(element, slot: position, at: time) }
            } else {
                state.pointee.store.add(value, slot: position, at: time)
            }
        }
        let inner: Bool
        if shape.countsDistinct {
            inner = distinct.withUnsafeMutableBufferPointer { windows in
                windows[group].evict(before: time - shape.window + 1)
                if case .list(let elements)? = distinctValue {
                    windows[group].add(contentsOf: elements, at: time)
                } else if let distinctValue {
                    windows[group].add(distinctValue, at: time)
                }
                return windows[group].count >= shape.threshold
            }
        } else {
            inner = counters.add(&state.pointee.counter, time)
        }
        guard inner else { return false }
        guard shape.countsOccurrences else { return true }
        let reached = occurrenceCounters.add(&occurrences[group], time)
        // One occurrence counted: the inner count starts again.
        counters.reset(&state.pointee.counter)
        if shape.countsDistinct { distinct[group].removeAll() }
        return reached
    }

    /// The evidence of the alert `group` (of key `key`) completes at `time`.
    func evidence(_ group: Int, key: RuleKey, rule: Rule, at time: Timestamp) -> AlertEvidence {
        let shape = self.shape
        let aggregate = shape.aggregate
        let state = states[group]
        let store = state.store
        let distinct = shape.countsDistinct ? self.distinct[group] : ValueWindow(cap: 0)
        var first = time.nanoseconds
        if shape.countsOccurrences, let oldest = occurrenceCounters.oldest(occurrences[group]) {
            first = oldest
        } else if shape.countsDistinct, let start = distinct.firstTime {
            first = start
        } else if !shape.countsDistinct, let oldest = counters.oldest(state.counter) {
            first = oldest
        }
        if let start = store.firstTime(shape.flowSlot) { first = min(first, start) }
        var evidence = AlertEvidence(firstTime: Timestamp(nanoseconds: first), lastTime: time)
        evidence.group = zip(aggregate.groupBy, key.values).map { ($0.name, $1.text) }
        if shape.countsOccurrences {
            evidence.count = occurrenceCounters.count(occurrences[group])
            evidence.threshold = aggregate.occurrences?.threshold
            evidence.window = aggregate.occurrences?.window
            evidence.occurrence = (aggregate.threshold, aggregate.window)
        } else {
            evidence.count = shape.countsDistinct ? distinct.count : counters.count(state.counter)
            evidence.threshold = aggregate.threshold
            evidence.window = aggregate.window
        }
        if let field = aggregate.distinct, !shape.countsOccurrences {
            evidence.distinct = (field.name, distinct.values.prefix(shape.listed).map(\.text), distinct.count)
        }
        let flowValues = store.values(shape.flowSlot)
        let flowIDs = flowValues.prefix(shape.flowCap).compactMap { value -> UInt64? in
            if case .number(let number) = value { return UInt64(number) }
            return nil
        }
        evidence.flows = flowIDs
        evidence.flowCount = flowIDs.count + (store.more(shape.flowSlot) || flowValues.count > shape.flowCap ? 1 : 0)
        evidence.fields = rule.evidence.enumerated().map { position, field in
            let values = store.values(position)
            return (field.name, values.prefix(shape.listed).map(\.text), store.more(position) || values.count > shape.listed)
        }
        return evidence
    }
}

/// `buffer`, holding `count` elements in `capacity`, moved into one twice as large (at least 16);
/// `capacity` becomes the new one.
private func grow<Element>(_ buffer: UnsafeMutablePointer<Element>, holding count: Int, capacity: inout Int) -> UnsafeMutablePointer<Element> {
    capacity = max(16, capacity &* 2)
    let grown = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
    grown.moveInitialize(from: buffer, count: count)
    buffer.deallocate()
    return grown
}

/// One group's count of events over a sliding window of packet time. Up to 64 events the times
/// are kept exactly (in its `CounterColumn`); past that the window is counted in 64 buckets held
/// here, so the count may leave out events up to 1/64 of the window old at its far end (a
/// threshold of 20,000 a day needs 64 numbers, not 20,000). The threshold and window come from
/// the column's `CounterShape`.
struct CounterSlot {
    // Exact: times held, the position of the oldest once full, and the run of the column's times
    // used (-1: none yet).
    var count: Int32 = 0
    var head: Int32 = 0
    var run: Int32 = -1
    // Bucketed: (bucket number, events) oldest first from `bucketStart`, and their sum.
    var bucketStart: Int32 = 0
    var sum = 0
    var buckets: [(index: Int64, count: Int)] = []
}

/// The counters of one `CounterShape` for the `CounterSlot`s of a rule's groups. Exact counters
/// keep their times in one shared array (`threshold` per counter), in a run taken at the
/// counter's first event, so that groups which never count (occurrences of a burst never reached)
/// hold no times; bucketed counters keep their buckets in their slot.
struct CounterColumn {
    let shape: CounterShape
    private let exact: Bool
    private let stride: Int
    private var times: [Int64] = []
    private var freeRuns: [Int32] = []

    init(shape: CounterShape) {
        self.shape = shape
        exact = shape.exact
        stride = shape.threshold
    }

    /// Empties the counter `slot`.
    mutating func reset(_ slot: inout CounterSlot) {
        if slot.run >= 0 { freeRuns.append(slot.run) }
        slot = CounterSlot()
    }

    /// Counts an event of `slot` at `time`; returns whether the window now holds the threshold.
    mutating func add(_ slot: inout CounterSlot, _ time: Int64) -> Bool {
        guard exact else { return addBucketed(&slot, time) }
        let threshold = stride
        if slot.run < 0 {
            if let run = freeRuns.popLast() {
                slot.run = run
            } else {
                slot.run = Int32(truncatingIfNeeded: times.count / threshold)
                times.append(contentsOf: repeatElement(0, count: threshold))
            }
        }
        let base = Int(slot.run) &* threshold
        return times.withUnsafeMutableBufferPointer { times in
            let full: Bool
            let oldest: Int64
            if Int(slot.count) < threshold {
                times[base &+ Int(slot.count)] = time
                slot.count &+= 1
                full = Int(slot.count) == threshold
                oldest = times[base &+ Int(slot.head)]
            } else {
                times[base &+ Int(slot.head)] = time
                slot.head = Int32((Int(slot.head) &+ 1) % threshold)
                full = true
                oldest = times[base &+ Int(slot.head)]
            }
            guard full else { return false }
            return time - oldest < shape.window
        }
    }

    private func addBucketed(_ slot: inout CounterSlot, _ time: Int64) -> Bool {
        let index = time / shape.width
        var start = Int(slot.bucketStart)
        while start < slot.buckets.count, slot.buckets[start].index <= index - CounterShape.bucketCount {
            slot.sum -= slot.buckets[start].count
            start += 1
        }
        // Expired buckets leave once they are half the list: a group whose events are further
        // apart than the window holds its one live bucket, not up to 65 of which 64 are expired
        // (a one-second burst rule keeps thousands of such groups).
        if start > 0 && start &* 2 >= slot.buckets.count {
            slot.buckets.removeFirst(start)
            start = 0
        }
        if let last = slot.buckets.last, last.index == index {
            slot.buckets[slot.buckets.count - 1].count += 1
        } else {
            slot.buckets.append((index, 1))
        }
        slot.sum += 1
        slot.bucketStart = Int32(start)
        return slot.sum >= shape.threshold
    }

    /// Events counted in `slot` (exact: at most the threshold).
    func count(_ slot: CounterSlot) -> Int { exact ? Int(slot.count) : slot.sum }

    /// The time of the oldest event counted in `slot` (the start of its bucket when bucketed).
    func oldest(_ slot: CounterSlot) -> Int64? {
        guard exact else {
            guard Int(slot.bucketStart) < slot.buckets.count else { return nil }
            return slot.buckets[Int(slot.bucketStart)].index * shape.width
        }
        guard slot.count > 0, slot.run >= 0 else { return nil }
        let base = Int(slot.run) &* stride
        return Int(slot.count) < stride ? times[base] : times[base &+ Int(slot.head)]
    }
}
