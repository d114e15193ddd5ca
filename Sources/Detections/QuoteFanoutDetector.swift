import FlowTracking
import PacketCapture
import ProtocolKit
import RuleEngine

/// Quote fan-out: a host that receives quotes and sends the same ticks on to several others
/// within a short delay (detections notes, R24 and section 3.3).
///
/// Every `md_quote` is a tick (instrument, price, and volume and update time when given) that
/// travels from `src_ip` to `dest_ip`. The detector remembers, per receiving host, the ticks it
/// received in the last `max_delay`; when that host then sends a tick it received on another flow,
/// the receiver of the copy is a downstream peer. A host with `threshold` downstream peers, each
/// sent at least `min_ticks` copies within `window`, raises an alert. Hosts in
/// `market_data.quote_servers` distribute quotes by design and are never flagged.
///
/// Only decoded quotes count: a host that re-serves ticks in a protocol no decoder reads (a web
/// socket, its own format) is out of sight.
final class QuoteFanoutDetector: RuleDetector {
    /// The definition rules name (`detector: {name: quote_fanout, ...}`).
    static let definition = DetectorDefinition(
        name: "quote_fanout",
        summary: "a host re-sending ticks it received to several downstream peers",
        parameters: [
            .init("max_delay", .duration, default: .duration(RuleDuration(nanoseconds: 500_000_000)), "how soon after receiving a tick a copy counts"),
            .init("threshold", .int, default: .int(3), "downstream peers that make an alert"),
            .init("min_ticks", .int, default: .int(3), "copies a peer must receive to count"),
            .init("window", .duration, default: .duration(.seconds(60)), "the window peers are counted in"),
        ],
        reads: ["instrument", "price", "volume", "quantity", "update_time"],
        make: { parameters, site in QuoteFanoutDetector(parameters: parameters, site: site) }
    )

    private let maxDelay: Int64
    private let threshold: Int
    private let minTicks: Int
    private let window: Int64
    private let site: SiteIndex
    private let quoteServers = SiteList.named("market_data.quote_servers")

    /// Ticks each host received recently: tick hash → (time, flow, sender).
    private var received: [IPAddress: ReceivedTicks] = [:]
    /// The two hosts whose ticks were looked up last, with their entries in `received`: quotes
    /// come in runs on one flow, so the sender and receiver of a quote are nearly always those of
    /// the one before (a dictionary lookup hashes the address each time). Unretained: `received`
    /// holds them, and `recent` is cleared before `received` loses any entry.
    private var recent: (Unmanaged<ReceivedTicks>, Unmanaged<ReceivedTicks>)?
    /// The last host looked up that had received no ticks (a quote server, the sender of most
    /// quotes).
    private var noTicks: IPAddress?
    /// Per re-sending host: its downstream peers in the window.
    private var fanout: [IPAddress: Fanout] = [:]
    private var nextSweep = Int64.min
    private static let ticksPerHost = 1024
    private static let hosts = 20_000

    /// The ticks one host received in the last `max_delay` (a class, so that adding one copies
    /// nothing), with their arrival order so that expired ones leave as new ones come.
    private final class ReceivedTicks {
        let host: IPAddress
        var ticks = TickTable()
        private var arrivals: [(tick: UInt64, time: Int64)] = []
        private var head = 0

        init(host: IPAddress) {
            self.host = host
        }

        /// Records `tick`, dropping the ticks received more than `maxDelay` before `time`.
        func add(_ tick: UInt64, time: Int64, flow: UInt64, sender: IPAddress, maxDelay: Int64, limit: Int) {
            expire(before: time - maxDelay)
            guard ticks.set(tick, TickTable.Entry(time: time, flow: flow, sender: sender), limit: limit) else { return }
            arrivals.append((tick, time))
        }

        /// Forgets ticks received before `cutoff`.
        func expire(before cutoff: Int64) {
            while head < arrivals.count, arrivals[head].time < cutoff {
                let (tick, time) = arrivals[head]
                ticks.remove(tick, ifTime: time)
                head += 1
            }
            if head > 1024 && head * 2 > arrivals.count {
                arrivals.removeFirst(head)
                head = 0
            }
        }
    }

    /// One re-sending host's downstream peers.
    private final class Fanout {
        /// Peer → (copies, first, last).
        var peers: [IPAddress: (copies: Int, first: Int64, last: Int64)] = [:]
        /// Peers in first-seen order.
        var order: [IPAddress] = []
        var upstream: [IPAddress] = []
        var flows: [UInt64] = []
        var copies = 0
    }

    init(parameters: [String: DetectorParameter], site: SiteIndex) {
        maxDelay = parameters.duration("max_delay").nanoseconds
        threshold = max(1, parameters.int("threshold"))
        minTicks = max(1, parameters.int("min_ticks"))
        window = parameters.duration("window").nanoseconds
        self.site = site
    }

    func observe(_ event: TradingEvent) -> [AlertEvidence] {
        guard event.kind == .mdQuote, let signature = Self.signature(event) else { return [] }
        let time = event.time.nanoseconds
        sweep(time)
        let sender = event.flow.source(event.direction).address
        let receiver = event.flow.destination(event.direction).address
        var alerts: [AlertEvidence] = []
        if let original = ticks(of: sender).flatMap({ $0._withUnsafeGuaranteedRef { $0.ticks.entry(signature) } }),
            original.flow != event.flow.id, time - original.time <= maxDelay,
            original.sender != receiver
        {
            if let evidence = copied(by: sender, to: receiver, from: original.sender, event: event) { alerts.append(evidence) }
        }
        let store: Unmanaged<ReceivedTicks>
        if let known = ticks(of: receiver) {
            store = known
        } else {
            guard received.count < Self.hosts else { return alerts }
            let created = ReceivedTicks(host: receiver)
            received[receiver] = created
            store = Unmanaged.passUnretained(created)
            if noTicks == receiver { noTicks = nil }
            remember(store)
        }
        store._withUnsafeGuaranteedRef {
            $0.add(signature, time: time, flow: event.flow.id, sender: sender, maxDelay: maxDelay, limit: Self.ticksPerHost)
        }
        return alerts
    }

    private func copied(by host: IPAddress, to peer: IPAddress, from upstream: IPAddress, event: TradingEvent) -> AlertEvidence? {
        if let quoteServers, site.contains(host, in: quoteServers, key: []) { return nil }
        let time = event.time.nanoseconds
        let state: Fanout
        if let known = fanout[host] {
            state = known
        } else {
            guard fanout.count < Self.hosts else { return nil }
            state = Fanout()
            fanout[host] = state
        }
        // Peers whose last copy left the window no longer count.
        if state.peers.values.contains(where: { time - $0.last >= window }) {
            state.peers = state.peers.filter { time - $0.value.last < window }
            state.order = state.order.filter { state.peers[$0] != nil }
        }
        if state.peers[peer] != nil {
            state.peers[peer]?.copies += 1
            state.peers[peer]?.last = time
        } else {
            state.peers[peer] = (1, time, time)
            state.order.append(peer)
        }
        state.copies += 1
        if !state.upstream.contains(upstream) && state.upstream.count < 16 { state.upstream.append(upstream) }
        if !state.flows.contains(event.flow.id) && state.flows.count < 16 { state.flows.append(event.flow.id) }
        let counted = state.order.filter { (state.peers[$0]?.copies ?? 0) >= minTicks }
        guard counted.count >= threshold else { return nil }
        fanout[host] = nil
        let first = counted.compactMap { state.peers[$0]?.first }.min() ?? time
        var evidence = AlertEvidence(firstTime: Timestamp(nanoseconds: first), lastTime: event.time)
        evidence.group = [("host", host.description)]
        evidence.count = counted.count
        evidence.threshold = threshold
        evidence.window = RuleDuration(nanoseconds: window)
        evidence.distinct = ("dest_ip", counted.prefix(16).map(\.description), counted.count)
        evidence.flows = state.flows
        evidence.flowCount = state.flows.count
        evidence.notes = [
            ("upstream", .array(state.upstream.map { .string($0.description) })),
            ("copied_ticks", .uint(UInt64(state.copies))),
            ("max_delay", .string(RuleDuration(nanoseconds: maxDelay).description)),
        ]
        return evidence
    }

    /// A tick's identity: a hash of its instrument and price, with volume, quantity and update time
    /// when given, made the way rule keys are (`RuleValue.textHash` and `mix64`; a hash,
    /// so that a host's recent ticks cost a few bytes each). Nil without an instrument and a
    /// price. One pass over the fields.
    private static func signature(_ event: TradingEvent) -> UInt64? {
        var instrument: String?
        var price: Double?
        var volume: Double?
        var quantity: Double?
        var updateTime: String?
        for (name, value) in event.fields {
            // By length first: a string comparison that fails costs a call into the standard
            // library, and a quote has more fields than these five.
            switch name.utf8.count {
            case 10: if name == "instrument", case .string(let text) = value { instrument = text }
            case 5: if name == "price" { price = number(value) }
            case 6: if name == "volume" { volume = number(value) }
            case 8: if name == "quantity" { quantity = number(value) }
            case 11: if name == "update_time", case .string(let text) = value { updateTime = text }
            default: break
            }
        }
        guard let instrument, let price else { return nil }
        var hash = RuleValue.textHash(instrument)
        hash = mix64(hash ^ price.bitPattern)
        hash = mix64(hash ^ (volume?.bitPattern ?? 0x7FF8_DEAD_0000_0001))
        hash = mix64(hash ^ (quantity?.bitPattern ?? 0x7FF8_DEAD_0000_0002))
        // An empty update time counts as none.
        if let updateTime, !updateTime.isEmpty { hash = mix64(hash ^ RuleValue.textHash(updateTime)) }
        return hash
    }

    private static func number(_ value: FieldValue) -> Double? {
        switch value {
        case .double(let number): number
        case .int(let number): Double(number)
        case .uint(let number): Double(number)
        case .string(let text): Double(text)
        default: nil
        }
    }

    /// The ticks `host` received recently, if any (held by `received`).
    private func ticks(of host: IPAddress) -> Unmanaged<ReceivedTicks>? {
        if let (last, before) = recent {
            if last._withUnsafeGuaranteedRef({ $0.host == host }) { return last }
            if before._withUnsafeGuaranteedRef({ $0.host == host }) {
                recent = (before, last)
                return before
            }
        }
        if host == noTicks { return nil }
        guard let store = received[host] else {
            noTicks = host
            return nil
        }
        let reference = Unmanaged.passUnretained(store)
        remember(reference)
        return reference
    }

    /// Makes `store` the most recently looked-up host's.
    private func remember(_ store: Unmanaged<ReceivedTicks>) {
        recent = (store, recent?.0 ?? store)
    }

    private func sweep(_ time: Int64) {
        guard time >= nextSweep else { return }
        nextSweep = time + 10_000_000_000
        recent = nil
        noTicks = nil
        received = received.filter { _, store in
            store.expire(before: time - maxDelay)
            return !store.ticks.isEmpty
        }
        fanout = fanout.filter { $0.value.peers.values.contains { time - $0.last < window } }
    }
}
