import PacketCapture

/// The groups of one rule, without an object per group: group numbers index columns of plain
/// values (times, counters, evidence), and an open-addressing table of group numbers finds a key
/// by its precomputed hash. Freed numbers are reused, so the columns grow to the most groups held
/// at once. A class, so that a rule reaches its table without copying it (a struct held in the
/// rule's runtime object was copied, every array retained, on each read).
final class GroupTable {
    let shape: GroupShape
    /// By group number (entries of free numbers are stale).
    private(set) var keys: [RuleKey] = []
    /// The last event of each group (by group number).
    private(set) var last: [Int64] = []
    /// Whether each group number is in use.
    private var used: [Bool] = []
    private var free: [Int32] = []
    /// Group number + 1 by hash (0: empty), linear probing, at most half full.
    private var index: [Int32] = Array(repeating: 0, count: 16)
    /// Groups held.
    private(set) var count = 0

    /// The inner count (events in the window; unused for distinct counts).
    private var counter: CounterColumn
    /// Occurrences of the inner threshold (`occurrences:` rules).
    private var occurrences: CounterColumn
    /// Distinct values in the window (`distinct:` rules).
    private var distinct: [ValueWindow<RuleValue>] = []
    /// Evidence values, one slot per evidence field, then the flow ids.
    private var stores: [EvidenceStore] = []

    init(shape: GroupShape) {
        self.shape = shape
        counter = CounterColumn(shape: shape.counter, enabled: !shape.countsDistinct)
        occurrences = CounterColumn(shape: shape.occurrences, enabled: shape.countsOccurrences)
    }

    var isEmpty: Bool { count == 0 }

    /// The group number of `key`, if held.
    func find(_ key: RuleKey) -> Int? {
        let mask = index.count &- 1
        var slot = Int(truncatingIfNeeded: key.hash) & mask
        return index.withUnsafeBufferPointer { index in
            keys.withUnsafeBufferPointer { keys in
                while true {
                    let stored = Int(index[slot])
                    if stored == 0 { return nil }
                    if keys[stored &- 1] == key { return stored &- 1 }
                    slot = (slot &+ 1) & mask
                }
            }
        }
    }

    /// Adds a new group for `key` (not held); returns its number.
    func insert(_ key: RuleKey) -> Int {
        let group: Int
        if let reused = free.popLast() {
            group = Int(reused)
            keys[group] = key
            last[group] = 0
            used[group] = true
            counter.reset(group)
            occurrences.reset(group)
            if shape.countsDistinct { distinct[group] = ValueWindow(cap: shape.threshold) }
            stores[group] = EvidenceStore(cap: shape.storeCap)
        } else {
            group = keys.count
            keys.append(key)
            last.append(0)
            used.append(true)
            counter.append()
            occurrences.append()
            if shape.countsDistinct { distinct.append(ValueWindow(cap: shape.threshold)) }
            stores.append(EvidenceStore(cap: shape.storeCap))
        }
        count &+= 1
        if count &* 2 > index.count {
            rebuildIndex(size: index.count &* 2)
        } else {
            place(group)
        }
        return group
    }

    private func place(_ group: Int) {
        let mask = index.count &- 1
        var slot = Int(truncatingIfNeeded: keys[group].hash) & mask
        while index[slot] != 0 { slot = (slot &+ 1) & mask }
        index[slot] = Int32(truncatingIfNeeded: group &+ 1)
    }

    private func rebuildIndex(size: Int) {
        index = Array(repeating: 0, count: size)
        for group in used.indices where used[group] { place(group) }
    }

    /// Forgets group `group`.
    func remove(_ group: Int) {
        // Backward-shift deletion keeps every probe sequence unbroken.
        let mask = index.count &- 1
        var hole = Int(truncatingIfNeeded: keys[group].hash) & mask
        while Int(index[hole]) != group &+ 1 { hole = (hole &+ 1) & mask }
        release(group)
        var next = (hole &+ 1) & mask
        while index[next] != 0 {
            let home = Int(truncatingIfNeeded: keys[Int(index[next]) &- 1].hash) & mask
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
        keys[group] = RuleKey()
        counter.reset(group)
        occurrences.reset(group)
        if shape.countsDistinct { distinct[group] = ValueWindow(cap: 0) }
        stores[group] = EvidenceStore(cap: 0)
        free.append(Int32(truncatingIfNeeded: group))
        count &-= 1
    }

    /// Forgets every group for which `drop` holds (by number and last event time).
    func removeAll(where drop: (Int, Int64) -> Bool) {
        var removed = false
        for group in used.indices where used[group] && drop(group, last[group]) {
            release(group)
            removed = true
        }
        guard removed else { return }
        var size = 16
        while size < count &* 2 { size &<<= 1 }
        rebuildIndex(size: size)
    }

    /// Drops the least recently updated groups (ties: by key text) down to `target`; returns how
    /// many.
    func evictOldest(keeping target: Int) -> Int {
        let ordered = used.indices.filter { used[$0] }.map { (group: $0, last: last[$0], text: keys[$0].text) }
            .sorted { $0.last != $1.last ? $0.last < $1.last : $0.text < $1.text }
        let dropped = max(0, count - target)
        for entry in ordered.prefix(dropped) { remove(entry.group) }
        return dropped
    }

    /// Counts the event in `group`; returns whether the count (or the occurrences) reached the
    /// threshold.
    func observe(_ group: Int, _ view: EventView, distinctValue: RuleValue?) -> Bool {
        let time = view.time.nanoseconds
        let shape = self.shape
        last[group] = time
        stores.withUnsafeMutableBufferPointer { stores in
            stores[group].evict(before: time - shape.span + 1)
            stores[group].add(.number(Double(view.event.flow.id)), slot: shape.flowSlot, at: time)
            let fields = shape.evidenceFields
            for position in fields.indices {
                guard let value = view.keyValue(fields[position]) else { continue }
                if case .list(let elements) = value {
                    for element in elements { stores[group].add(element, slot: position, at: time) }
                } else {
                    stores[group].add(value, slot: position, at: time)
                }
            }
        }
        let inner: Bool
        if shape.countsDistinct {
            inner = distinct.withUnsafeMutableBufferPointer { windows in
                windows[group].evict(before: time - shape.window + 1)
                if case .list(let elements)? = distinctValue {
                    for element in elements { windows[group].add(element, at: time) }
                } else if let distinctValue {
                    windows[group].add(distinctValue, at: time)
                }
                return windows[group].count >= shape.threshold
            }
        } else {
            inner = counter.add(group, time)
        }
        guard inner else { return false }
        guard shape.countsOccurrences else { return true }
        let reached = occurrences.add(group, time)
        // One occurrence counted: the inner count starts again.
        counter.reset(group)
        if shape.countsDistinct { distinct[group].removeAll() }
        return reached
    }

    /// The evidence of the alert `group` completes at `time`.
    func evidence(_ group: Int, rule: Rule, at time: Timestamp) -> AlertEvidence {
        let shape = self.shape
        let aggregate = shape.aggregate
        let store = stores[group]
        let distinct = shape.countsDistinct ? self.distinct[group] : ValueWindow(cap: 0)
        var first = time.nanoseconds
        if shape.countsOccurrences, let oldest = occurrences.oldest(group) {
            first = oldest
        } else if shape.countsDistinct, let start = distinct.firstTime {
            first = start
        } else if !shape.countsDistinct, let oldest = counter.oldest(group) {
            first = oldest
        }
        if let start = store.firstTime(shape.flowSlot) { first = min(first, start) }
        var evidence = AlertEvidence(firstTime: Timestamp(nanoseconds: first), lastTime: time)
        evidence.group = zip(aggregate.groupBy, keys[group].values).map { ($0.name, $1.text) }
        if shape.countsOccurrences {
            evidence.count = occurrences.count(group)
            evidence.threshold = aggregate.occurrences?.threshold
            evidence.window = aggregate.occurrences?.window
            evidence.occurrence = (aggregate.threshold, aggregate.window)
        } else {
            evidence.count = shape.countsDistinct ? distinct.count : counter.count(group)
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

/// One `WindowCounter` per group number, for one `CounterShape`: exact counters keep their times
/// in one shared array (`threshold` per counter), in a run taken at the counter's first event, so
/// that groups which never count (occurrences of a burst never reached) hold no times.
struct CounterColumn {
    let shape: CounterShape
    let enabled: Bool
    private let exact: Bool
    private let stride: Int
    /// Exact: per group, times held, the position of the oldest once full, and the run of
    /// `times` used (-1: none yet).
    private var rings: [(count: Int32, head: Int32, run: Int32)] = []
    private var times: [Int64] = []
    private var freeRuns: [Int32] = []
    /// Bucketed: a counter per group.
    private var wide: [WindowCounter] = []

    init(shape: CounterShape, enabled: Bool) {
        self.shape = shape
        self.enabled = enabled
        exact = shape.exact
        stride = shape.threshold
    }

    /// Adds a counter for the next group number.
    mutating func append() {
        guard enabled else { return }
        if exact {
            rings.append((0, 0, -1))
        } else {
            wide.append(WindowCounter())
        }
    }

    /// Empties the counter of `group`.
    mutating func reset(_ group: Int) {
        guard enabled else { return }
        if exact {
            if rings[group].run >= 0 { freeRuns.append(rings[group].run) }
            rings[group] = (0, 0, -1)
        } else {
            wide[group] = WindowCounter()
        }
    }

    /// Counts an event of `group` at `time`; returns whether the window now holds the threshold.
    mutating func add(_ group: Int, _ time: Int64) -> Bool {
        guard exact else { return wide[group].add(time, shape) }
        let threshold = stride
        var ring = rings[group]
        if ring.run < 0 {
            if let run = freeRuns.popLast() {
                ring.run = run
            } else {
                ring.run = Int32(truncatingIfNeeded: times.count / threshold)
                times.append(contentsOf: repeatElement(0, count: threshold))
            }
        }
        let base = Int(ring.run) &* threshold
        let full: Bool
        let oldest: Int64
        if Int(ring.count) < threshold {
            times[base &+ Int(ring.count)] = time
            ring.count &+= 1
            full = Int(ring.count) == threshold
            oldest = times[base &+ Int(ring.head)]
        } else {
            times[base &+ Int(ring.head)] = time
            ring.head = Int32((Int(ring.head) &+ 1) % threshold)
            full = true
            oldest = times[base &+ Int(ring.head)]
        }
        rings[group] = ring
        guard full else { return false }
        return time - oldest < shape.window
    }

    /// Events counted in `group` (exact: at most the threshold).
    func count(_ group: Int) -> Int { exact ? Int(rings[group].count) : wide[group].count(shape) }

    /// The time of the oldest event counted in `group` (the start of its bucket when bucketed).
    func oldest(_ group: Int) -> Int64? {
        guard exact else { return wide[group].oldest(shape) }
        let ring = rings[group]
        guard ring.count > 0, ring.run >= 0 else { return nil }
        let base = Int(ring.run) &* stride
        return Int(ring.count) < stride ? times[base] : times[base &+ Int(ring.head)]
    }
}
