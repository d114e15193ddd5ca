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
    private var index: [UInt64]
    private let indexMask: Int
    private var entries: [FlowEntry?] = []
    private var freeSlots: [Int32] = []
    private var lists = [LRUList](repeating: LRUList(), count: 3)
    private let hashSeed: UInt64
    private var servicePortBits: [UInt64]
    private var now: Timestamp = .zero
    private var nextExpiry: Timestamp = .zero

    /// Flows held now.
    package private(set) var activeFlows = 0

    /// A flow table with the given settings; `observer` is told about every flow.
    package init(configuration: FlowTrackerConfiguration = FlowTrackerConfiguration(), observer: (any FlowObserver)?) {
        self.configuration = configuration
        self.observer = observer
        self.reassembly = ReassemblyContext(limits: configuration.reassembly, memcap: configuration.reassemblyMemcap)
        var capacity = 1024
        while capacity < max(configuration.maxFlows, 1) * 2 { capacity *= 2 }
        self.index = [UInt64](repeating: 0, count: capacity)
        self.indexMask = capacity - 1
        self.hashSeed = UInt64.random(in: 1...UInt64.max)
        self.servicePortBits = [UInt64](repeating: 0, count: 1024)
        for port in configuration.servicePorts {
            servicePortBits[Int(port) >> 6] |= 1 << UInt64(port & 63)
        }
    }

    // MARK: - Packets

    /// Takes one TCP or UDP packet. `wireLength` is the frame's length on the wire.
    package func process(_ packet: TransportPacket, wireLength: Int, time: Timestamp) {
        if time > now { now = time }
        if now >= nextExpiry { expire() }

        let key = FlowKey(packet)
        let hash = key.hash(seed: hashSeed)
        var entry: FlowEntry
        if let found = lookup(key, hash: hash) {
            entry = found
            if packet.transport == .tcp && entry.isClosed && packet.flags.contains(.syn) && !packet.flags.contains(.ack) {
                statistics.reused &+= 1
                end(entry, reason: .reused, time: time)
                entry = create(key, hash: hash, packet: packet, time: time)
            }
        } else {
            entry = create(key, hash: hash, packet: packet, time: time)
        }
        touch(entry, time: time)

        let direction: Direction = key.sourceIsLow == entry.clientIsLow ? .toServer : .toClient
        entry.summary.packets[direction] &+= 1
        entry.summary.bytes[direction] &+= UInt64(wireLength)

        if packet.transport == .udp {
            entry.receiver?.datagram(packet.payload, direction: direction, time: time)
            return
        }
        entry.summary.tcpFlags.formUnion(packet.flags)
        var sink = ReceiverSink(receiver: entry.receiver, direction: direction, time: time)
        if direction == .toServer {
            entry.toServer.segment(sequence: packet.sequence, flags: packet.flags, payload: packet.payload, context: &reassembly, sink: &sink)
        } else {
            entry.toClient.segment(sequence: packet.sequence, flags: packet.flags, payload: packet.payload, context: &reassembly, sink: &sink)
        }
        if packet.flags.contains(.rst) {
            // A reset ends the connection both ways.
            var other = ReceiverSink(receiver: entry.receiver, direction: direction.reversed, time: time)
            if direction == .toServer {
                entry.toClient.finish(context: &reassembly, sink: &other)
            } else {
                entry.toServer.finish(context: &reassembly, sink: &other)
            }
        }
        if !entry.isClosed && entry.toServer.isEnded && entry.toClient.isEnded {
            entry.isClosed = true
            statistics.closed &+= 1
            move(entry, to: .tcpClosed)
        }
    }

    /// Ends every flow still held (the capture is over), oldest first.
    package func finish() {
        for list in LRUList.Kind.allCases {
            while lists[list.rawValue].head >= 0, let entry = entries[Int(lists[list.rawValue].head)] {
                end(entry, reason: entry.isClosed ? .closed : .shutdown, time: now)
            }
        }
    }

    /// Ends flows whose timeout has passed at packet time `time` (the pipeline calls this when
    /// packets are scarce, for example between live-capture reads).
    package func advance(to time: Timestamp) {
        if time > now { now = time }
        expire()
    }

    // MARK: - The index

    private func lookup(_ key: FlowKey, hash: UInt64) -> FlowEntry? {
        let tag = UInt64(UInt32(truncatingIfNeeded: hash))
        var position = Int(tag) & indexMask
        while true {
            let slotted = index[position]
            if slotted == 0 { return nil }
            if slotted >> 32 == tag, let entry = entries[Int(UInt32(truncatingIfNeeded: slotted)) - 1], entry.key == key {
                return entry
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

    private func create(_ key: FlowKey, hash: UInt64, packet: TransportPacket, time: Timestamp) -> FlowEntry {
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
            slot = Int32(entries.count)
            entries.append(nil)
        }
        let entry = FlowEntry(key: key, hash: hash, info: info, clientIsLow: clientIsSource == key.sourceIsLow, slot: slot)
        entries[Int(slot)] = entry
        insertIndex(hash: hash, slot: slot)
        activeFlows += 1
        if UInt64(activeFlows) > statistics.peakActive { statistics.peakActive = UInt64(activeFlows) }
        if packet.transport == .tcp { statistics.tcp &+= 1 } else { statistics.udp &+= 1 }
        entry.list = packet.transport == .tcp ? .tcpOpen : .udp
        append(entry, to: entry.list)
        entry.receiver = observer?.flowStarted(info)
        return entry
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

    private func end(_ entry: FlowEntry, reason: FlowEndReason, time: Timestamp) {
        var toServer = ReceiverSink(receiver: entry.receiver, direction: .toServer, time: time)
        entry.toServer.finish(context: &reassembly, sink: &toServer)
        var toClient = ReceiverSink(receiver: entry.receiver, direction: .toClient, time: time)
        entry.toClient.finish(context: &reassembly, sink: &toClient)
        entry.toServer.releaseMemory(context: &reassembly)
        entry.toClient.releaseMemory(context: &reassembly)
        if entry.info.transport == .udp && entry.receiver != nil {
            entry.receiver?.streamEnd(direction: .toServer, time: time)
            entry.receiver?.streamEnd(direction: .toClient, time: time)
        }
        entry.summary.streamBytes = PerDirection(toServer: entry.toServer.deliveredBytes, toClient: entry.toClient.deliveredBytes)
        entry.summary.gaps = PerDirection(toServer: entry.toServer.gapCount, toClient: entry.toClient.gapCount)
        entry.receiver?.flowEnded(summary: entry.summary, reason: reason, time: time)
        observer?.flowEnded(entry.info, receiver: entry.receiver, summary: entry.summary, reason: reason, time: time)
        entry.receiver = nil

        unlink(entry)
        removeIndex(hash: entry.hash, slot: entry.slot)
        entries[Int(entry.slot)] = nil
        freeSlots.append(entry.slot)
        activeFlows -= 1
    }

    private func expire() {
        nextExpiry = now.adding(nanoseconds: 1_000_000_000)
        let timeouts: [(LRUList.Kind, Int64, FlowEndReason)] = [
            (.tcpClosed, configuration.tcpClosedTimeout, .closed),
            (.tcpOpen, configuration.tcpIdleTimeout, .timeout),
            (.udp, configuration.udpIdleTimeout, .timeout),
        ]
        for (kind, timeout, reason) in timeouts {
            while lists[kind.rawValue].head >= 0, let entry = entries[Int(lists[kind.rawValue].head)],
                entry.summary.lastSeen.adding(nanoseconds: timeout) <= now
            {
                if reason == .timeout { statistics.timedOut &+= 1 }
                end(entry, reason: reason, time: now)
            }
        }
    }

    /// The flow to evict: a closed one if any, else the least recently active one.
    private func oldestFlow() -> FlowEntry? {
        if lists[LRUList.Kind.tcpClosed.rawValue].head >= 0 {
            return entries[Int(lists[LRUList.Kind.tcpClosed.rawValue].head)]
        }
        let tcp = lists[LRUList.Kind.tcpOpen.rawValue].head >= 0 ? entries[Int(lists[LRUList.Kind.tcpOpen.rawValue].head)] : nil
        let udp = lists[LRUList.Kind.udp.rawValue].head >= 0 ? entries[Int(lists[LRUList.Kind.udp.rawValue].head)] : nil
        switch (tcp, udp) {
        case let (tcp?, udp?): return tcp.summary.lastSeen <= udp.summary.lastSeen ? tcp : udp
        case let (tcp?, nil): return tcp
        case let (nil, udp?): return udp
        case (nil, nil): return nil
        }
    }

    // MARK: - Activity lists

    private func touch(_ entry: FlowEntry, time: Timestamp) {
        if time > entry.summary.lastSeen { entry.summary.lastSeen = time }
        if lists[entry.list.rawValue].tail != entry.slot {
            unlink(entry)
            append(entry, to: entry.list)
        }
    }

    private func move(_ entry: FlowEntry, to kind: LRUList.Kind) {
        unlink(entry)
        entry.list = kind
        append(entry, to: kind)
    }

    private func append(_ entry: FlowEntry, to kind: LRUList.Kind) {
        entry.previous = lists[kind.rawValue].tail
        entry.next = -1
        if entry.previous >= 0 { entries[Int(entry.previous)]?.next = entry.slot } else { lists[kind.rawValue].head = entry.slot }
        lists[kind.rawValue].tail = entry.slot
    }

    private func unlink(_ entry: FlowEntry) {
        let kind = entry.list.rawValue
        if entry.previous >= 0 { entries[Int(entry.previous)]?.next = entry.next } else { lists[kind].head = entry.next }
        if entry.next >= 0 { entries[Int(entry.next)]?.previous = entry.previous } else { lists[kind].tail = entry.previous }
        entry.previous = -1
        entry.next = -1
    }
}

/// One flow's state in the table.
private final class FlowEntry {
    let key: FlowKey
    let hash: UInt64
    let info: FlowInfo
    let clientIsLow: Bool
    let slot: Int32
    var summary = FlowSummary()
    var toServer = TCPReassembler()
    var toClient = TCPReassembler()
    var receiver: (any StreamReceiver)?
    var isClosed = false
    var list: LRUList.Kind = .tcpOpen
    var previous: Int32 = -1
    var next: Int32 = -1

    init(key: FlowKey, hash: UInt64, info: FlowInfo, clientIsLow: Bool, slot: Int32) {
        self.key = key
        self.hash = hash
        self.info = info
        self.clientIsLow = clientIsLow
        self.slot = slot
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
private struct ReceiverSink: ReassemblySink {
    let receiver: (any StreamReceiver)?
    let direction: Direction
    let time: Timestamp

    @inline(__always)
    mutating func deliver(_ bytes: UnsafeRawBufferPointer) {
        receiver?.streamData(bytes, direction: direction, time: time)
    }

    mutating func gap(_ length: UInt64) {
        receiver?.streamGap(length: length, direction: direction, time: time)
    }

    mutating func end() {
        receiver?.streamEnd(direction: direction, time: time)
    }
}
