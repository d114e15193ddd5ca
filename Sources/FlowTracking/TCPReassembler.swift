import PacketCapture

/// Where a reassembler hands its output: in-order bytes, holes that will not be filled, the end.
package protocol ReassemblySink {
    /// The next bytes of the stream, in order; valid only during the call.
    mutating func deliver(_ bytes: UnsafeRawBufferPointer)
    /// `length` bytes of the stream are lost; the next delivery continues after them.
    mutating func gap(_ length: UInt64)
    /// The stream ended; nothing follows.
    mutating func end()
}

/// Bounds on what one direction of a TCP stream may hold while waiting for missing data.
package struct ReassemblyLimits: Sendable, Equatable {
    /// Out-of-order bytes one direction may buffer before it gives up on the first hole.
    package var maxBufferedBytes: Int = 1 << 20
    /// Out-of-order segments one direction may buffer.
    package var maxBufferedSegments: Int = 1024
    /// How far ahead of the next expected byte a segment may start before it is dropped as
    /// out of window (protects against a bogus sequence number forcing a huge gap).
    package var maxSequenceJump: UInt64 = 64 << 20
    /// Whether retransmissions of delivered data are checked against what was delivered: each
    /// direction keeps a 64-bit digest of its last four delivered segments, and a retransmission
    /// that covers one of them whole is compared with it (a difference is a conflicting overlap).
    /// Keeping the bytes themselves was measured at more than twice the cost of the whole
    /// reassembly path with thousands of flows, for the cache misses of the copies.
    package var checkRetransmissions = true

    /// The default limits.
    package init() {}
}

/// Memory shared by every reassembler of one flow table, and the counters they all add to.
package struct ReassemblyContext: Sendable {
    /// The limits every direction obeys.
    package var limits: ReassemblyLimits
    /// Bytes all reassemblers together may hold (out-of-order data and overlap-check windows).
    package var memcap: Int
    /// Bytes held now.
    package var memoryInUse: Int = 0
    /// The largest `memoryInUse` seen.
    package var peakMemoryInUse: Int = 0
    /// What happened, added up over all streams.
    package var statistics = TCPStatistics()

    /// A context with the given limits and memory cap.
    package init(limits: ReassemblyLimits = ReassemblyLimits(), memcap: Int = 64 << 20) {
        self.limits = limits
        self.memcap = memcap
    }

    @inline(__always)
    mutating func reserve(_ bytes: Int) -> Bool {
        if memoryInUse + bytes > memcap { return false }
        memoryInUse += bytes
        if memoryInUse > peakMemoryInUse { peakMemoryInUse = memoryInUse }
        return true
    }

    @inline(__always)
    mutating func release(_ bytes: Int) {
        memoryInUse -= bytes
    }
}

/// Counters over all TCP streams. Names in the stats output are `tcp.<name>`.
package struct TCPStatistics: Sendable, Equatable {
    /// Payload bytes delivered in order to the consumers.
    package var reassembledBytes: UInt64 = 0
    /// Holes given up on and reported as gaps.
    package var gaps: UInt64 = 0
    /// Bytes in those holes.
    package var gapBytes: UInt64 = 0
    /// Segments that arrived ahead of the next expected byte and were buffered.
    package var outOfOrderSegments: UInt64 = 0
    /// Bytes that arrived again (retransmitted or overlapping) and were not delivered again.
    package var retransmittedBytes: UInt64 = 0
    /// Overlaps whose bytes differed from the first copy (first copy wins).
    package var conflictingOverlaps: UInt64 = 0
    /// Segments dropped because they started too far ahead of the stream.
    package var outOfWindowSegments: UInt64 = 0
    /// Data that arrived after its direction had ended (after FIN or RST).
    package var dataAfterEnd: UInt64 = 0
    /// Times a hole was given up early because a buffer limit or the memcap was reached.
    package var bufferLimitGaps: UInt64 = 0
    /// Streams picked up without their SYN (capture started mid-stream).
    package var midstreamPickups: UInt64 = 0

    /// No counts.
    package init() {}

    /// Adds another set of counters into this one.
    package mutating func merge(_ other: TCPStatistics) {
        reassembledBytes &+= other.reassembledBytes
        gaps &+= other.gaps
        gapBytes &+= other.gapBytes
        outOfOrderSegments &+= other.outOfOrderSegments
        retransmittedBytes &+= other.retransmittedBytes
        conflictingOverlaps &+= other.conflictingOverlaps
        outOfWindowSegments &+= other.outOfWindowSegments
        dataAfterEnd &+= other.dataAfterEnd
        bufferLimitGaps &+= other.bufferLimitGaps
        midstreamPickups &+= other.midstreamPickups
    }
}

/// Rebuilds one direction of a TCP connection: each stream byte delivered exactly once and in
/// order, whatever order, duplication or overlap the segments arrived in.
///
/// Positions are 64-bit stream offsets (0 is the first byte after the SYN, or the first byte
/// seen when the capture started mid-stream); sequence numbers map to offsets relative to the
/// next expected byte, so wrap-around at 2^32 needs no special case. In-order data is handed to
/// the sink straight from the packet buffer; only out-of-order data is copied. On overlap the
/// first copy wins, and a later copy whose bytes differ is counted as a conflict.
package struct TCPReassembler: Sendable {
    private struct Pending: Sendable {
        var offset: UInt64
        var bytes: [UInt8]
        var end: UInt64 { offset + UInt64(bytes.count) }
    }

    /// Whether the stream's start is known (SYN or first data seen).
    package private(set) var isStarted = false
    /// Whether the stream has ended; later data is counted and ignored.
    package private(set) var isEnded = false
    /// Whether the SYN of this direction was seen.
    package private(set) var sawSYN = false
    private var nextSequence: UInt32 = 0
    /// The stream offset of the next byte expected (bytes delivered plus bytes lost in gaps).
    package private(set) var nextOffset: UInt64 = 0
    private var finOffset: UInt64?
    private var pending: [Pending] = []
    private var pendingBytes = 0
    // Digests of the last delivered segments, for comparing retransmissions with them.
    private var digests = InlineArray<4, SegmentDigest>(repeating: SegmentDigest())
    private var nextDigest = 0
    /// Bytes delivered in order.
    package private(set) var deliveredBytes: UInt64 = 0
    /// Gaps reported.
    package private(set) var gapCount: UInt64 = 0

    /// A reassembler that has seen nothing.
    package init() {}

    /// Whether this direction's FIN was seen (the stream may still wait for bytes before it).
    package var sawFIN: Bool { finOffset != nil }

    /// Bytes of out-of-order data waiting for a hole to fill.
    package var bufferedBytes: Int { pendingBytes }

    /// Takes one segment of this direction. `payload` is valid only during the call;
    /// `uncapturedLength` payload bytes followed it on the wire but were cut by the snapshot length
    /// (they become a gap as soon as the stream reaches them).
    package mutating func segment<Sink: ReassemblySink>(
        sequence: UInt32, flags: TCPFlags, payload: UnsafeRawBufferPointer, uncapturedLength: Int = 0,
        context: inout ReassemblyContext, sink: inout Sink
    ) {
        let hasData = !payload.isEmpty
        if !isStarted {
            if flags.contains(.syn) {
                nextSequence = sequence &+ 1
                sawSYN = true
            } else if hasData || uncapturedLength > 0 || flags.contains(.fin) {
                nextSequence = sequence
                context.statistics.midstreamPickups &+= 1
            } else {
                return  // a bare ACK says too little to anchor the stream on
            }
            isStarted = true
        }
        if isEnded {
            if hasData { context.statistics.dataAfterEnd &+= 1 }
            return
        }
        if flags.contains(.rst) {
            if hasData {
                accept(sequence: sequence, flags: flags, payload: payload, uncaptured: uncapturedLength, context: &context, sink: &sink)
            }
            finish(context: &context, sink: &sink)
            return
        }
        accept(sequence: sequence, flags: flags, payload: payload, uncaptured: uncapturedLength, context: &context, sink: &sink)
    }

    /// Gives up on every hole: reports gaps, delivers what is buffered and ends the stream.
    /// Called on RST, when the flow times out or is evicted, and at the end of the capture.
    package mutating func finish<Sink: ReassemblySink>(context: inout ReassemblyContext, sink: inout Sink) {
        guard !isEnded else { return }
        while let first = pending.first {
            skipTo(first.offset, context: &context, sink: &sink)
            drain(context: &context, sink: &sink)
        }
        if let fin = finOffset, fin > nextOffset {
            skipTo(fin, context: &context, sink: &sink)
        }
        endStream(context: &context, sink: &sink)
    }

    /// Returns the memory this stream holds to the context (the stream has ended; `finish` and
    /// every other way of ending go through `endStream`, which calls this).
    private mutating func releaseMemory(context: inout ReassemblyContext) {
        context.release(pendingBytes)
        pending = []
        pendingBytes = 0
    }

    // MARK: - Placing a segment

    private mutating func accept<Sink: ReassemblySink>(
        sequence: UInt32, flags: TCPFlags, payload: UnsafeRawBufferPointer, uncaptured: Int,
        context: inout ReassemblyContext, sink: inout Sink
    ) {
        // The SYN occupies one sequence number before the data.
        let dataSequence = flags.contains(.syn) ? sequence &+ 1 : sequence
        let delta = Int64(Int32(bitPattern: dataSequence &- nextSequence))
        let startSigned = Int64(bitPattern: nextOffset) &+ delta
        if startSigned > 0 && UInt64(startSigned) > nextOffset &+ context.limits.maxSequenceJump {
            context.statistics.outOfWindowSegments &+= 1
            return
        }
        var payload = payload
        var start: UInt64
        if startSigned < 0 {
            // Bytes before the stream's first byte: retransmitted data from before the pickup.
            let before = Int(min(Int64(payload.count), -startSigned))
            context.statistics.retransmittedBytes &+= UInt64(before)
            payload = UnsafeRawBufferPointer(rebasing: payload[before...])
            start = 0
        } else {
            start = UInt64(startSigned)
        }
        // Where the captured bytes end and the uncaptured ones (snapshot length) end.
        let capturedEnd = start + UInt64(payload.count)
        let wireEnd = capturedEnd + UInt64(uncaptured)
        if flags.contains(.fin) && finOffset == nil {
            finOffset = wireEnd
        }
        if !payload.isEmpty {
            if start < nextOffset {
                // Already delivered in part or in whole: compare, count, keep only the new tail.
                let overlap = Int(min(UInt64(payload.count), nextOffset - start))
                compareWithDelivered(UnsafeRawBufferPointer(rebasing: payload[..<overlap]), at: start, context: &context)
                context.statistics.retransmittedBytes &+= UInt64(overlap)
                payload = UnsafeRawBufferPointer(rebasing: payload[overlap...])
                start = nextOffset
            }
            if !payload.isEmpty {
                if start == nextOffset && (pending.isEmpty || pending[0].offset >= start + UInt64(payload.count)) {
                    deliver(payload, context: &context, sink: &sink)  // the common case: no copy
                } else {
                    if start > nextOffset { context.statistics.outOfOrderSegments &+= 1 }
                    queue(payload, at: start, context: &context, sink: &sink)
                }
                drain(context: &context, sink: &sink)
            }
        }
        if uncaptured > 0 && nextOffset == capturedEnd && (pending.first.map { $0.offset >= wireEnd } ?? true) {
            // The stream has reached bytes the capture never kept: they are lost, say so now.
            skipTo(wireEnd, context: &context, sink: &sink)
            drain(context: &context, sink: &sink)
        }
        if let fin = finOffset, nextOffset >= fin, pending.isEmpty {
            endStream(context: &context, sink: &sink)
        }
    }

    /// Buffers data that cannot be delivered yet, first copy winning over what is already queued.
    private mutating func queue<Sink: ReassemblySink>(
        _ payload: UnsafeRawBufferPointer, at start: UInt64,
        context: inout ReassemblyContext, sink: inout Sink
    ) {
        let end = start + UInt64(payload.count)
        var cursor = start
        var index = firstPendingIndex(endingAfter: start)
        var pieces: [(offset: UInt64, range: Range<Int>)] = []
        while cursor < end && index < pending.count && pending[index].offset < end {
            let queued = pending[index]
            if queued.offset > cursor {
                pieces.append((cursor, Int(cursor - start)..<Int(queued.offset - start)))
            }
            let overlapStart = max(cursor, queued.offset)
            let overlapEnd = min(end, queued.end)
            if overlapEnd > overlapStart {
                let new = UnsafeRawBufferPointer(rebasing: payload[Int(overlapStart - start)..<Int(overlapEnd - start)])
                let same = queued.bytes.withUnsafeBytes { old in
                    memoryEqual(new, UnsafeRawBufferPointer(rebasing: old[Int(overlapStart - queued.offset)..<Int(overlapEnd - queued.offset)]))
                }
                if !same { context.statistics.conflictingOverlaps &+= 1 }
                context.statistics.retransmittedBytes &+= overlapEnd - overlapStart
            }
            cursor = max(cursor, queued.end)
            index += 1
        }
        if cursor < end {
            pieces.append((cursor, Int(cursor - start)..<payload.count))
        }
        for piece in pieces {
            var pieceStart = piece.offset
            var bytes = UnsafeRawBufferPointer(rebasing: payload[piece.range])
            // The hole before this piece may have been given up on while making room.
            if pieceStart + UInt64(bytes.count) <= nextOffset { continue }
            if pieceStart < nextOffset {
                bytes = UnsafeRawBufferPointer(rebasing: bytes[Int(nextOffset - pieceStart)...])
                pieceStart = nextOffset
            }
            if pieceStart == nextOffset && (pending.isEmpty || pending[0].offset >= pieceStart + UInt64(bytes.count)) {
                deliver(bytes, context: &context, sink: &sink)
                continue
            }
            makeRoom(for: bytes.count, context: &context, sink: &sink)
            if pieceStart <= nextOffset {
                // Making room skipped past this piece's start: it is now in order.
                if pieceStart + UInt64(bytes.count) > nextOffset {
                    deliver(UnsafeRawBufferPointer(rebasing: bytes[Int(nextOffset - pieceStart)...]), context: &context, sink: &sink)
                }
                continue
            }
            if pending.count >= context.limits.maxBufferedSegments
                || pendingBytes + bytes.count > context.limits.maxBufferedBytes
                || !context.reserve(bytes.count)
            {
                // Nothing left to give up but the hole before this piece itself.
                context.statistics.bufferLimitGaps &+= 1
                skipTo(pieceStart, context: &context, sink: &sink)
                deliver(bytes, context: &context, sink: &sink)
                continue
            }
            let insertAt = firstPendingIndex(endingAfter: pieceStart)
            pending.insert(Pending(offset: pieceStart, bytes: Array(bytes)), at: insertAt)
            pendingBytes += bytes.count
        }
    }

    /// While the buffers cannot take `count` more bytes, gives up the first hole and delivers
    /// what follows it.
    private mutating func makeRoom<Sink: ReassemblySink>(
        for count: Int, context: inout ReassemblyContext, sink: inout Sink
    ) {
        while let first = pending.first,
            pending.count >= context.limits.maxBufferedSegments
                || pendingBytes + count > context.limits.maxBufferedBytes
                || context.memoryInUse + count > context.memcap
        {
            context.statistics.bufferLimitGaps &+= 1
            skipTo(first.offset, context: &context, sink: &sink)
            drain(context: &context, sink: &sink)
        }
    }

    /// Index of the first queued segment that ends after `offset` (the queue is sorted and
    /// its segments never overlap).
    private func firstPendingIndex(endingAfter offset: UInt64) -> Int {
        var low = 0
        var high = pending.count
        while low < high {
            let mid = (low + high) / 2
            if pending[mid].end <= offset { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Delivers queued segments that have become contiguous with the stream.
    private mutating func drain<Sink: ReassemblySink>(context: inout ReassemblyContext, sink: inout Sink) {
        while let first = pending.first, first.offset <= nextOffset {
            pending.removeFirst()
            pendingBytes -= first.bytes.count
            context.release(first.bytes.count)
            if first.end > nextOffset {
                first.bytes.withUnsafeBytes { bytes in
                    deliver(UnsafeRawBufferPointer(rebasing: bytes[Int(nextOffset - first.offset)...]), context: &context, sink: &sink)
                }
            }
        }
    }

    // MARK: - Output

    @inline(__always)
    private mutating func deliver<Sink: ReassemblySink>(
        _ bytes: UnsafeRawBufferPointer, context: inout ReassemblyContext, sink: inout Sink
    ) {
        remember(bytes, context: &context)
        nextOffset += UInt64(bytes.count)
        nextSequence = nextSequence &+ UInt32(truncatingIfNeeded: bytes.count)
        deliveredBytes &+= UInt64(bytes.count)
        context.statistics.reassembledBytes &+= UInt64(bytes.count)
        sink.deliver(bytes)
    }

    private mutating func skipTo<Sink: ReassemblySink>(
        _ offset: UInt64, context: inout ReassemblyContext, sink: inout Sink
    ) {
        guard offset > nextOffset else { return }
        let length = offset - nextOffset
        nextOffset = offset
        nextSequence = nextSequence &+ UInt32(truncatingIfNeeded: length)
        gapCount &+= 1
        context.statistics.gaps &+= 1
        context.statistics.gapBytes &+= length
        sink.gap(length)
    }

    private mutating func endStream<Sink: ReassemblySink>(context: inout ReassemblyContext, sink: inout Sink) {
        guard !isEnded else { return }
        isEnded = true
        releaseMemory(context: &context)
        sink.end()
    }

    // MARK: - Comparing retransmissions with delivered bytes

    @inline(__always)
    private mutating func remember(_ bytes: UnsafeRawBufferPointer, context: inout ReassemblyContext) {
        guard context.limits.checkRetransmissions else { return }
        digests[nextDigest] = SegmentDigest(offset: nextOffset, length: bytes.count, digest: segmentDigest(bytes))
        nextDigest = (nextDigest + 1) & 3
    }

    /// Compares retransmitted bytes (at stream offset `start`, already delivered) with the digests
    /// of the delivered segments they cover whole.
    private func compareWithDelivered(_ bytes: UnsafeRawBufferPointer, at start: UInt64, context: inout ReassemblyContext) {
        let end = start + UInt64(bytes.count)
        for index in 0..<4 {
            let delivered = digests[index]
            guard delivered.length > 0, delivered.offset >= start, delivered.offset + UInt64(delivered.length) <= end else { continue }
            let from = Int(delivered.offset - start)
            let again = UnsafeRawBufferPointer(rebasing: bytes[from..<(from + delivered.length)])
            if segmentDigest(again) != delivered.digest {
                context.statistics.conflictingOverlaps &+= 1
                return
            }
        }
    }
}

/// Where a delivered segment sat in the stream and a digest of its bytes.
private struct SegmentDigest: Sendable {
    var offset: UInt64 = 0
    var length = 0
    var digest: UInt64 = 0
}

/// A fast 64-bit digest of a byte range: wyhash-style multiply-folds over 16-byte blocks, in four
/// independent lanes over 64-byte stripes (so the multiplies overlap instead of waiting on each
/// other), then one lane for the rest.
@inline(__always)
private func segmentDigest(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    @inline(__always)
    func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }
    let count = bytes.count
    guard let base = bytes.baseAddress else { return 0x243F_6A88_85A3_08D3 }
    var lanes: (UInt64, UInt64, UInt64, UInt64) = (0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344, 0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89)
    var index = 0
    @inline(__always)
    func word(_ offset: Int) -> UInt64 { base.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
    while index + 64 <= count {
        lanes.0 = fold(word(index) ^ 0xA076_1D64_78BD_642F ^ lanes.0, word(index + 8) ^ 0xE703_7ED1_A0B4_28DB)
        lanes.1 = fold(word(index + 16) ^ 0xA076_1D64_78BD_642F ^ lanes.1, word(index + 24) ^ 0xE703_7ED1_A0B4_28DB)
        lanes.2 = fold(word(index + 32) ^ 0xA076_1D64_78BD_642F ^ lanes.2, word(index + 40) ^ 0xE703_7ED1_A0B4_28DB)
        lanes.3 = fold(word(index + 48) ^ 0xA076_1D64_78BD_642F ^ lanes.3, word(index + 56) ^ 0xE703_7ED1_A0B4_28DB)
        index += 64
    }
    var hash = fold(lanes.0 ^ lanes.2, lanes.1 ^ lanes.3) ^ UInt64(count)
    while index + 16 <= count {
        hash = fold(word(index) ^ 0xA076_1D64_78BD_642F ^ hash, word(index + 8) ^ 0xE703_7ED1_A0B4_28DB)
        index += 16
    }
    var tail: (UInt64, UInt64) = (0, 0)
    withUnsafeMutableBytes(of: &tail) { buffer in
        buffer.baseAddress.unsafelyUnwrapped.copyMemory(from: base + index, byteCount: count - index)
    }
    hash = fold(tail.0 ^ 0x8EBC_6AF0_9C88_C6E3 ^ hash, tail.1 ^ 0x5899_65CC_7537_4CC3)
    return fold(hash ^ 0xA076_1D64_78BD_642F, UInt64(count) ^ 0xE703_7ED1_A0B4_28DB)
}
