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
package final class Pipeline {
    /// The settings of this run.
    package let configuration: InspectorConfiguration
    private var decoder: PacketDecoder
    // Constants, so that the per-packet calls through them cost no retain and release.
    private let tracker: FlowTracker
    private let observer: PipelineObserver
    /// Set by `finish`: packets after it are ignored.
    private var finished = false
    private var statistics = RunStatistics()
    private var nextFragmentExpiry = Timestamp.zero

    /// A pipeline writing to `output` (nil: count only).
    package init(configuration: InspectorConfiguration, output: EVEOutput?) {
        self.configuration = configuration
        self.decoder = PacketDecoder(fragmentLimits: configuration.fragments)
        var flows = configuration.flows
        flows.servicePorts += configuration.detector.servicePorts
        let observer = PipelineObserver(configuration: configuration, output: output)
        self.observer = observer
        self.tracker = FlowTracker(configuration: flows, observer: observer)
    }

    /// Takes one captured packet.
    ///
    /// `flowHash`, when given, is what `prefetchHash` returned for this packet (the same parsing
    /// gives the same TCP/UDP packet, so its flow hash need not be computed again).
    @inline(__always)
    package func process(_ packet: CapturedPacket, flowHash: UInt64? = nil) {
        statistics.packets &+= 1
        statistics.bytes &+= UInt64(packet.bytes.count)
        statistics.lastPacket = packet.time
        guard !finished else { return }
        let wireLength = packet.wireLength
        let time = packet.time
        if let reason = decoder.decode(packet.bytes, linkType: packet.linkType, time: time, wireLength: wireLength, { transport in
            tracker.process(transport, wireLength: wireLength, time: time, hash: flowHash)
        }) {
            statistics.skipped.record(reason)
        }
        if time >= nextFragmentExpiry {
            decoder.expireFragments(at: time)
            nextFragmentExpiry = time.adding(nanoseconds: 1_000_000_000)
        }
    }

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
        finished = true
        tracker.finish()
        statistics.files = files
        statistics.filesFailed = filesFailed
        statistics.live = live
        statistics.fragments = decoder.fragmentStatistics
        statistics.flows = tracker.statistics
        statistics.tcp = tracker.reassembly.statistics
        statistics.reassemblyMemoryPeak = tracker.reassembly.peakMemoryInUse
        try observer.throwIfFailed()
        statistics.events = observer.events
        statistics.recordsWritten = observer.records
        statistics.protocols = observer.protocolCounters
        statistics.alerts = observer.alertStatistics
        try observer.writeStats(statistics)
        return statistics
    }
}

/// Creates each flow's protocol layer and writes events and flow records as they come.
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
    /// Whether per-message records are written.
    let writesEvents: Bool
    private var pendingAlerts: [Alert] = []
    private(set) var alerts = AlertStatistics()

    init(configuration: InspectorConfiguration, output: EVEOutput?) {
        self.configuration = configuration
        self.output = output
        let perMessage = configuration.messageEvents && output != nil
        writesEvents = perMessage
        if let rules = configuration.rules {
            let engine = RuleEngine(rules: rules.rules, site: rules.site, detectors: rules.detectors)
            self.engine = engine.isEmpty ? nil : engine
            alerts.rulesLoaded = rules.rules.count
            alerts.rulesActive = engine.rules.count
        } else {
            engine = nil
        }
        // Rules read trading events even when no per-message record is written; then only the
        // events and fields they read are built.
        self.interest = EventInterest(
            records: perMessage, tradingEvents: perMessage || engine != nil, demand: perMessage ? nil : engine?.demand)
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
        guard configuration.flowEvents, output != nil else { return }
        let appProto = receiver?.protocolName
        writer.flowRecord(
            flow, summary: summary, reason: reason, appProto: appProto,
            communityID: configuration.communityID ? flow.communityID : nil
        )
        commit()
    }

    func emit(_ event: TradingEvent) {
        events &+= 1
        if writesEvents {
            writer.eventRecord(event, communityID: configuration.communityID ? event.flow.communityID : nil)
            commit()
        }
        guard let engine else { return }
        engine.process(event, into: &pendingAlerts)
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
    }

    func count(protocol name: String, _ counters: [(String, UInt64)]) {
        let index: Int
        if let found = protocolCounters.firstIndex(where: { $0.0 == name }) {
            index = found
        } else {
            protocolCounters.append((name, []))
            index = protocolCounters.count - 1
        }
        for (counter, value) in counters {
            if let at = protocolCounters[index].1.firstIndex(where: { $0.0 == counter }) {
                protocolCounters[index].1[at].1 &+= value
            } else {
                protocolCounters[index].1.append((counter, value))
            }
        }
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

    private func commit() {
        records &+= 1
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
