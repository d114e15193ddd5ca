import CSupport
import PacketCapture

/// The fixed part of a `CounterSlot`: its threshold and window, held once per rule rather than
/// once per group.
struct CounterShape {
    static let exactLimit = 64
    static let bucketCount: Int64 = 64
    let threshold: Int
    let window: Int64
    let width: Int64
    var exact: Bool { threshold <= CounterShape.exactLimit }

    init(threshold: Int, window: Int64) {
        self.threshold = threshold
        self.window = window
        width = max(1, window / CounterShape.bucketCount)
    }
}

/// A value a `ValueWindow` holds: hashed by a cheap function of its own (the window's index is an
/// open-addressing table of entry positions, not a `Dictionary`).
protocol WindowValue: Equatable {
    /// A hash: equal values give equal hashes.
    var windowHash: UInt64 { get }
}

extension RuleValue: WindowValue {
    /// Text by its bytes in Unicode normal form C, which respects canonical equivalence as `==`
    /// does ("K" and the Kelvin sign are equal and have the same NFC bytes; see `textHash`); a mix
    /// of the number's or address's bits.
    var windowHash: UInt64 {
        switch self {
        case .text(let text):
            return Self.textHash(text)
        case .number(let number):
            // 0 and -0 are equal.
            return mix64((number == 0 ? 0 : number.bitPattern) ^ 0x9e37_79b9_7f4a_7c15)
        case .bool(let flag): return flag ? 0x51_7cc1_b727_220a : 0x2545_f491_4f6c_dd1d
        case .ip(let address): return mix64(address.high ^ mix64(address.low))
        case .list(let elements):
            var hash: UInt64 = 0x84_2222_3250
            for element in elements { hash = mix64(hash ^ element.windowHash) }
            return hash
        }
    }

    /// A seed drawn once per run, so that text crafted to collide in one run does not in the
    /// next (nothing the engine writes depends on hash order). Drawn before `main` (CSupport):
    /// as a `static let` it cost a `swift_once` call per hash.
    private static var textSeed: UInt64 { tapsentry_seed() }

    /// A hash of `text`'s bytes in normal form C, eight at a time. ASCII text (nearly all keys:
    /// accounts, AppIDs, sender ids) is in NFC already and is hashed in place; other text through
    /// its NFC code units. Cheaper than `hashValue` (SipHash with a `Hasher` per call), which was
    /// one percent of a run's instructions.
    package static func textHash(_ text: String) -> UInt64 {
        let inPlace = text.utf8.withContiguousStorageIfAvailable { hash(ascii: UnsafeRawBufferPointer($0)) }
        if let inPlace, let hash = inPlace { return hash }
        let normalized = Array(text._nfcCodeUnits)
        return normalized.withUnsafeBytes { hash(ascii: $0, normalized: true) }.unsafelyUnwrapped
    }

    /// The seeded hash of `bytes`: a splitmix64 round per eight bytes (little-endian words, the
    /// last one zero-filled), the length folded into the start. Nil when a byte is not ASCII
    /// (unless the bytes are `normalized` already).
    @inline(__always)
    private static func hash(ascii bytes: UnsafeRawBufferPointer, normalized: Bool = false) -> UInt64? {
        var hash = mix64(textSeed ^ UInt64(bytes.count))
        var seen: UInt64 = 0
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            seen |= word
            hash = mix64(hash ^ word)
            offset += 8
        }
        if offset < bytes.count {
            var word: UInt64 = 0
            withUnsafeMutableBytes(of: &word) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset...])) }
            word = UInt64(littleEndian: word)
            seen |= word
            hash = mix64(hash ^ word)
        }
        return normalized || seen & 0x8080_8080_8080_8080 == 0 ? hash : nil
    }
}

/// Values seen in a sliding window, in first-seen order, each with its first and last packet
/// time; at most `cap` are kept (`more` tells that others were seen).
struct ValueWindow<Value: WindowValue> {
    private(set) var entries: [(value: Value, first: Int64, last: Int64)] = []
    /// Past 8 entries: entry positions + 1 (0: empty) by hash, open addressing, at most half full.
    private var slots: [Int32] = []
    private var oldestLast = Int64.max
    let cap: Int
    private(set) var more = false
    /// The last list added whole (`add(contentsOf:at:)`) and the position of each of its values
    /// in `entries`, while `generation` is still `listGeneration`: a client that polls the same
    /// codes request after request has its list's times refreshed without a look-up per value.
    private var lastList: [Value] = []
    private var lastPositions: [Int32] = []
    private var listGeneration = -1
    /// Changes whenever entries move or leave (eviction, emptying).
    private var generation = 0

    init(cap: Int) {
        self.cap = cap
    }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    var values: [Value] { entries.map(\.value) }
    var firstTime: Int64? { entries.lazy.map(\.first).min() }

    /// Records `value` at `time`.
    mutating func add(_ value: Value, at time: Int64) {
        _ = record(value, at: time)
    }

    /// Records each value of `list` at `time`, in order: as `add` one by one.
    mutating func add(contentsOf list: [Value], at time: Int64) {
        if listGeneration == generation && list == lastList {
            for position in lastPositions { entries[Int(position)].last = time }
            return
        }
        var positions: [Int32] = []
        positions.reserveCapacity(list.count)
        var whole = true
        for value in list {
            if let position = record(value, at: time) {
                positions.append(Int32(truncatingIfNeeded: position))
            } else {
                whole = false
            }
        }
        // A list with a value left out at the cap is not remembered (its next add looks again),
        // nor one longer than the cap (repeats), so that what is kept stays bounded by the cap.
        if whole && list.count <= cap {
            lastList = list
            lastPositions = positions
            listGeneration = generation
        } else {
            listGeneration = -1
        }
    }

    /// Records `value` at `time`; returns its position in `entries`, nil when it was left out
    /// at the cap.
    private mutating func record(_ value: Value, at time: Int64) -> Int? {
        // Small windows are searched in place: cheaper than hashing.
        var hash: UInt64 = 0
        if entries.count <= 8 {
            for position in entries.indices where entries[position].value == value {
                entries[position].last = time
                return position
            }
        } else {
            hash = value.windowHash
            if let position = find(value, hash: hash) {
                entries[position].last = time
                return position
            }
        }
        guard entries.count < cap else {
            more = true
            return nil
        }
        entries.append((value, time, time))
        if entries.count == 9 {
            rebuild()
        } else if entries.count > 9 {
            if (entries.count &* 2) > slots.count {
                rebuild()
            } else {
                insert(entries.count - 1, hash: hash)
            }
        }
        oldestLast = min(oldestLast, time)
        return entries.count - 1
    }

    private func find(_ value: Value, hash: UInt64) -> Int? {
        let mask = slots.count &- 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let stored = Int(slots[slot])
            if stored == 0 { return nil }
            if entries[stored &- 1].value == value { return stored &- 1 }
            slot = (slot &+ 1) & mask
        }
    }

    private mutating func insert(_ position: Int, hash: UInt64) {
        let mask = slots.count &- 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot &+ 1) & mask }
        slots[slot] = Int32(truncatingIfNeeded: position &+ 1)
    }

    /// Indexes every entry again (sized for the cap, or for twice the entries when the cap is large).
    private mutating func rebuild() {
        guard entries.count > 8 else {
            slots = []
            return
        }
        var size = 16
        while size < min(cap, 1 << 20) &* 2 && size < entries.count &* 4 { size &<<= 1 }
        while size < entries.count &* 2 { size &<<= 1 }
        if slots.count == size {
            for index in slots.indices { slots[index] = 0 }
        } else {
            slots = Array(repeating: 0, count: size)
        }
        for position in entries.indices { insert(position, hash: entries[position].value.windowHash) }
    }

    /// Forgets values last seen before `cutoff`.
    mutating func evict(before cutoff: Int64) {
        guard oldestLast < cutoff else { return }
        generation &+= 1
        entries.removeAll { $0.last < cutoff }
        oldestLast = entries.lazy.map(\.last).min() ?? Int64.max
        rebuild()
        if entries.isEmpty { more = false }
    }

    mutating func removeAll() {
        generation &+= 1
        lastList = []
        lastPositions = []
        entries.removeAll()
        slots = []
        oldestLast = Int64.max
        more = false
    }
}

/// The evidence values of one group: per slot (an evidence field, or the flow ids in the last
/// slot) the values seen in the window, in first-seen order, at most `cap` each. The first two
/// values are held in place (most groups see one flow and one value of each field, so most
/// stores allocate nothing); the rest follow in one array.
struct EvidenceStore {
    typealias Entry = (value: RuleValue, slot: Int32, first: Int64, last: Int64)
    private static let vacant: Entry = (.bool(false), -1, 0, 0)
    private var entry0 = EvidenceStore.vacant
    private var entry1 = EvidenceStore.vacant
    /// Entries after the first two.
    private var rest: [Entry] = []
    private var oldestLast = Int64.max
    /// Slots that saw more values than `cap` (bit per slot).
    private var overflow: UInt64 = 0
    private let capacity: Int32
    /// Entries held in place (0, 1 or 2).
    private var held: UInt8 = 0

    var cap: Int { Int(capacity) }

    init(cap: Int) {
        capacity = Int32(clamping: cap)
    }

    /// Records `value` in `slot` at `time`.
    mutating func add(_ value: RuleValue, slot: Int, at time: Int64) {
        let slot = Int32(truncatingIfNeeded: slot)
        var inSlot: Int32 = 0
        if held > 0 && entry0.slot == slot {
            if entry0.value == value {
                entry0.last = time
                return
            }
            inSlot &+= 1
        }
        if held > 1 && entry1.slot == slot {
            if entry1.value == value {
                entry1.last = time
                return
            }
            inSlot &+= 1
        }
        if !rest.isEmpty {
            for index in rest.indices where rest[index].slot == slot {
                if rest[index].value == value {
                    rest[index].last = time
                    return
                }
                inSlot &+= 1
            }
        }
        guard inSlot < capacity else {
            if slot < 64 { overflow |= 1 << UInt64(slot) }
            return
        }
        let entry: Entry = (value, slot, time, time)
        switch held {
        case 0:
            entry0 = entry
            held = 1
        case 1:
            entry1 = entry
            held = 2
        default:
            rest.append(entry)
        }
        oldestLast = min(oldestLast, time)
    }

    /// Every entry, first seen first.
    private var entries: [Entry] {
        switch held {
        case 0: []
        case 1: [entry0]
        default: [entry0, entry1] + rest
        }
    }

    /// Forgets values last seen before `cutoff` (in place: kept entries move forward in order).
    mutating func evict(before cutoff: Int64) {
        guard oldestLast < cutoff else { return }
        let total = held < 2 ? Int(held) : 2 &+ rest.count
        var kept = 0
        var oldest = Int64.max
        for position in 0..<total {
            let entry = position == 0 ? entry0 : position == 1 ? entry1 : rest[position &- 2]
            guard entry.last >= cutoff else { continue }
            switch kept {
            case 0: entry0 = entry
            case 1: entry1 = entry
            default: rest[kept &- 2] = entry
            }
            kept &+= 1
            oldest = min(oldest, entry.last)
        }
        if kept < 2 { entry1 = EvidenceStore.vacant }
        if kept < 1 { entry0 = EvidenceStore.vacant }
        let restKept = max(0, kept &- 2)
        if rest.count > restKept { rest.removeLast(rest.count &- restKept) }
        held = UInt8(min(kept, 2))
        oldestLast = oldest
        if kept == 0 { overflow = 0 }
    }

    /// The values of `slot`, first seen first.
    func values(_ slot: Int) -> [RuleValue] { entries.filter { $0.slot == slot }.map(\.value) }

    /// Whether `slot` saw more values than it kept.
    func more(_ slot: Int) -> Bool { slot < 64 && overflow & (1 << UInt64(slot)) != 0 }

    /// The first sighting of a value of `slot` still held.
    func firstTime(_ slot: Int) -> Int64? { entries.lazy.filter { $0.slot == slot }.map(\.first).min() }
}
