import PacketCapture
import TestSupport

/// The abuse scenarios of the mixed benchmark: recorded captures (Captures/scenarios/*.pcap)
/// re-timed to a place in the benchmark's time line and re-addressed, and synthetic ones built
/// here, merged into the generated traffic in time order by `MixedWire`.
///
/// A recorded packet keeps its TCP header (sequence and acknowledgement numbers, flags, window,
/// options) and payload, and its delay from the scenario's first packet; it gets a new Ethernet
/// header, and new addresses where the placement says so (the FIX scenarios were recorded on
/// loopback, so their client and server are told apart by who sent the SYN). A payload longer
/// than 1448 bytes (loopback's large segments) is cut into 1448-byte segments with the same
/// sequence space, as it would cross an Ethernet span port.
final class ScenarioInjector {
    /// One scenario and where it goes.
    struct Placement {
        /// The capture's file name in the scenario folder, or the name of a synthetic scenario.
        var name: String
        /// Where it starts, as a fraction of the benchmark's expected time span.
        var at: Double
        /// The address the loopback client becomes (nil: addresses are kept).
        var client: String? = nil
        /// The address the loopback server becomes.
        var server: String? = nil
        /// The alerts it should raise with the benchmark's site file: `id rule (group)`.
        var expected: [String]
    }

    /// What was merged in, per scenario.
    struct Loaded {
        var placement: Placement
        var kind: MixedKind
        var packets: Int
        var bytes: Int
        var flows: Int
        var start: Timestamp
    }

    /// The scenarios of the benchmark, in time order, all within the shortest span (a minute; the
    /// fan-out lasts 22 s). The expected alerts are those of `scenarios.json` with the new
    /// addresses, plus the synthetic quote fan-out's.
    static let placements: [Placement] = [
        Placement(
            name: "fix-dozen-accounts.pcap", at: 0.06, client: "10.77.1.21", server: "10.20.2.100",
            expected: ["1004 relay.fix_session_many_accounts (SPLIT01/BROKER)", "1009 relay.host_many_accounts (10.77.1.21)"]),
        Placement(name: "fix-clean-desk.pcap", at: 0.13, client: "10.8.1.31", server: "10.20.2.100", expected: []),
        Placement(
            name: "ctp-appid-shared.pcap", at: 0.20,
            expected: ["2001 api_resale.appid_many_users (client_quant_1.0)", "2002 api_resale.appid_many_networks (client_quant_1.0)"]),
        Placement(name: "tdx-list-harvest.pcap", at: 0.27, expected: ["3004 md_leak.whole_market_subscription (10.30.9.99)"]),
        Placement(
            name: "ctp-operator-eight-investors.pcap", at: 0.34,
            expected: ["1001 relay.ctp_session_many_investors (its flow)", "1009 relay.host_many_accounts (10.70.0.7)"]),
        Placement(
            name: QuoteFanoutScenario.name, at: 0.41,
            expected: [
                "3005 md_leak.quote_fanout (\(QuoteFanoutScenario.relay))",
                "3001 md_leak.quotes_to_unauthorized_host (each of \(QuoteFanoutScenario.peers.joined(separator: ", ")))",
                "3003 md_leak.md_without_trading_login (each of the same)",
            ]),
        Placement(
            name: "fix-order-bursts.pcap", at: 0.55, client: "10.8.1.31", server: "10.20.2.100",
            expected: ["2012 api_resale.order_bursts (DESK-ACC-1)"]),
        Placement(
            name: "ctp-quotes-unlisted-host.pcap", at: 0.64,
            expected: ["3003 md_leak.md_without_trading_login (10.77.0.9)", "3001 md_leak.quotes_to_unauthorized_host (10.77.0.9)"]),
        Placement(
            name: "fix-quotes-unlisted-host.pcap", at: 0.73, client: "10.77.2.9", server: "10.20.2.100",
            expected: ["3001 md_leak.quotes_to_unauthorized_host (10.77.2.9)"]),
        Placement(name: "ctp-clean-registered.pcap", at: 0.82, expected: []),
    ]

    private var times: [Int64] = []
    private var frames: [[UInt8]] = []
    private var next = 0
    /// The time of the next packet to write (Int64.max when none is left).
    private(set) var nextTime = Int64.max
    /// What was merged in.
    private(set) var loaded: [Loaded] = []

    /// No scenarios.
    init() {}

    /// The scenarios of `placements`, the recorded ones read from `directory`, placed in a time
    /// line that starts at `start` and lasts about `span` nanoseconds.
    init(directory: String, placements: [Placement], start: Timestamp, span: Int64) throws(ScenarioError) {
        var timed: [(time: Int64, frame: [UInt8])] = []
        for placement in placements {
            let origin = start.nanoseconds + Int64(Double(span) * placement.at)
            var packets: [(time: Int64, frame: [UInt8])]
            var kind: MixedKind
            var flows: Int
            if placement.name == QuoteFanoutScenario.name {
                packets = QuoteFanoutScenario.frames()
                kind = .ctp
                flows = 1 + QuoteFanoutScenario.peers.count
            } else {
                (packets, kind, flows) = try Self.read(directory + "/" + placement.name, placement)
            }
            let first = packets.map(\.time).min() ?? 0
            for index in packets.indices { packets[index].time += origin - first }
            timed += packets
            loaded.append(Loaded(
                placement: placement, kind: kind, packets: packets.count, bytes: packets.reduce(0) { $0 + $1.frame.count },
                flows: flows, start: Timestamp(nanoseconds: origin)))
        }
        timed.sort { $0.time < $1.time }
        times = timed.map(\.time)
        frames = timed.map(\.frame)
        nextTime = times.first ?? Int64.max
    }

    /// Writes the packets due by `time`.
    func write(upTo time: Int64, into writer: PcapWriter) {
        while next < times.count && times[next] <= time {
            writer.write(frame: frames[next], time: Timestamp(nanoseconds: times[next]))
            frames[next] = []
            next += 1
        }
        nextTime = next < times.count ? times[next] : Int64.max
    }

    /// Reads one recorded scenario: its packets rebuilt, what protocol it carries (by its
    /// name's prefix), its TCP flows.
    private static func read(
        _ path: String, _ placement: Placement
    ) throws(ScenarioError) -> ([(time: Int64, frame: [UInt8])], MixedKind, Int) {
        struct Parsed {
            var time: Int64
            var source: Endpoint
            var destination: Endpoint
            var sequence: UInt32
            var acknowledgement: UInt32
            var flags: TCPFlags
            var window: UInt16
            var options: [UInt8]
            var payload: [UInt8]
        }
        let file: CaptureFile
        do {
            file = try CaptureFile(path: path)
        } catch {
            throw ScenarioError(message: "\(path): \(error)")
        }
        defer { file.close() }
        guard file.linkType == .ethernet else { throw ScenarioError(message: "\(path): not an Ethernet capture") }
        var parsed: [Parsed] = []
        reading: while true {
            switch file.next() {
            case .end: break reading
            case .failed(let reason): throw ScenarioError(message: "\(path): \(reason)")
            case .packet(let packet):
                let bytes = packet.bytes
                guard bytes.count >= 14 + 20 + 20 else { continue }
                var offset = 14
                var etherType = UInt16(bytes[12]) << 8 | UInt16(bytes[13])
                while etherType == 0x8100 || etherType == 0x88A8, bytes.count >= offset + 4 + 40 {
                    etherType = UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3])
                    offset += 4
                }
                guard etherType == 0x0800, bytes[offset] >> 4 == 4, bytes[offset + 9] == 6 else { continue }
                let ipHeader = Int(bytes[offset] & 0x0F) * 4
                let total = min(Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]), bytes.count - offset)
                let tcp = offset + ipHeader
                guard total >= ipHeader + 20 else { continue }
                let tcpHeader = Int(bytes[tcp + 12] >> 4) * 4
                guard tcpHeader >= 20, ipHeader + tcpHeader <= total else { continue }
                func word(_ at: Int) -> UInt32 {
                    UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
                }
                func port(_ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
                parsed.append(Parsed(
                    time: packet.time.nanoseconds,
                    source: Endpoint(address: IPAddress(ipv4: word(offset + 12)), port: port(tcp)),
                    destination: Endpoint(address: IPAddress(ipv4: word(offset + 16)), port: port(tcp + 2)),
                    sequence: word(tcp + 4), acknowledgement: word(tcp + 8), flags: TCPFlags(rawValue: bytes[tcp + 13]),
                    window: port(tcp + 14), options: Array(bytes[(tcp + 20)..<(tcp + tcpHeader)]),
                    payload: Array(bytes[(tcp + tcpHeader)..<(offset + total)])))
            }
        }
        // Clients are the senders of a SYN without ACK.
        var clients = Set<Endpoint>()
        for packet in parsed where packet.flags.contains(.syn) && !packet.flags.contains(.ack) { clients.insert(packet.source) }
        let loopback = IPAddress(ipv4: 0x7F00_0001)
        let newClient = placement.client.flatMap(Endpoint.parseAddress)
        let newServer = placement.server.flatMap(Endpoint.parseAddress)
        func mapped(_ endpoint: Endpoint, client: Bool) -> Endpoint {
            guard endpoint.address == loopback else { return endpoint }
            let address = (client ? newClient : newServer) ?? endpoint.address
            return Endpoint(address: address, port: endpoint.port)
        }
        let forward = FrameBuilder(link: .ethernet(
            source: MACAddress(0x02_00_00_00_50_01), destination: MACAddress(0x02_00_00_00_50_02)))
        let backward = forward.reversed
        var frames: [(time: Int64, frame: [UInt8])] = []
        for packet in parsed {
            let fromClient = clients.contains(packet.source)
            let source = mapped(packet.source, client: fromClient)
            let destination = mapped(packet.destination, client: !fromClient)
            let builder = fromClient ? forward : backward
            var start = 0
            var piece = 0
            repeat {
                let end = min(packet.payload.count, start + 1448)
                var flags = packet.flags
                if end < packet.payload.count { flags.remove([.psh, .fin]) }
                let frame = packet.payload[start..<end].withUnsafeBytes { payload in
                    var frame: [UInt8] = []
                    builder.tcp(
                        into: &frame, from: source, to: destination, sequence: packet.sequence &+ UInt32(start),
                        acknowledgement: packet.acknowledgement, flags: flags, window: packet.window, options: packet.options,
                        payload: payload)
                    return frame
                }
                frames.append((packet.time + Int64(piece), frame))
                start = end
                piece += 1
            } while start < packet.payload.count
        }
        let kind: MixedKind = placement.name.hasPrefix("fix") ? .fix : placement.name.hasPrefix("ctp") ? .ctp : .tdx
        return (frames, kind, clients.count)
    }
}

/// A scenario file that cannot be read.
struct ScenarioError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A synthetic quote fan-out (rule 3005): a consumer host takes CTP market data from a front and
/// re-serves every tick within 20-30 ms to three outside hosts, as a market-data front of its own
/// (port 9000); 40 ticks over 20 seconds.
enum QuoteFanoutScenario {
    /// The scenario's name in the placements.
    static let name = "quote-fanout (synthetic)"
    /// The re-sending host (an authorised consumer).
    static let relay = "10.41.250.7"
    /// Its downstream peers (outside the broker).
    static let peers = ["198.51.100.21", "198.51.100.22", "198.51.100.23"]

    private typealias F = CTPFrameBuilder.Field

    /// The scenario's frames, timed from 0.
    static func frames() -> [(time: Int64, frame: [UInt8])] {
        let instruments = ["rb2601", "au2602", "IF2601"]
        let login = CTPFrameBuilder.message(tid: 0x3000, requestID: 1, version: 0x34, fields: [
            F(0x1002, CTPStructs.reqUserLogin(broker: "", user: "", password: [])),
        ])
        let loginReply = CTPFrameBuilder.message(tid: 0x3001, requestID: 1, version: 0x34, fields: [
            F(0x0000, CTPStructs.rspInfo(0, Array("CTP:No Error".utf8))),
            F(0x1003, CTPStructs.rspUserLogin(tradingDay: "20260102", loginTime: "09:00:00", systemName: "MarketData", frontID: 1, sessionID: 1)),
        ])
        let subscribe = CTPFrameBuilder.message(
            tid: 0x4401, version: 0x34, fields: instruments.map { F(0x2441, CTPStructs.specificInstrument($0)) })
        let subscribed = instruments.map { instrument in
            CTPFrameBuilder.message(tid: 0x4402, version: 0x34, fields: [
                F(0x0000, CTPStructs.rspInfo()), F(0x2441, CTPStructs.specificInstrument(instrument)),
            ])
        }.reduce([], +)
        let logout = CTPFrameBuilder.message(tid: 0x3002, requestID: 2, version: 0x34, fields: [
            F(0x1004, CTPStructs.userLogout(broker: "", user: "")),
        ])
        let logoutReply = CTPFrameBuilder.message(tid: 0x3003, requestID: 2, version: 0x34, fields: [
            F(0x0000, CTPStructs.rspInfo()), F(0x1004, CTPStructs.userLogout(broker: "", user: "")),
        ])
        let builder = FrameBuilder(link: .ethernet(
            source: MACAddress(0x02_00_00_00_60_01), destination: MACAddress(0x02_00_00_00_60_02)))
        let relayAddress = Endpoint.parseAddress(relay) ?? IPAddress(ipv4: 0)
        var upstream = TCPConversation(
            client: Endpoint(address: relayAddress, port: 45_001), server: Endpoint("10.20.1.11", 41213), builder: builder,
            clientInitialSequence: 0x3A00_0000, serverInitialSequence: 0x5B00_0000, start: Timestamp(nanoseconds: 0),
            step: 150_000, maximumSegmentSize: 1448)
        var downstream = peers.enumerated().map { index, peer in
            TCPConversation(
                client: Endpoint(peer, UInt16(52_000 + index)), server: Endpoint(address: relayAddress, port: 9000), builder: builder,
                clientInitialSequence: 0x1C00_0000 &+ UInt32(index) << 20, serverInitialSequence: 0x6D00_0000 &+ UInt32(index) << 20,
                start: Timestamp(nanoseconds: 300_000_000 + Int64(index) * 40_000_000), step: 150_000, maximumSegmentSize: 1448)
        }
        func open(_ conversation: inout TCPConversation) {
            conversation.handshake()
            conversation.send(from: .client, CTPFrameBuilder.heartbeatTimeout(39) + login, acknowledge: false)
            conversation.send(from: .server, CTPFrameBuilder.heartbeatTimeout(39) + loginReply, acknowledge: false)
            conversation.send(from: .client, subscribe, acknowledge: false)
            conversation.send(from: .server, subscribed)
        }
        open(&upstream)
        for index in downstream.indices { open(&downstream[index]) }
        var quote = CTPStructs.Quote()
        for tick in 0..<40 {
            let at = 1_000_000_000 + Int64(tick) * 500_000_000
            quote.instrument = instruments[tick % 3]
            quote.exchange = ["SHFE", "SHFE", "CFFEX"][tick % 3]
            quote.lastPrice = [3500.0, 612.4, 3950.2][tick % 3] + Double(tick / 3)
            quote.volume = Int32(10_000 + tick * 17)
            quote.updateTime = "09:31:\(tick / 2 < 10 ? "0" : "")\(tick / 2)"
            quote.millisecond = Int32(tick % 2 * 500)
            let frame = CTPFrameBuilder.message(tid: 0xF101, version: 0x34, fields: [F(0x0012, CTPStructs.depthMarketData(quote))])
            upstream.time = Timestamp(nanoseconds: at)
            upstream.send(from: .server, frame, acknowledge: tick % 4 == 3)
            for index in downstream.indices {
                downstream[index].time = Timestamp(nanoseconds: at + 20_000_000 + Int64(index) * 3_000_000)
                downstream[index].send(from: .server, frame, acknowledge: tick % 4 == 3)
            }
        }
        var frames: [(time: Int64, frame: [UInt8])] = []
        for var conversation in [upstream] + downstream {
            conversation.time = Timestamp(nanoseconds: 21_500_000_000 + Int64(frames.count) * 1000)
            conversation.send(from: .client, logout, acknowledge: false)
            conversation.send(from: .server, logoutReply, acknowledge: false)
            conversation.close()
            frames += conversation.packets.map { ($0.time.nanoseconds, conversation.frame(for: $0)) }
        }
        return frames
    }
}
