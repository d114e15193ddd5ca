import PacketCapture

/// The ticks one host received recently, by tick hash: a flat open-addressing table (linear
/// probing, deletion by backward shift, so no tombstones), the same map as a `Dictionary` keyed by
/// the hash without SipHash over a key that is already a hash, and with one probe sequence per
/// look-up, insertion or conditional removal.
struct TickTable {
    /// What is known of a tick: when it arrived, on which flow, from whom.
    struct Entry {
        var time: Int64
        var flow: UInt64
        var sender: IPAddress
    }

    private struct Slot {
        var tick: UInt64 = 0
        var entry = Entry(time: 0, flow: 0, sender: IPAddress(high: 0, low: 0))
        var used = false
    }

    private var slots: [Slot]
    /// `slots.count - 1` (a power of two minus one).
    private var mask: Int
    /// 64 minus log2 of the capacity: the hash's top bits pick the home slot.
    private var shift: UInt64
    /// Ticks held.
    private(set) var count = 0

    /// An empty table.
    init() {
        slots = Array(repeating: Slot(), count: 16)
        mask = 15
        shift = 60
    }

    /// Whether no tick is held.
    var isEmpty: Bool { count == 0 }

    @inline(__always)
    private func home(_ tick: UInt64) -> Int {
        Int(truncatingIfNeeded: (tick &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The slot holding `tick`, or the empty slot where it would go (`found` false).
    @inline(__always)
    private func probe(_ tick: UInt64) -> (index: Int, found: Bool) {
        var index = home(tick)
        while true {
            let slot = slots[index]
            if !slot.used { return (index, false) }
            if slot.tick == tick { return (index, true) }
            index = (index &+ 1) & mask
        }
    }

    /// The entry of `tick`, if held.
    func entry(_ tick: UInt64) -> Entry? {
        let (index, found) = probe(tick)
        return found ? slots[index].entry : nil
    }

    /// Sets the entry of `tick` when it is held or fewer than `limit` ticks are; returns whether it was set.
    mutating func set(_ tick: UInt64, _ entry: Entry, limit: Int) -> Bool {
        var (index, found) = probe(tick)
        if found {
            slots[index].entry = entry
            return true
        }
        guard count < limit else { return false }
        if (count + 1) * 2 > slots.count {
            grow()
            index = probe(tick).index
        }
        slots[index] = Slot(tick: tick, entry: entry, used: true)
        count += 1
        return true
    }

    /// Removes `tick` when its entry's time is `time`.
    mutating func remove(_ tick: UInt64, ifTime time: Int64) {
        let (found, hit) = probe(tick)
        guard hit, slots[found].entry.time == time else { return }
        // Backward shift: pull later members of the probe run into the hole where their home allows.
        var hole = found
        var next = (hole &+ 1) & mask
        while slots[next].used {
            let wanted = home(slots[next].tick)
            // The member at `next` may move to `hole` unless its home lies cyclically in (hole, next].
            let stays = hole <= next ? (wanted > hole && wanted <= next) : (wanted > hole || wanted <= next)
            if !stays {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next &+ 1) & mask
        }
        slots[hole] = Slot()
        count -= 1
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(), count: old.count * 2)
        mask = slots.count - 1
        shift -= 1
        for slot in old where slot.used {
            var index = home(slot.tick)
            while slots[index].used { index = (index &+ 1) & mask }
            slots[index] = slot
        }
    }
}
