import EventOutput
import FlowTracking
import PacketCapture
import ProtocolKit
import RuleEngine

/// One pass of the inspector: packets in, EVE records out.
///
/// Frames are decoded down to TCP/UDP, handed to the flow table (which reassembles TCP and feeds
/// each flow's protocol layer), and decoder events and flow records are serialised into the
/// output as they happen. Everything is driven by packet time.
///
/// A pipeline is either the whole run (one thread), or one flow-sharded worker of several
/// (`ShardedRun`): then it sees every packet, handles only those of its own flows, and collects
/// its records, each marked with its place in the run's order, for the merge instead of writing
/// them.
package final class Pipeline {
    /// The settings of this run.
    package let configuration: InspectorConfiguration
    private var decoder: PacketDecoder
    // Constants, so that the per-packet calls through them cost no retain and release.
    private let tracker: FlowTracker
    private let observer: PipelineObserver
    /// For a worker: which share of the flows it handles.
    private let shard: Shard?
    /// Set by `finish`: packets after it are ignored.
    private var finished = false
    private var statistics = RunStatistics()
    private var nextFragmentExpiry = Timestamp.zero

    /// A pipeline writing to `output` (nil: count only).
    package convenience init(configuration: InspectorConfiguration, output: EVEOutput?) {
        self.init(configuration: configuration, observer: PipelineObserver(configuration: configuration, output: output), shard: nil)
    }

    /// Worker `shard.index` of `shard.count`: its flow table and reassembly memory get their share
    /// of the limits, and its records go to `observer.collected`.
    convenience init(configuration: InspectorConfiguration, shard: Shard, engine: RuleEngine?) {
        var shared = configuration
        shared.flows.maxFlows = max(1, configuration.flows.maxFlows / shard.count)
        shared.flows.reassemblyMemcap = max(1 << 20, configuration.flows.reassemblyMemcap / shard.count)
        shared.flows.hashSeed = shard.seed
        shared.detector.decoders = configuration.detector.decoders.map { $0.replica() }
        self.init(configuration: shared, observer: PipelineObserver(configuration: shared, collectingFor: engine), shard: shard)
    }

    private init(configuration: InspectorConfiguration, observer: PipelineObserver, shard: Shard?) {
        self.configuration = configuration
        self.decoder = PacketDecoder(fragmentLimits: configuration.fragments)
        self.shard = shard
        var flows = configuration.flows
        flows.servicePorts += configuration.detector.servicePorts
        self.observer = observer
        self.tracker = FlowTracker(configuration: flows, observer: observer)
        observer.tracker = tracker
    }

    /// Takes one captured packet.
    ///
    /// `flowHash`, when given, is what `prefetchHash` returned for this packet (the same parsing
    /// gives the same TCP/UDP packet, so its flow hash need not be computed again).
    @inline(__always)
    package func process(_ packet: CapturedPacket, flowHash: UInt64? = nil) {
        count(packet)
        guard !finished else { return }
        let wireLength = packet.wireLength
        let time = packet.time
        if let reason = decoder.decode(packet.bytes, linkType: packet.linkType, time: time, wireLength: wireLength, { transport in
            tracker.process(transport, wireLength: wireLength, time: time, hash: flowHash)
        }) {
            statistics.skipped.record(reason)
        }
        expireFragmentsIfDue(time)
    }

    @inline(__always)
    private func count(_ packet: CapturedPacket) {
        statistics.packets &+= 1
        statistics.bytes &+= UInt64(packet.bytes.count)
        statistics.lastPacket = packet.time
    }

    @inline(__always)
    private func expireFragmentsIfDue(_ time: Timestamp) {
        if time >= nextFragmentExpiry {
            decoder.expireFragments(at: time)
            nextFragmentExpiry = time.adding(nanoseconds: 1_000_000_000)
        }
    }

    // MARK: - As a worker

    /// Takes packet number `number` of the run, whose flow hash is `flowHash` (nil: not an ordinary
    /// TCP or UDP packet) and whose flow is worker `owner`'s. A worker handles the packets of its own flows; of the others it takes
    /// only the time. Packets without a flow hash (fragments, other protocols) are decoded by every
    /// worker, so that each reassembles IP fragments and keeps those of its own flows; only worker
    /// 0 counts the skipped ones, so the sum over workers is one run's count.
    @inline(__always)
    func process(_ packet: CapturedPacket, number: UInt64, flowHash: UInt64?, owner: Int) {
        guard let shard else { return process(packet, flowHash: flowHash) }
        tracker.packetNumber = number
        if let flowHash {
            if owner == shard.index { return process(packet, flowHash: flowHash) }
            count(packet)
            guard !finished else { return }
            tracker.observe(packet.time)
            expireFragmentsIfDue(packet.time)
            return
        }
        count(packet)
        guard !finished else { return }
        let wireLength = packet.wireLength
        let time = packet.time
        let tracker = self.tracker
        if let reason = decoder.decode(packet.bytes, linkType: packet.linkType, time: time, wireLength: wireLength, { transport in
            if Shard.pick(transport, among: shard.count) == shard.index {
                tracker.process(transport, wireLength: wireLength, time: time)
            } else {
                tracker.observe(time)
            }
        }) {
            if shard.index == 0 { statistics.skipped.record(reason) }
        }
        expireFragmentsIfDue(time)
    }

    /// Which worker this pipeline is (0 for a whole run).
    var shardIndex: Int { shard?.index ?? 0 }

    /// `advance(to:)` as packet number `number` of the run (a worker's time tick).
    func advance(to time: Timestamp, number: UInt64) {
        tracker.packetNumber = number
        advance(to: time)
    }

    /// The records collected since the last call, in the run's order (a worker's only);
    /// collecting goes on in `reuse`, a merged collection handed back.
    func takeCollected(reusing reuse: ShardRecords? = nil) -> ShardRecords {
        observer.takeCollected(reusing: reuse)
    }

    // MARK: - Any pipeline

    /// The flow hash of `packet` for `prefetch`, or nil when it is not an ordinary TCP or UDP
    /// packet.
    @inline(__always)
    package func prefetchHash(_ packet: CapturedPacket) -> UInt64? {
        var hash: UInt64?
        PacketDecoder.peek(packet.bytes, linkType: packet.linkType) { transport in hash = tracker.prefetchHash(transport) }
        return hash
    }

    /// Warms the cache for a packet that `process` gets soon (see `FlowTracker.prefetch`).
    @inline(__always)
    package func prefetch(_ step: PrefetchStep, hash: UInt64) {
        tracker.prefetch(step, hash: hash)
    }

    /// Lets flows time out at packet time `time` even when no packet arrives (live capture).
    package func advance(to time: Timestamp) {
        guard !finished else { return }
        tracker.advance(to: time)
    }

    /// Ends every flow, writes the `stats` record and flushes the output; returns the counts.
    package func finish(files: Int, filesFailed: Int, live: LiveCaptureStatistics? = nil) throws -> RunStatistics {
        guard !finished else { return statistics }
        endFlows()
        statistics.files = files
        statistics.filesFailed = filesFailed
        statistics.live = live
        try observer.throwIfFailed()
        statistics.events = observer.events
        statistics.recordsWritten = observer.records
        statistics.protocols = observer.protocolCounters
        statistics.alerts = observer.alertStatistics
        try observer.writeStats(statistics)
        return statistics
    }

    /// Ends at most `limit` of the flows still held (a worker's part of `finish`, before
    /// `endFlows`); returns whether none is left.
    func endSomeFlows(atMost limit: Int) -> Bool {
        guard !finished else { return true }
        return tracker.finish(atMost: limit)
    }

    /// Ends every flow and fills in the flow, TCP and fragment counts (a worker's part of `finish`).
    func endFlows() {
        guard !finished else { return }
        finished = true
        tracker.finish()
        statistics.fragments = decoder.fragmentStatistics
        statistics.flows = tracker.statistics
        statistics.tcp = tracker.reassembly.statistics
        statistics.reassemblyMemoryPeak = tracker.reassembly.peakMemoryInUse
        statistics.events = observer.events
    }

    /// The counts so far (a worker's, after `endFlows`).
    var counts: RunStatistics { statistics }

    /// Events left unbuilt for the rules (a worker's).
    var skippedEvents: UInt64 { observer.skippedEvents }
}

/// Which share of the flows a worker handles: those whose flow the pick hash gives to `index` of
/// `count`. The pick hash has a fixed seed, so that a run gives every flow to the same worker each
/// time (and the per-worker peaks in the stats record are the same run after run); the flow
/// tables' own hash keeps the run's random seed.
struct Shard: Sendable {
    let index: Int
    let count: Int
    /// The seed of the workers' flow tables (and of the hashes the reader hands them).
    let seed: UInt64
    static let pickSeed: UInt64 = 0x7461_7073_656E_7472

    /// The worker of `packet`'s flow among `count` (the same for both directions).
    @inline(__always)
    static func pick(_ packet: borrowing TransportPacket, among count: Int) -> Int {
        pick(hash: FlowTracker.flowHash(packet, seed: pickSeed), among: count)
    }

    /// The worker among `count` of the flow whose pick hash (`flowHash` with `pickSeed`) is `hash`.
    @inline(__always)
    static func pick(hash: UInt64, among count: Int) -> Int {
        Int(truncatingIfNeeded: ((hash >> 32) &* UInt64(count)) >> 32)
    }
}

/// Creates each flow's protocol layer and writes events and flow records as they come; in a
/// worker, collects them for the merge instead (`collected`).
final class PipelineObserver: FlowObserver, EventSink {
    let configuration: InspectorConfiguration
    let output: EVEOutput?
    var writer = JSONWriter(capacity: 1 << 16)
    var events: UInt64 = 0
    var records: UInt64 = 0
    var failure: (any Error)?
    let interest: EventInterest
    /// Protocol counters for the stats record, by protocol then name, in first-seen order.
    var protocolCounters: [(String, [(String, UInt64)])] = []

    /// The rule engine (nil: no rules, and no trading events built for it).
    let engine: RuleEngine?
    /// `engine` as `runRules` reads it for every event: without a retain and a release each time
    /// (`engine` keeps it alive).
    private let engineReference: Unmanaged<RuleEngine>?
    /// Whether per-message records are written.
    let writesEvents: Bool
    private var pendingAlerts: [Alert] = []
    private(set) var alerts = AlertStatistics()
    /// A worker's records since the last `takeCollected` (nil: records are written as they come).
    private var collected: ShardRecords?
    /// Whether a worker hands its trading events on for the rules.
    private let collectsEvents: Bool
    /// A worker's copy of the merge's engine: for the stateless part of the rules (`match`),
    /// done here so that the merge, which limits a sharded run, has less to do. A copy of its
    /// own (`RuleEngine.matchingCopy`), so that workers share no reference counts, read without
    /// a retain per event (`matcher` keeps it alive).
    private let matcher: RuleEngine?
    private let matcherReference: Unmanaged<RuleEngine>?
    /// Events a worker's decoders left unbuilt because the rules do not read them, or that reach
    /// no rule (the engine counts them as looked at).
    private(set) var skippedEvents: UInt64 = 0
    /// The flow table, for the place of each collected record in the run's order.
    unowned(unsafe) var tracker: FlowTracker?

    init(configuration: InspectorConfiguration, output: EVEOutput?) {
        self.configuration = configuration
        self.output = output
        let perMessage = configuration.messageEvents && output != nil
        writesEvents = perMessage
        var running: RuleEngine?
        if let rules = configuration.rules {
            let engine = RuleEngine(rules: rules.rules, site: rules.site, detectors: rules.detectors)
            running = engine.isEmpty ? nil : engine
            alerts.rulesLoaded = rules.rules.count
            alerts.rulesActive = engine.rules.count
        }
        engine = running
        engineReference = running.map { Unmanaged.passUnretained($0) }
        collectsEvents = false
        matcher = nil
        matcherReference = nil
        // Rules read trading events even when no per-message record is written; then only the
        // events and fields they read are built.
        self.interest = EventInterest(
            records: perMessage, tradingEvents: perMessage || engine != nil, demand: perMessage ? nil : engine?.demand)
    }

    /// A worker's observer: records are serialised here (in parallel with the other workers) and
    /// collected; trading events are handed on for `engine` (which the merge runs), built as its
    /// demand says.
    init(configuration: InspectorConfiguration, collectingFor engine: RuleEngine?) {
        self.configuration = configuration
        self.output = nil
        let perMessage = configuration.messageEvents && configuration.evePath != nil
        writesEvents = perMessage
        self.engine = nil
        engineReference = nil
        collectsEvents = engine != nil
        let matcher = engine?.matchingCopy()
        self.matcher = matcher
        matcherReference = matcher.map { Unmanaged.passUnretained($0) }
        collected = ShardRecords()
        self.interest = EventInterest(
            records: perMessage, tradingEvents: perMessage || engine != nil, demand: perMessage ? nil : matcher?.demand)
    }

    /// The alert counts for the stats record (nil when no rules were configured).
    var alertStatistics: AlertStatistics? {
        guard configuration.rules != nil else { return nil }
        var result = alerts
        if let engine {
            result.engine = engine.statistics
            result.byRule = zip(engine.rules, engine.statistics.alertsByRule).compactMap { rule, entry in
                entry.count > 0 ? (rule.id, rule.name, entry.count) : nil
            }
        }
        return result
    }

    func flowStarted(_ flow: FlowInfo) -> (any StreamReceiver)? {
        guard !configuration.detector.decoders.isEmpty else { return nil }
        return AppLayerFlow(flow: flow, detector: configuration.detector, events: self)
    }

    func flowEnded(
        _ flow: FlowInfo, receiver: (any StreamReceiver)?, summary: FlowSummary, reason: FlowEndReason, time: Timestamp
    ) {
        guard configuration.flowEvents, output != nil || collected != nil && configuration.evePath != nil else { return }
        let appProto = receiver?.protocolName
        writer.flowRecord(
            flow, summary: summary, reason: reason, appProto: appProto,
            communityID: configuration.communityID ? flow.communityDigest : nil
        )
        commit()
    }

    func emit(_ event: consuming TradingEvent) {
        events &+= 1
        if writesEvents {
            writer.eventRecord(event, communityID: configuration.communityID ? event.flow.communityID : nil)
            commit()
        }
        if collected != nil {
            guard collectsEvents else { return }
            let matches = matcherReference?._withUnsafeGuaranteedRef { $0.match(event) }
            if let matches, matches.isEmpty {
                // No rule reaches it: to the engine it is only a count.
                skippedEvents &+= 1
            } else {
                collected?.appendEvent(event, matches, at: moment)
            }
            return
        }
        guard engine != nil else { return }
        runRules(on: event)
    }

    /// Runs the rules on `event` (with what `RuleEngine.match` found, when given) and writes the
    /// alerts it completes.
    func runRules(on event: TradingEvent, matched: RuleEngine.Matches? = nil) {
        guard let engineReference else { return }
        engineReference._withUnsafeGuaranteedRef { engine in
            if let matched {
                engine.process(event, matched: matched, into: &pendingAlerts)
            } else {
                engine.process(event, into: &pendingAlerts)
            }
        }
        guard !pendingAlerts.isEmpty else { return }
        for alert in pendingAlerts {
            alerts.record(alert)
            guard output != nil else { continue }
            writer.alertRecord(alert, communityID: configuration.communityID ? alert.flow.communityID : nil)
            commit()
        }
        pendingAlerts.removeAll(keepingCapacity: true)
    }

    func skipped() {
        events &+= 1
        engine?.countSkipped()
        if collectsEvents { skippedEvents &+= 1 }
    }

    func count(protocol name: String, _ counters: [(String, UInt64)]) {
        if collected != nil {
            collected?.append(.counters(name, counters), at: moment)
            return
        }
        let index: Int
        if let found = protocolCounters.firstIndex(where: { $0.0 == name }) {
            index = found
        } else {
            protocolCounters.append((name, []))
            index = protocolCounters.count - 1
        }
        for (position, (counter, value)) in counters.enumerated() {
            // A protocol lists its counters in the same order every time: the counter is nearly
            // always at its own position (a comparison of identical names, which is cheap).
            if position < protocolCounters[index].1.count && protocolCounters[index].1[position].0 == counter {
                protocolCounters[index].1[position].1 &+= value
            } else if let at = protocolCounters[index].1.firstIndex(where: { $0.0 == counter }) {
                protocolCounters[index].1[at].1 &+= value
            } else {
                protocolCounters[index].1.append((counter, value))
            }
        }
    }

    /// Takes one record a worker collected, as if it had come here in the first place (the merge);
    /// `bytes`, `events` and `matches` are the collection's.
    func replay(
        _ record: ShardRecord, bytes: UnsafeRawBufferPointer, events: borrowing [TradingEvent],
        matches: borrowing [RuleEngine.Matches?]
    ) {
        switch record {
        case .json(let range):
            records &+= 1
            guard let output, failure == nil else { return }
            do {
                try output.write(UnsafeRawBufferPointer(rebasing: bytes[range]))
            } catch {
                failure = error
            }
        case .event(let index):
            // Moved out of its slot for the rules and back again, bit for bit: read in place, an
            // event is still copied for the call (the compiler cannot see that the slot stays
            // unchanged), and the copy retains and releases its field list here, on a cache line
            // the worker that built the event touches again when it frees it. The worker hands the
            // collection over whole and does not touch it until the merge hands it back.
            events.withUnsafeBufferPointer { events in
                let slot = UnsafeMutablePointer(mutating: events.baseAddress.unsafelyUnwrapped + index)
                let event = slot.move()
                matches.withUnsafeBufferPointer { matches in runRules(on: event, matched: matches[index]) }
                slot.initialize(to: consume event)
            }
        case .counters(let name, let counters):
            count(protocol: name, counters)
        }
    }

    /// A worker's records so far; collecting starts again in `reuse` (emptied here, keeping its
    /// storage), or in a new collection.
    func takeCollected(reusing reuse: ShardRecords?) -> ShardRecords {
        var next = reuse ?? ShardRecords()
        next.removeAll()
        defer { collected = next }
        guard var taken = collected else { return ShardRecords() }
        collected = nil
        taken.dropStaleEvents()
        return taken
    }

    func writeStats(_ statistics: RunStatistics) throws {
        guard let output, configuration.statsRecord else { return }
        writer.statsRecord(statistics)
        try output.append(&writer)
        try output.flush()
    }

    func throwIfFailed() throws {
        if let failure { throw failure }
    }

    private var moment: TrackerMoment {
        tracker?.moment ?? TrackerMoment(packet: 0, step: .packet)
    }

    private func commit() {
        records &+= 1
        if collected != nil {
            writer.withBytes { collected?.appendJSON($0, at: moment) }
            writer.reset()
            return
        }
        guard let output, failure == nil else {
            writer.reset()
            return
        }
        do {
            try output.append(&writer)
        } catch {
            failure = error
        }
    }
}

/// One record a worker collected for the merge.
enum ShardRecord {
    /// Serialised JSON lines: these bytes of the batch.
    case json(Range<Int>)
    /// A trading event for the rules (its place in the collection's `events`), with the stateless
    /// part of the rules done (`matches`, at the same place).
    case event(Int)
    /// Protocol counters for the stats record.
    case counters(String, [(String, UInt64)])
}

/// A worker's records over some packets, in the order it made them, each with its place in the
/// run's order; the JSON of all of them in one byte array, the trading events in one array.
///
/// A collection goes back to its worker once merged and is filled again (`removeAll` keeps the
/// storage), so that the arrays are not grown anew for every batch, and the events are freed on
/// the thread that made them. They are freed one at a time, each as a new event takes its place:
/// freed together, a batch's events overflowed the allocator's per-thread cache (a few blocks of
/// each size) and went back to its shared lists, and the new events were then taken from there
/// again; one by one, the blocks an event frees are those the next one takes.
struct ShardRecords: @unchecked Sendable {
    var moments: [TrackerMoment] = []
    var records: [ShardRecord] = []
    var bytes: [UInt8] = []
    /// The events, then (while the collection is filled again) those of its last filling not yet
    /// replaced.
    var events: [TradingEvent] = []
    var matches: [RuleEngine.Matches?] = []
    /// The events of this filling: the first `eventCount` of `events`.
    private var eventCount = 0

    var isEmpty: Bool { records.isEmpty }

    mutating func append(_ record: ShardRecord, at moment: TrackerMoment) {
        moments.append(moment)
        records.append(record)
    }

    mutating func appendEvent(_ event: consuming TradingEvent, _ matched: RuleEngine.Matches?, at moment: TrackerMoment) {
        append(.event(eventCount), at: moment)
        if eventCount < events.count {
            events[eventCount] = event
        } else {
            events.append(event)
        }
        eventCount &+= 1
        matches.append(matched)
    }

    /// Record text a collection keeps room for when emptied. Most batches end few flows, but
    /// a timeout sweep (or a part of the end of the run) ends hundreds or thousands in one:
    /// kept, the room that burst took would stay with its collection for the rest of the run,
    /// and a hundred collections go round between a worker and the merge.
    static let keptBytes = 64 << 10
    /// Records a collection keeps room for when emptied (see `keptBytes`).
    static let keptRecords = 4096

    /// Empties the collection, keeping its storage (unless a burst made it large); its events
    /// stay until new ones replace them (or `dropStaleEvents`).
    mutating func removeAll() {
        if records.capacity > Self.keptRecords {
            moments = []
            records = []
            matches = []
        } else {
            moments.removeAll(keepingCapacity: true)
            records.removeAll(keepingCapacity: true)
            matches.removeAll(keepingCapacity: true)
        }
        if bytes.capacity > Self.keptBytes { bytes = [] } else { bytes.removeAll(keepingCapacity: true) }
        eventCount = 0
    }

    /// Frees the events of the last filling that no new one replaced.
    mutating func dropStaleEvents() {
        if events.count > eventCount { events.removeSubrange(eventCount...) }
    }

    mutating func appendJSON(_ json: UnsafeRawBufferPointer, at moment: TrackerMoment) {
        let start = bytes.count
        bytes.append(contentsOf: json)
        append(.json(start..<bytes.count), at: moment)
    }
}
