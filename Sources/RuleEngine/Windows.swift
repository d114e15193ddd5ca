/// The last `capacity` packet times of a group, oldest first: a count over a sliding window
/// reaches its threshold when the ring is full and its oldest time is inside the window.
struct TimeRing {
    private var times: [Int64]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) {
        times = []
        times.reserveCapacity(min(capacity, 1024))
        self.capacity = capacity
    }

    let capacity: Int

    var isFull: Bool { count == capacity }

    /// The oldest time held (nil when empty).
    var oldest: Int64? {
        guard count > 0 else { return nil }
        return count < capacity ? times[0] : times[head]
    }

    /// Adds `time`, dropping the oldest when full.
    mutating func push(_ time: Int64) {
        if times.count < capacity {
            times.append(time)
            count = times.count
        } else {
            times[head] = time
            head = (head + 1) % capacity
        }
    }

    mutating func removeAll() {
        times.removeAll(keepingCapacity: true)
        head = 0
        count = 0
    }
}

/// Values seen in a sliding window, in first-seen order, each with its first and last packet
/// time; at most `cap` are kept (`more` tells that others were seen).
struct ValueWindow<Value: Hashable> {
    private(set) var entries: [(value: Value, first: Int64, last: Int64)] = []
    private var index: [Value: Int] = [:]
    private var oldestLast = Int64.max
    let cap: Int
    private(set) var more = false

    init(cap: Int) {
        self.cap = cap
    }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    var values: [Value] { entries.map(\.value) }
    var firstTime: Int64? { entries.lazy.map(\.first).min() }

    /// Records `value` at `time`.
    mutating func add(_ value: Value, at time: Int64) {
        if let position = index[value] {
            entries[position].last = time
            return
        }
        guard entries.count < cap else {
            more = true
            return
        }
        index[value] = entries.count
        entries.append((value, time, time))
        oldestLast = min(oldestLast, time)
    }

    /// Forgets values last seen before `cutoff`.
    mutating func evict(before cutoff: Int64) {
        guard oldestLast < cutoff else { return }
        entries.removeAll { $0.last < cutoff }
        index.removeAll(keepingCapacity: true)
        oldestLast = Int64.max
        for (position, entry) in entries.enumerated() {
            index[entry.value] = position
            oldestLast = min(oldestLast, entry.last)
        }
        if entries.isEmpty { more = false }
    }

    mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        index.removeAll(keepingCapacity: true)
        oldestLast = Int64.max
        more = false
    }
}
