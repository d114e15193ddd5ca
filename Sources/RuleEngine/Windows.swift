/// A count of events over a sliding window of packet time. Up to 64 events the times are kept
/// exactly; past that the window is counted in 64 buckets, so the count may leave out events up to
/// 1/64 of the window old at its far end (a threshold of 20,000 a day needs 64 numbers, not 20,000).
struct WindowCounter {
    private static let exactLimit = 64
    private static let bucketCount: Int64 = 64
    private let threshold: Int
    private let window: Int64
    // Exact: the last `threshold` times, oldest at `head` once full.
    private var times: [Int64] = []
    private var head = 0
    // Bucketed: (bucket number, events) oldest first, and their sum.
    private var buckets: [(index: Int64, count: Int)] = []
    private var bucketStart = 0
    private var sum = 0
    private let width: Int64

    init(threshold: Int, window: Int64) {
        self.threshold = threshold
        self.window = window
        width = max(1, window / WindowCounter.bucketCount)
    }

    private var exact: Bool { threshold <= WindowCounter.exactLimit }

    /// Counts an event at `time`; returns whether the window now holds `threshold` events.
    mutating func add(_ time: Int64) -> Bool {
        if exact {
            if times.count < threshold {
                times.append(time)
            } else {
                times[head] = time
                head = (head + 1) % threshold
            }
            guard times.count == threshold else { return false }
            return time - times[times.count < threshold ? 0 : head] < window
        }
        let index = time / width
        if let last = buckets.last, last.index == index {
            buckets[buckets.count - 1].count += 1
        } else {
            buckets.append((index, 1))
        }
        sum += 1
        while bucketStart < buckets.count, buckets[bucketStart].index <= index - WindowCounter.bucketCount {
            sum -= buckets[bucketStart].count
            bucketStart += 1
        }
        if bucketStart > 64 {
            buckets.removeFirst(bucketStart)
            bucketStart = 0
        }
        return sum >= threshold
    }

    /// Events counted (exact: at most `threshold`).
    var count: Int { exact ? times.count : sum }

    /// The time of the oldest event counted (the start of its bucket when bucketed).
    var oldest: Int64? {
        if exact {
            guard !times.isEmpty else { return nil }
            return times.count < threshold ? times[0] : times[head]
        }
        guard bucketStart < buckets.count else { return nil }
        return buckets[bucketStart].index * width
    }

    mutating func removeAll() {
        times.removeAll()
        head = 0
        buckets.removeAll()
        bucketStart = 0
        sum = 0
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
        // Small windows are searched in place: cheaper than hashing.
        if entries.count <= 8 {
            for position in entries.indices where entries[position].value == value {
                entries[position].last = time
                return
            }
        } else if let position = index[value] {
            entries[position].last = time
            return
        }
        guard entries.count < cap else {
            more = true
            return
        }
        entries.append((value, time, time))
        if entries.count == 9 {
            for (position, entry) in entries.enumerated() { index[entry.value] = position }
        } else if entries.count > 9 {
            index[value] = entries.count - 1
        }
        oldestLast = min(oldestLast, time)
    }

    /// Forgets values last seen before `cutoff`.
    mutating func evict(before cutoff: Int64) {
        guard oldestLast < cutoff else { return }
        entries.removeAll { $0.last < cutoff }
        index.removeAll(keepingCapacity: true)
        oldestLast = Int64.max
        for (position, entry) in entries.enumerated() {
            if entries.count > 8 { index[entry.value] = position }
            oldestLast = min(oldestLast, entry.last)
        }
        if entries.isEmpty { more = false }
    }

    mutating func removeAll() {
        entries.removeAll()
        index.removeAll()
        oldestLast = Int64.max
        more = false
    }
}
