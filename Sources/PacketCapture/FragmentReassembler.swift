/// Reassembles IPv4 and IPv6 fragments into datagrams, within fixed bounds.
///
/// Data is kept per datagram in one buffer that grows to the highest fragment end, with a bitmap of
/// the 8-byte blocks received. On overlap the first copy wins; differing bytes count as a conflict.
/// A datagram is complete when its final fragment has arrived and every block up to it is there.
///
/// Limits (see `FragmentLimits`): when a new datagram would exceed the datagram count, or new data
/// the buffered bytes, the *oldest* datagrams are evicted (counted `droppedLimit`); a datagram past
/// the size limit or with inconsistent fragments is dropped at once, and kept as a bufferless
/// "failed" entry until it times out, so that its later fragments are dropped too without counting
/// the datagram again. Timeouts run in packet time from a datagram's first fragment.
package struct FragmentReassembler: Sendable {
    /// What `insert` did with a fragment.
    package enum Outcome {
        /// Buffered; the datagram is not complete yet.
        case pending
        /// Dropped, with its datagram (now or before).
        case dropped
        /// The datagram is complete: its data after the IP header (IPv4) or fragment header (IPv6).
        case complete([UInt8])
    }

    /// A datagram being reassembled.
    private struct Pending {
        /// Creation order, to tell this entry from a later one with the same key.
        var serial: UInt64
        /// Data received, as long as the highest fragment end.
        var data: [UInt8] = []
        /// One bit per 8-byte block of `data` received.
        var blocks: [UInt64] = []
        /// How many bits of `blocks` are set.
        var blocksReceived = 0
        /// The datagram's data length once the final fragment came, else -1.
        var totalLength = -1
        /// Dropped already; later fragments are dropped without being counted again.
        var failed = false

        init(serial: UInt64) { self.serial = serial }

        var isComplete: Bool { totalLength >= 0 && blocksReceived == (totalLength + 7) / 8 }

        func hasBlock(_ block: Int) -> Bool { blocks[block >> 6] & (1 << UInt64(block & 63)) != 0 }

        /// Adds a fragment whose consistency has been checked; returns whether it overlapped
        /// buffered data and whether those bytes differed.
        mutating func merge(_ fragment: UnsafeRawBufferPointer, at offset: Int, isFinal: Bool) -> (overlap: Bool, conflict: Bool) {
            let end = offset + fragment.count
            if end > data.count { data.append(contentsOf: repeatElement(0, count: end - data.count)) }
            let words = (end + 511) / 512
            if words > blocks.count { blocks.append(contentsOf: repeatElement(0, count: words - blocks.count)) }
            if isFinal { totalLength = end }
            var overlap = false
            var conflict = false
            var block = offset / 8
            let endBlock = (end + 7) / 8
            while block < endBlock {
                let received = hasBlock(block)
                var runEnd = block + 1
                while runEnd < endBlock && hasBlock(runEnd) == received { runEnd += 1 }
                let source = fragment.bytes(from: block * 8 - offset, to: min(runEnd * 8, end) - offset)
                let target = block * 8
                if received {
                    overlap = true
                    if !conflict {
                        conflict = data.withUnsafeBytes { !$0.bytes(from: target, to: target + source.count).elementsEqual(source) }
                    }
                } else {
                    data.withUnsafeMutableBytes {
                        UnsafeMutableRawBufferPointer(rebasing: $0[target..<(target + source.count)]).copyMemory(from: source)
                    }
                    for index in block..<runEnd { blocks[index >> 6] |= 1 << UInt64(index & 63) }
                    blocksReceived += runEnd - block
                }
                block = runEnd
            }
            return (overlap, conflict)
        }
    }

    /// A datagram in creation order, for timeouts and eviction.
    private struct Age {
        var key: FragmentKey
        var serial: UInt64
        var created: Timestamp
    }

    /// The limits kept to.
    package let limits: FragmentLimits
    /// What has been seen, completed and dropped.
    package private(set) var statistics = FragmentStatistics()
    /// Bytes buffered over all datagrams.
    package private(set) var bufferedBytes = 0

    private var pending: [FragmentKey: Pending] = [:]
    /// Datagrams oldest first from `ageHead`; entries whose datagram is gone are skipped.
    private var ages: [Age] = []
    private var ageHead = 0
    private var nextSerial: UInt64 = 0

    /// An empty reassembler.
    package init(limits: FragmentLimits = FragmentLimits()) {
        self.limits = limits
    }

    /// Datagrams with fragments buffered (or failed and waiting to time out).
    package var datagramsInProgress: Int { pending.count }

    /// Adds one fragment: `data` (the bytes after the IP or fragment header) at byte `offset` of the
    /// datagram. `headerLength` counts toward the maximum datagram size (the IPv4 header; 0 for
    /// IPv6). `wholeCaptured` is false when the capture cut the fragment short. Expires what is due
    /// at `time` first.
    package mutating func insert(
        key: FragmentKey, offset: Int, data: UnsafeRawBufferPointer, moreFragments: Bool,
        headerLength: Int, wholeCaptured: Bool, time: Timestamp
    ) -> Outcome {
        statistics.fragments &+= 1
        expire(at: time)
        let end = offset + data.count

        if pending[key] == nil {
            guard limits.maxDatagrams > 0 else {
                statistics.droppedLimit &+= 1
                return .dropped
            }
            while pending.count >= limits.maxDatagrams, evictOldest() != nil {}
            pending[key] = Pending(serial: nextSerial)
            ages.append(Age(key: key, serial: nextSerial, created: time))
            nextSerial &+= 1
        }
        // Scalars only: a copy of the entry kept alive here would make the merge below copy its buffer.
        guard let (failed, totalLength, length) = state(of: key), !failed else { return .dropped }

        let malformed = !wholeCaptured
            || (moreFragments && (data.isEmpty || data.count % 8 != 0))
            || (moreFragments && totalLength >= 0 && end > totalLength)
            || (!moreFragments && totalLength >= 0 && end != totalLength)
            || (!moreFragments && length > end)
        if malformed {
            fail(key, tooLarge: false)
            return .dropped
        }
        if headerLength + end > limits.maxDatagramSize {
            fail(key, tooLarge: true)
            return .dropped
        }

        let growth = max(0, end - length)
        while bufferedBytes + growth > limits.maxBufferedBytes {
            guard let evicted = evictOldest() else { break }
            if evicted == key { return .dropped }
        }
        guard let index = pending.index(forKey: key) else { return .dropped }
        bufferedBytes += growth
        let (overlap, conflict) = pending.values[index].merge(data, at: offset, isFinal: !moreFragments)
        if overlap { statistics.overlaps &+= 1 }
        if conflict { statistics.conflictingOverlaps &+= 1 }
        guard pending.values[index].isComplete else { return .pending }

        let done = pending.remove(at: index).value
        bufferedBytes -= done.data.count
        statistics.reassembled &+= 1
        compactAges()
        return .complete(done.data)
    }

    /// Drops datagrams whose first fragment is older than the timeout at `time`.
    package mutating func expire(at time: Timestamp) {
        while ageHead < ages.count, time.nanoseconds &- ages[ageHead].created.nanoseconds > limits.timeoutNanoseconds {
            let age = ages[ageHead]
            ageHead += 1
            if let index = pending.index(forKey: age.key), pending.values[index].serial == age.serial {
                let gone = pending.remove(at: index).value
                bufferedBytes -= gone.data.count
                if !gone.failed { statistics.droppedTimeout &+= 1 }
            }
        }
        compactAges()
    }

    /// Whether the datagram has failed, its total length (-1 while unknown) and its buffered length.
    private func state(of key: FragmentKey) -> (failed: Bool, totalLength: Int, length: Int)? {
        guard let entry = pending[key] else { return nil }
        return (entry.failed, entry.totalLength, entry.data.count)
    }

    /// Marks a datagram failed: frees its buffer and counts it once.
    private mutating func fail(_ key: FragmentKey, tooLarge: Bool) {
        guard let index = pending.index(forKey: key) else { return }
        bufferedBytes -= pending.values[index].data.count
        pending.values[index].data = []
        pending.values[index].blocks = []
        pending.values[index].failed = true
        if tooLarge { statistics.droppedTooLarge &+= 1 } else { statistics.droppedMalformed &+= 1 }
    }

    /// Removes the oldest datagram, counting it unless it had failed already; returns its key, or
    /// nil when none is left.
    private mutating func evictOldest() -> FragmentKey? {
        while ageHead < ages.count {
            let age = ages[ageHead]
            ageHead += 1
            if let index = pending.index(forKey: age.key), pending.values[index].serial == age.serial {
                let gone = pending.remove(at: index).value
                bufferedBytes -= gone.data.count
                if !gone.failed { statistics.droppedLimit &+= 1 }
                compactAges()
                return age.key
            }
        }
        compactAges()
        return nil
    }

    /// Keeps the age list from growing: drops the consumed front, and entries of datagrams already
    /// gone once they outnumber the live ones.
    private mutating func compactAges() {
        if ageHead > 0 && ageHead * 2 >= ages.count {
            ages.removeSubrange(0..<ageHead)
            ageHead = 0
        }
        if ages.count - ageHead > 2 * pending.count + 64 {
            ages = ages[ageHead...].filter { pending[$0.key]?.serial == $0.serial }
            ageHead = 0
        }
    }
}
