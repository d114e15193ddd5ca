import PacketCapture
import TestSupport

/// The TDX part of the mixed benchmark: pytdx-style quote sessions between terminal hosts
/// (10.42.0.0/16, authorised consumers in the benchmark's site file) and quote servers
/// (10.20.3.1-8:7709), with the frames of `TDXBenchmarkGenerator`: the three set-up frames, a
/// security count, then security-quotes requests answered by zlib-compressed replies, a security
/// count now and then, FIN.
///
/// Built to raise no alert of its own: each host polls one watchlist of 20-80 codes (one of 48;
/// four reply variants each, compressed once), far from the 500 distinct instruments of a
/// whole-market subscription.
final class MixedTDXSource: MixedSessionSource {
    let name = "TDX quotes"
    let kind = MixedKind.tdx
    let share: Double
    private(set) var flows = 0
    private(set) var messages = 0
    /// Security-quotes replies written.
    private(set) var replies = 0

    /// The phases of an open session.
    enum Phase {
        case setup(Int), count, quotes
    }

    struct Session: BenchmarkSession {
        var client = Endpoint(address: IPAddress(ipv4: 0), port: 0)
        var server = Endpoint(address: IPAddress(ipv4: 0), port: 0)
        var tcp: (UInt32, UInt32) = (0, 0)
        var stage = ConnectionStage.opening(0)
        var phase = Phase.setup(0)
        var watchlist = 0
        var roundsLeft = 0
        var generation = 0
    }

    private static let watchlists = 48
    private static let variants = 4
    /// Rounds by watchlist then variant.
    private let rounds: [TDXBenchmarkGenerator.Round]
    var sessions: [Session]
    var live: LiveSlots
    var draining = false
    private let setup = TDXFrameBuilder.pytdxSetup
    private let setupReplies = [
        TDXFrameBuilder.reply(sequence: 0x0093_1802, command: 0x000D, body: [1] + [UInt8](repeating: 0, count: 90)),
        TDXFrameBuilder.reply(sequence: 0x0094_1802, command: 0x000D, body: [2] + [UInt8](repeating: 0, count: 90)),
        TDXFrameBuilder.reply(sequence: 0x0099_1803, command: 0x0FDB, body: [1] + [UInt8](repeating: 0, count: 243)),
    ]
    private let count = TDXFrameBuilder.request(sequence: 0x006C_180C, command: 0x044E, body: [0, 0, 0x75, 0xC7, 0x33, 0x01])
    private let countReply = TDXFrameBuilder.reply(sequence: 0x006C_180C, command: 0x044E, body: [0x7E, 0x04])

    /// `slots` concurrent sessions taking `share` of the bytes.
    init(slots: Int, share: Double, _ wire: MixedWire) {
        self.share = share
        rounds = Self.pool(&wire.random)
        let count = max(1, min(slots, 16_000))
        sessions = [Session](repeating: Session(), count: count)
        live = LiveSlots(count: count)
        for index in 0..<count { start(index, wire) }
    }

    /// The quote rounds: per watchlist (20-80 codes of both markets), `variants` replies with
    /// prices and volumes drawn at random.
    private static func pool(_ random: inout SeededGenerator) -> [TDXBenchmarkGenerator.Round] {
        var pool: [TDXBenchmarkGenerator.Round] = []
        for _ in 0..<watchlists {
            var codes: [(UInt8, String)] = []
            for _ in 0..<random.int(in: 20...80) {
                let (market, code) = TDXBenchmarkGenerator.randomCode(&random)
                codes.append((market, code))
            }
            let request = TDXFrameBuilder.quotesRequest(codes)
            for _ in 0..<variants {
                let quotes = codes.map { market, code in
                    TDXBenchmarkGenerator.randomQuote(market: market, code: code, &random)
                }
                let body = TDXFrameBuilder.quotesBody(quotes)
                pool.append(TDXBenchmarkGenerator.Round(
                    request: request,
                    reply: TDXFrameBuilder.reply(sequence: 0x0063_2001, command: 0x053E, body: body, compress: true),
                    rawBytes: body.count))
            }
        }
        return pool
    }

    func start(_ index: Int, _ wire: MixedWire) {
        let generation = sessions[index].generation + 1
        let host = index * 2 + generation % 2
        sessions[index] = Session(
            client: Endpoint(address: IPAddress(ipv4: 0x0A2A_0000 &+ UInt32(host + 1)), port: UInt16(30_000 + generation % 30_000)),
            server: Endpoint(address: IPAddress(ipv4: 0x0A14_0300 | UInt32(1 + host % 8)), port: 7709),
            tcp: wire.random.initialSequenceNumbers(),
            watchlist: host % Self.watchlists, roundsLeft: wire.random.int(in: 50...600), generation: generation)
        flows += 1
    }

    func talk(_ session: inout Session, index: Int, _ wire: MixedWire) {
        switch session.phase {
        case .setup(let step):
            send(setup[step], &session, fromClient: true, wire)
            send(setupReplies[step], &session, fromClient: false, wire)
            session.phase = step < 2 ? .setup(step + 1) : .count
        case .count:
            send(count, &session, fromClient: true, wire)
            send(countReply, &session, fromClient: false, wire)
            session.phase = .quotes
        case .quotes:
            if draining || session.roundsLeft == 0 {
                wire.close(&session, step: 0)
                session.stage = .closing(1)
                break
            }
            if wire.random.chance(0.01) {
                send(count, &session, fromClient: true, wire)
                send(countReply, &session, fromClient: false, wire)
            }
            let round = rounds[session.watchlist * Self.variants + wire.random.int(in: 0...(Self.variants - 1))]
            send(round.request, &session, fromClient: true, wire)
            send(round.reply, &session, fromClient: false, wire)
            if wire.random.chance(0.2) { wire.control(session, fromClient: true, flags: .ack) }
            replies += 1
            session.roundsLeft -= 1
        }
    }

    private func send(_ bytes: [UInt8], _ session: inout Session, fromClient: Bool, _ wire: MixedWire) {
        wire.transmit(bytes, &session, fromClient: fromClient)
        messages += 1
    }
}
