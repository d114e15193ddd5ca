internal import CSupport
import PacketCapture

/// Settings of the flow table: its size, its timeouts (in packet time) and reassembly bounds.
package struct FlowTrackerConfiguration: Sendable {
    /// Flows held at once; a new flow past this evicts the least recently active one.
    package var maxFlows: Int = 100_000
    /// An open TCP flow with no packet for this long ends (nanoseconds of packet time).
    package var tcpIdleTimeout: Int64 = 600 * 1_000_000_000
    /// A TCP flow whose two directions have ended stays this long to absorb late packets.
    package var tcpClosedTimeout: Int64 = 10 * 1_000_000_000
    /// A UDP flow with no packet for this long ends.
    package var udpIdleTimeout: Int64 = 60 * 1_000_000_000
    /// Bounds on each TCP direction's reassembly buffers.
    package var reassembly = ReassemblyLimits()
    /// Bytes all TCP reassembly buffers together may hold.
    package var reassemblyMemcap: Int = 64 << 20
    /// Ports on which the protocol decoders expect servers; they orient flows picked up mid-stream.
    package var servicePorts: [UInt16] = []
    /// The seed of the flow hash (nil: a random one). Flow-sharded workers share one, so that the
    /// hash the reader computes for a packet is the one its worker's table uses.
    package var hashSeed: UInt64?

    /// The defaults.
    package init() {}
}

/// Counters of the flow table. Names in the stats output are `flows.<name>`.
package struct FlowStatistics: Sendable, Equatable {
    /// TCP flows created.
    package var tcp: UInt64 = 0
    /// UDP flows created.
    package var udp: UInt64 = 0
    /// The most flows held at once.
    package var peakActive: UInt64 = 0
    /// Flows ended because they were idle too long.
    package var timedOut: UInt64 = 0
    /// Flows pushed out because the table was full.
    package var evicted: UInt64 = 0
    /// TCP flows that ended with both directions closed.
    package var closed: UInt64 = 0
    /// TCP flows ended because a new SYN reused their 5-tuple.
    package var reused: UInt64 = 0

    /// No counts.
    package init() {}

    /// Adds the counters of another table (a flow-sharded worker's) into these. The peaks add up:
    /// the tables' peaks need not coincide, so the sum is an upper bound of the flows held at once.
    package mutating func merge(_ other: FlowStatistics) {
        tcp &+= other.tcp
        udp &+= other.udp
        peakActive &+= other.peakActive
        timedOut &+= other.timedOut
        evicted &+= other.evicted
        closed &+= other.closed
        reused &+= other.reused
    }
}

/// One step of warming the cache for a packet's flow ahead of time (see `FlowTracker.prefetch`).
package enum PrefetchStep: Sendable {
    /// The flow's index entry.
    case index
    /// The flow record (the index entry must be loaded).
    case record
    /// The receiver and the session it forwards to (the record must be loaded).
    case receivers
}

/// The flow table: finds each packet's flow (bidirectional 5-tuple), orients it, reassembles TCP,
/// hands streams to the flow's receiver and retires flows on close, idle timeout or eviction.
///
/// The index is a flat open-addressing table (linear probing, backward-shift deletion) of
/// 32-bit hash tags and slot numbers; flows are kept in least-recently-active order in three
/// lists (open TCP, closed TCP, UDP) so that expiry and eviction are O(1) per flow.
/// Everything is driven by packet time, so the same capture always gives the same calls.
package final class FlowTracker {
    /// The settings in force.
    package let configuration: FlowTrackerConfiguration
    /// Flow-table counters.
    package private(set) var statistics = FlowStatistics()
    /// Reassembly memory and the TCP counters.
    package private(set) var reassembly: ReassemblyContext

    private weak var observer: (any FlowObserver)?
    /// The index entries (`indexMask + 1` of them), in memory the tracker owns: reads on the
    /// per-packet path then cost no bounds check and no retain of an array buffer.
    private var index: UnsafeMutablePointer<UInt64>
    private var indexMask: Int
    private var indexCapacity: Int { indexMask + 1 }
    private let maxIndexCapacity: Int
    private var records = FlowRecordStorage()
    private var freeSlots: [Int32] = []
    // Per slot, kept apart from the records so that list upkeep touches no object: the
    // activity-list links, which list the slot is on, and its last packet time.
    private var linkPrevious: [Int32] = []
    private var linkNext: [Int32] = []
    private var linkList: [UInt8] = []
    private var lastSeen: [Int64] = []
    /// Per slot, the run's number of the packet that last moved it to the tail of its list.
    private var lastTouched: [UInt64] = []
    private var lists = [LRUList](repeating: LRUList(), count: 3)
    private let hashSeed: UInt64
    private var servicePortBits: [UInt64]
    private var now: Timestamp = .zero
    private var nextExpiry: Timestamp = .zero

    /// Flows held now.
    package private(set) var activeFlows = 0

    /// The run's number of the packet being handled (set by the caller before each packet, when
    /// the order of what observers hear matters; see `moment`).
    package var packetNumber: UInt64 = 0
    /// Where what observers hear now falls in the run's order: a packet's own work, or a flow
    /// ended by time (idle, closed or at the end), ordered as one table would end them.
    package private(set) var moment = TrackerMoment(packet: 0, step: .packet)

    deinit {
        records.release()
        index.deallocate()
    }

    /// A flow table with the given settings; `observer` is told about every flow.
    package init(configuration: FlowTrackerConfiguration = FlowTrackerConfiguration(), observer: (any FlowObserver)?) {
        self.configuration = configuration
        self.observer = observer
        self.reassembly = ReassemblyContext(limits: configuration.reassembly, memcap: configuration.reassemblyMemcap)
        // The index starts small and doubles with the flows it holds (kept at most half full), so a
        // table of a few thousand flows stays in cache whatever `maxFlows` allows.
        var capacity = 1024
        while capacity < max(configuration.maxFlows, 1) * 2 { capacity *= 2 }
        self.maxIndexCapacity = capacity
        self.index = .allocate(capacity: 1024)
        self.index.initialize(repeating: 0, count: 1024)
        self.indexMask = 1023
        self.hashSeed = configuration.hashSeed ?? UInt64.random(in: 1...UInt64.max)
        self.servicePortBits = [UInt64](repeating: 0, count: 1024)
        for port in configuration.servicePorts {
            servicePortBits[Int(port) >> 6] |= 1 << UInt64(port & 63)
        }
    }

    // MARK: - Packets

    /// Takes one TCP or UDP packet. `wireLength` is the frame's length on the wire.
    /// `hash`, when given, is `prefetchHash(packet)` computed earlier for this very packet.
    package func process(_ packet: TransportPacket, wireLength: Int, time: Timestamp, hash known: UInt64? = nil) {
        observe(time)
        moment = TrackerMoment(packet: packetNumber, step: .packet)

        let key = FlowKey(packet)
        let hash = known ?? key.hash(seed: hashSeed)
        var slot: Int32
        if let found = lookup(key, hash: hash) {
            slot = found
            let isClosed = records[slot].pointee.isClosed
            if packet.transport == .tcp && isClosed && packet.flags.contains(.syn) && !packet.flags.contains(.ack) {
                statistics.reused &+= 1
                end(slot, reason: .reused, time: time)
                slot = create(key, hash: hash, packet: packet, time: time)
            }
        } else {
            slot = create(key, hash: hash, packet: packet, time: time)
        }
        touch(slot, time: time)

        // The record stays where it is for the rest of this packet: no flow is created or ended
        // below, and receivers only see bytes, never the table.
        let record = records[slot]
        let direction: Direction = key.sourceIsLow == record.pointee.clientIsLow ? .toServer : .toClient
        record.pointee.summary.packets[direction] &+= 1
        record.pointee.summary.bytes[direction] &+= UInt64(wireLength)

        if packet.transport == .udp {
            record.pointee.receiver?.datagram(packet.payload, direction: direction, time: time)
            return
        }
        record.pointee.summary.tcpFlags.formUnion(packet.flags)
        var sink = ReceiverSink(record, direction: direction, time: time)
        if direction == .toServer {
            record.pointee.toServer.segment(
                sequence: packet.sequence, flags: packet.flags, payload: packet.payload,
                uncapturedLength: packet.uncapturedLength, context: &reassembly, sink: &sink
            )
        } else {
            record.pointee.toClient.segment(
                sequence: packet.sequence, flags: packet.flags, payload: packet.payload,
                uncapturedLength: packet.uncapturedLength, context: &reassembly, sink: &sink
            )
        }
        if !sink.wantsBytes { record.pointee.receiverWantsBytes = false }
        if record.pointee.forwardingAddress == nil && record.pointee.receiverWantsBytes {
            record.pointee.forwardingAddress = record.pointee.receiver?.forwardingAddress
        }
        if packet.flags.contains(.rst) {
            // A reset ends the connection both ways.
            var other = ReceiverSink(record, direction: direction.reversed, time: time)
            if direction == .toServer {
                record.pointee.toClient.finish(context: &reassembly, sink: &other)
            } else {
                record.pointee.toServer.finish(context: &reassembly, sink: &other)
            }
        }
        // Closed once both directions have ended or sent their FIN: a hole still open before a FIN
        // gets the linger time to fill, then becomes a gap when the flow ends.
        let toServerDone = record.pointee.toServer.isEnded || record.pointee.toServer.sawFIN
        let toClientDone = record.pointee.toClient.isEnded || record.pointee.toClient.sawFIN
        if !record.pointee.isClosed && toServerDone && toClientDone {
            record.pointee.isClosed = true
            statistics.closed &+= 1
            move(slot, to: .tcpClosed)
        }
    }

    /// Ends every flow still held (the capture is over), oldest first.
    package func finish() {
        _ = finish(atMost: .max)
    }

    /// Ends at most `limit` of the flows still held, in the order `finish()` ends them all;
    /// returns whether none is left. (A flow-sharded worker ends its flows a part at a time, so
    /// that their records do not all wait for the merge at once.)
    package func finish(atMost limit: Int) -> Bool {
        var ended = 0
        for (rank, list) in LRUList.Kind.allCases.enumerated() {
            while case let slot = lists[list.rawValue].head, slot >= 0 {
                guard ended < limit else { return false }
                moment = TrackerMoment(packet: .max, step: .ended, list: UInt8(rank), touched: lastTouched[Int(slot)])
                end(slot, reason: records[slot].pointee.isClosed ? .closed : .shutdown, time: now)
                ended &+= 1
            }
        }
        return true
    }

    /// Ends flows whose timeout has passed at packet time `time` (the pipeline calls this when
    /// packets are scarce, for example between live-capture reads).
    package func advance(to time: Timestamp) {
        if time > now { now = time }
        expire()
    }

    /// Lets packet time reach `time`, ending the flows whose timeout has passed when due; for a
    /// packet another table handles too (flow-sharded workers see every packet's time, so that each
    /// ends idle flows at the same packets as one table would).
    @inline(__always)
    package func observe(_ time: Timestamp) {
        if time > now { now = time }
        if now >= nextExpiry { expire() }
    }

    // MARK: - Cache warming

    /// The flow hash of `packet` with `seed`: what a table whose `hashSeed` is `seed` computes, the
    /// same for both directions (the key is ordered), so that it can be computed ahead of the table
    /// or pick a flow's worker.
    @inline(__always)
    package static func flowHash(_ packet: borrowing TransportPacket, seed: UInt64) -> UInt64 {
        FlowKey(packet).hash(seed: seed)
    }

    /// `flowHash(packet, seed: first)` and `flowHash(packet, seed: second)`, from one ordering of
    /// the packet's endpoints.
    @inline(__always)
    package static func flowHashes(_ packet: borrowing TransportPacket, seeds first: UInt64, _ second: UInt64) -> (UInt64, UInt64) {
        let key = FlowKey(packet)
        return (key.hash(seed: first), key.hash(seed: second))
    }

    /// The hash `prefetch` needs for `packet`.
    @inline(__always)
    package func prefetchHash(_ packet: borrowing TransportPacket) -> UInt64 {
        FlowKey(packet).hash(seed: hashSeed)
    }

    /// Starts loading part of the state of the flow whose packet had `hash` into the cache.
    ///
    /// With thousands of flows, each packet's state (index entry, flow record, protocol layer,
    /// decoder session) is out of cache, and each is found through the one before: a chain of
    /// misses. The pipeline therefore looks a few packets ahead and walks the chain one step per
    /// packet: `.index` for the packet three ahead, `.record` (its index entry is loaded by now)
    /// for the one two ahead, `.receivers` (its record is loaded) for the next one. Only hints:
    /// nothing changes, and a wrong guess (another flow with the same tag, a flow created or
    /// ended meanwhile) costs nothing but the loads.
    @inline(__always)
    package func prefetch(_ step: PrefetchStep, hash: UInt64) {
        let tag = UInt64(UInt32(truncatingIfNeeded: hash))
        var position = Int(tag) & indexMask
        if step == .index {
            tapsentry_prefetch(index + position)
            return
        }
        while case let slotted = index[position], slotted != 0 {
            if slotted >> 32 == tag {
                let record = records[Int32(truncatingIfNeeded: slotted) &- 1]
                if step == .record {
                    tapsentry_prefetch_range(record, MemoryLayout<FlowRecord>.size)
                } else {
                    if let receiver = record.pointee.receiverAddress {
                        tapsentry_prefetch(receiver)
                        tapsentry_prefetch(receiver + 64)
                    }
                    if let session = record.pointee.forwardingAddress {
                        tapsentry_prefetch(session)
                        tapsentry_prefetch(session + 64)
                        tapsentry_prefetch(session + 128)
                    }
                }
                return
            }
            position = (position + 1) & indexMask
        }
    }

    // MARK: - The index

    @inline(__always)
    private func lookup(_ key: FlowKey, hash: UInt64) -> Int32? {
        let tag = UInt64(UInt32(truncatingIfNeeded: hash))
        var position = Int(tag) & indexMask
        while true {
            let slotted = index[position]
            if slotted == 0 { return nil }
            if slotted >> 32 == tag {
                let slot = Int32(truncatingIfNeeded: slotted) &- 1
                if records[slot].pointee.key == key { return slot }
            }
            position = (position + 1) & indexMask
        }
    }

    private func insertIndex(hash: UInt64, slot: Int32) {
        let tag = UInt64(UInt32(truncatingIfNeeded: hash))
        var position = Int(tag) & indexMask
        while index[position] != 0 { position = (position + 1) & indexMask }
        index[position] = tag << 32 | UInt64(UInt32(slot) + 1)
    }

    private func growIndex() {
        let old = UnsafeMutableBufferPointer(start: index, count: indexCapacity)
        let capacity = old.count * 2
        index = .allocate(capacity: capacity)
        index.initialize(repeating: 0, count: capacity)
        indexMask = capacity - 1
        defer { old.deallocate() }
        for slotted in old where slotted != 0 {
            var position = Int(slotted >> 32) & indexMask
            while index[position] != 0 { position = (position + 1) & indexMask }
            index[position] = slotted
        }
    }

    private func removeIndex(hash: UInt64, slot: Int32) {
        let wanted = UInt64(UInt32(truncatingIfNeeded: hash)) << 32 | UInt64(UInt32(slot) + 1)
        var hole = Int(UInt32(truncatingIfNeeded: hash)) & indexMask
        while index[hole] != wanted {
            if index[hole] == 0 { return }
            hole = (hole + 1) & indexMask
        }
        // Backward-shift deletion: pull later members of the probe run into the hole.
        var next = (hole + 1) & indexMask
        while index[next] != 0 {
            let home = Int(index[next] >> 32) & indexMask
            if (next - home) & indexMask >= (next - hole) & indexMask {
                index[hole] = index[next]
                hole = next
            }
            next = (next + 1) & indexMask
        }
        index[hole] = 0
    }

    // MARK: - Creating and ending flows

    private func create(_ key: FlowKey, hash: UInt64, packet: TransportPacket, time: Timestamp) -> Int32 {
        if activeFlows >= configuration.maxFlows, let victim = oldestFlow() {
            statistics.evicted &+= 1
            end(victim, reason: .evicted, time: time)
        }
        let (clientIsSource, orientation) = orient(packet)
        let info = FlowInfo(
            client: clientIsSource ? packet.source : packet.destination,
            clientPort: clientIsSource ? packet.sourcePort : packet.destinationPort,
            server: clientIsSource ? packet.destination : packet.source,
            serverPort: clientIsSource ? packet.destinationPort : packet.sourcePort,
            transport: packet.transport,
            id: key.flowID(start: time),
            start: time,
            orientation: orientation
        )
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = records.append()
            linkPrevious.append(-1)
            linkNext.append(-1)
            linkList.append(0)
            lastSeen.append(0)
            lastTouched.append(0)
        }
        records[slot].pointee = FlowRecord(key: key, hash: hash, info: info, clientIsLow: clientIsSource == key.sourceIsLow)
        activeFlows += 1
        if activeFlows * 2 > indexCapacity && indexCapacity < maxIndexCapacity { growIndex() }
        insertIndex(hash: hash, slot: slot)
        if UInt64(activeFlows) > statistics.peakActive { statistics.peakActive = UInt64(activeFlows) }
        if packet.transport == .tcp { statistics.tcp &+= 1 } else { statistics.udp &+= 1 }
        lastSeen[Int(slot)] = time.nanoseconds
        append(slot, to: packet.transport == .tcp ? .tcpOpen : .udp)
        let receiver = observer?.flowStarted(info)
        records[slot].pointee.receiver = receiver
        records[slot].pointee.receiverAddress = receiver.map { UnsafeRawPointer(Unmanaged.passUnretained($0 as AnyObject).toOpaque()) }
        records[slot].pointee.receiverType = receiver.map { type(of: $0) }
        return slot
    }

    /// Decides which side is the client; see `FlowInfo.Orientation` for the order of the rules.
    private func orient(_ packet: TransportPacket) -> (clientIsSource: Bool, FlowInfo.Orientation) {
        if packet.transport == .tcp && packet.flags.contains(.syn) {
            return (!packet.flags.contains(.ack), .handshake)
        }
        let sourceService = isServicePort(packet.sourcePort)
        let destinationService = isServicePort(packet.destinationPort)
        if sourceService != destinationService { return (destinationService, .servicePort) }
        let sourcePrivileged = packet.sourcePort < 1024
        let destinationPrivileged = packet.destinationPort < 1024
        if sourcePrivileged != destinationPrivileged { return (destinationPrivileged, .privilegedPort) }
        let sourceEphemeral = packet.sourcePort >= 32768
        let destinationEphemeral = packet.destinationPort >= 32768
        if sourceEphemeral != destinationEphemeral { return (sourceEphemeral, .ephemeralPort) }
        return (true, .firstPacket)
    }

    @inline(__always)
    private func isServicePort(_ port: UInt16) -> Bool {
        servicePortBits[Int(port) >> 6] & (1 << UInt64(port & 63)) != 0
    }

    private func end(_ slot: Int32, reason: FlowEndReason, time: Timestamp) {
        let record = records[slot]
        let receiver = record.pointee.receiver
        var toServer = ReceiverSink(record, direction: .toServer, time: time)
        record.pointee.toServer.finish(context: &reassembly, sink: &toServer)
        var toClient = ReceiverSink(record, direction: .toClient, time: time)
        record.pointee.toClient.finish(context: &reassembly, sink: &toClient)
        if record.pointee.info.transport == .udp {
            receiver?.streamEnd(direction: .toServer, time: time)
            receiver?.streamEnd(direction: .toClient, time: time)
        }
        var summary = record.pointee.summary
        summary.lastSeen = Timestamp(nanoseconds: lastSeen[Int(slot)])
        summary.streamBytes = PerDirection(toServer: record.pointee.toServer.deliveredBytes, toClient: record.pointee.toClient.deliveredBytes)
        summary.gaps = PerDirection(toServer: record.pointee.toServer.gapCount, toClient: record.pointee.toClient.gapCount)
        let info = record.pointee.info
        let hash = record.pointee.hash
        // Clear the slot before telling anyone, so that nothing they do can see a half-ended flow.
        unlink(slot)
        removeIndex(hash: hash, slot: slot)
        record.pointee = FlowRecord.vacant
        freeSlots.append(slot)
        activeFlows -= 1
        receiver?.flowEnded(summary: summary, reason: reason, time: time)
        observer?.flowEnded(info, receiver: receiver, summary: summary, reason: reason, time: time)
    }

    private func expire() {
        nextExpiry = now.adding(nanoseconds: 1_000_000_000)
        let timeouts: [(LRUList.Kind, Int64, FlowEndReason)] = [
            (.tcpClosed, configuration.tcpClosedTimeout, .closed),
            (.tcpOpen, configuration.tcpIdleTimeout, .timeout),
            (.udp, configuration.udpIdleTimeout, .timeout),
        ]
        for (rank, (kind, timeout, reason)) in timeouts.enumerated() {
            while case let slot = lists[kind.rawValue].head, slot >= 0, lastSeen[Int(slot)] &+ timeout <= now.nanoseconds {
                if reason == .timeout { statistics.timedOut &+= 1 }
                moment = TrackerMoment(packet: packetNumber, step: .ended, list: UInt8(rank), touched: lastTouched[Int(slot)])
                end(slot, reason: reason, time: now)
            }
        }
    }

    /// The flow to evict: a closed one if any, else the least recently active one.
    private func oldestFlow() -> Int32? {
        let closed = lists[LRUList.Kind.tcpClosed.rawValue].head
        if closed >= 0 { return closed }
        let tcp = lists[LRUList.Kind.tcpOpen.rawValue].head
        let udp = lists[LRUList.Kind.udp.rawValue].head
        if tcp >= 0 && (udp < 0 || lastSeen[Int(tcp)] <= lastSeen[Int(udp)]) { return tcp }
        return udp >= 0 ? udp : nil
    }

    // MARK: - Activity lists

    @inline(__always)
    private func touch(_ slot: Int32, time: Timestamp) {
        let index = Int(slot)
        if time.nanoseconds > lastSeen[index] { lastSeen[index] = time.nanoseconds }
        let kind = Int(linkList[index])
        if lists[kind].tail != slot {
            unlink(slot)
            append(slot, to: LRUList.Kind(rawValue: kind) ?? .tcpOpen)
        }
        lastTouched[index] = packetNumber
    }

    private func move(_ slot: Int32, to kind: LRUList.Kind) {
        unlink(slot)
        append(slot, to: kind)
        lastTouched[Int(slot)] = packetNumber
    }

    @inline(__always)
    private func append(_ slot: Int32, to kind: LRUList.Kind) {
        let index = Int(slot)
        let tail = lists[kind.rawValue].tail
        linkList[index] = UInt8(kind.rawValue)
        linkPrevious[index] = tail
        linkNext[index] = -1
        if tail >= 0 { linkNext[Int(tail)] = slot } else { lists[kind.rawValue].head = slot }
        lists[kind.rawValue].tail = slot
    }

    @inline(__always)
    private func unlink(_ slot: Int32) {
        let index = Int(slot)
        let kind = Int(linkList[index])
        let previous = linkPrevious[index]
        let next = linkNext[index]
        if previous >= 0 { linkNext[Int(previous)] = next } else { lists[kind].head = next }
        if next >= 0 { linkPrevious[Int(next)] = previous } else { lists[kind].tail = previous }
        linkPrevious[index] = -1
        linkNext[index] = -1
    }
}

/// One flow's state in the table.
///
/// Fields every packet touches come first, so that they share the first cache lines.
private struct FlowRecord {
    var key: FlowKey
    /// The receiver's object and the one it forwards to, for cache warming (next to the key,
    /// which the lookup loads anyway).
    var receiverAddress: UnsafeRawPointer?
    var forwardingAddress: UnsafeRawPointer?
    /// The receiver's type, to deliver through its address (see `StreamReceiver.deliver`).
    var receiverType: (any StreamReceiver.Type)?
    var clientIsLow: Bool
    var isClosed = false
    var summary = FlowSummary()
    var receiver: (any StreamReceiver)?
    /// False once the receiver said it wants no more stream bytes.
    var receiverWantsBytes = true
    var toServer = TCPReassembler()
    var toClient = TCPReassembler()
    var hash: UInt64
    var info: FlowInfo

    init(key: FlowKey, hash: UInt64, info: FlowInfo, clientIsLow: Bool) {
        self.key = key
        self.hash = hash
        self.info = info
        self.clientIsLow = clientIsLow
    }

    /// What a free slot holds: matches no packet's key (transport 0), owns no memory.
    static var vacant: FlowRecord {
        let nowhere = IPAddress(high: 0, low: 0)
        var key = FlowKey(TransportPacket(
            source: nowhere, destination: nowhere, sourcePort: 0, destinationPort: 0, transport: .tcp,
            payload: UnsafeRawBufferPointer(start: nil, count: 0)
        ))
        key.transport = 0
        let info = FlowInfo(
            client: nowhere, clientPort: 0, server: nowhere, serverPort: 0, transport: .tcp, id: 0, start: .zero,
            orientation: .firstPacket, communityDigest: CommunityIDDigest.none
        )
        return FlowRecord(key: key, hash: 0, info: info, clientIsLow: true)
    }
}

/// The flow records, in one growable block addressed by slot number, so that the per-packet path
/// reaches a flow through a pointer: no reference counting and no copy of the record.
private struct FlowRecordStorage {
    private var base: UnsafeMutablePointer<FlowRecord>?
    private var capacity = 0
    private(set) var count = 0

    /// The record in `slot` (which `append` returned earlier).
    @inline(__always)
    subscript(slot: Int32) -> UnsafeMutablePointer<FlowRecord> {
        base.unsafelyUnwrapped + Int(slot)
    }

    /// Adds a vacant record and returns its slot; the block grows by doubling.
    mutating func append() -> Int32 {
        if count == capacity {
            let newCapacity = max(1024, capacity * 2)
            let grown = UnsafeMutablePointer<FlowRecord>.allocate(capacity: newCapacity)
            if let base {
                grown.moveInitialize(from: base, count: count)
                base.deallocate()
            }
            base = grown
            capacity = newCapacity
        }
        (base.unsafelyUnwrapped + count).initialize(to: .vacant)
        count += 1
        return Int32(count - 1)
    }

    /// Frees every record and the block.
    mutating func release() {
        if let base {
            base.deinitialize(count: count)
            base.deallocate()
        }
        base = nil
        capacity = 0
        count = 0
    }
}

/// The ends of one least-recently-active list (slot numbers, -1 for none).
private struct LRUList {
    enum Kind: Int, CaseIterable {
        case tcpClosed = 0
        case udp = 1
        case tcpOpen = 2
    }

    var head: Int32 = -1
    var tail: Int32 = -1
}

/// Adapts a flow's receiver to the reassembler's sink for one direction and one packet.
///
/// It holds the receiver unowned: the flow record keeps it alive for longer than any sink, and a
/// counted reference here cost a retain and a release on every packet.
private struct ReceiverSink: ReassemblySink {
    unowned(unsafe) let receiver: (any StreamReceiver)?
    /// The receiver's address and type, for data (see `StreamReceiver.deliver`).
    let address: UnsafeRawPointer?
    let type: (any StreamReceiver.Type)?
    let direction: Direction
    let time: Timestamp
    /// Whether stream bytes still go to the receiver.
    var wantsBytes = true

    /// The sink of `record`'s receiver for one direction.
    @inline(__always)
    init(_ record: UnsafeMutablePointer<FlowRecord>, direction: Direction, time: Timestamp) {
        self.receiver = record.pointee.receiver
        self.address = record.pointee.receiverAddress
        self.type = record.pointee.receiverType
        self.direction = direction
        self.time = time
        self.wantsBytes = record.pointee.receiverWantsBytes
    }

    @inline(__always)
    mutating func deliver(_ bytes: UnsafeRawBufferPointer) {
        guard wantsBytes, let address, let type else { return }
        wantsBytes = type.deliver(bytes, direction: direction, time: time, to: address)
    }

    mutating func gap(_ length: UInt64) {
        receiver?.streamGap(length: length, direction: direction, time: time)
    }

    mutating func end() {
        receiver?.streamEnd(direction: direction, time: time)
    }
}

/// Where something a flow table's observers hear falls in the order of a run, so that the records
/// of flow-sharded workers (each with its own table, each seeing every packet's time) merge into
/// exactly the order one table gives: by packet; before a packet's own work, the flows that time
/// ended at it, list by list, least recently active first.
package struct TrackerMoment: Comparable, Sendable {
    /// What part of a packet's handling.
    package enum Step: UInt8, Sendable {
        /// Flows ended by time (idle or closed timeouts, the end of the run).
        case ended = 0
        /// The packet's own work.
        case packet = 1
    }

    /// The run's number of the packet (`UInt64.max` for the end of the run).
    package var packet: UInt64
    package var step: Step
    /// For flows ended by time: the rank of the flow's activity list in the order lists are
    /// swept, and the number of the packet that last moved the flow to its list's tail.
    package var list: UInt8 = 0
    package var touched: UInt64 = 0

    /// The moment with every part given.
    package init(packet: UInt64, step: Step, list: UInt8 = 0, touched: UInt64 = 0) {
        self.packet = packet
        self.step = step
        self.list = list
        self.touched = touched
    }

    package static func < (a: TrackerMoment, b: TrackerMoment) -> Bool {
        (a.packet, a.step.rawValue, a.list, a.touched) < (b.packet, b.step.rawValue, b.list, b.touched)
    }
}
