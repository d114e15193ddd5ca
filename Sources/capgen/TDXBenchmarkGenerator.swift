import PacketCapture
import TestSupport

/// Writes a large TDX quote capture for throughput measurements: many concurrent pytdx-style
/// sessions to quote servers on port 7709, each with a handshake, pytdx's three set-up frames and
/// their replies, a security count, then a long run of security-quotes requests (0x053e, 20-80
/// codes) answered by zlib-compressed replies (as servers compress bodies over 1 KiB), a
/// security count now and then (pytdx's heartbeat), and a FIN close.
///
/// Replies are cut into segments of 300-1400 bytes wherever the size falls, so a segment packs
/// the end of one reply and the start of the next, and replies are split across segments; 1 % of
/// segments overtake the previous one and 0.5 % are sent twice. Prices and volumes are random
/// walks, so the varint bodies compress about as badly as real ones (1.1-1.3 : 1).
///
/// The quote rounds come from a pool built once (each reply compressed once): compressing every
/// reply would make generation slower than the decoder it measures.
struct TDXBenchmarkGenerator {
    /// Stop once the file reaches this many bytes.
    var targetBytes: Int
    /// Sessions open at any time (a closed one is replaced by a new one).
    var concurrentSessions: Int
    /// The seed of everything random.
    var seed: UInt64

    /// What was written.
    struct Summary {
        var quoteReplies = 0
        var otherFrames = 0
        var rawQuoteBytes = 0
        var compressedQuoteBytes = 0
        /// The sessions, the TCP side and the file size.
        var totals = SessionBenchmarkTotals()

        /// One line for the terminal.
        func line(path: String, seconds: Double) -> String {
            let ratio = compressedQuoteBytes > 0 ? Double(rawQuoteBytes) / Double(compressedQuoteBytes) : 0
            return totals.line(path: path, seconds: seconds, messages: """
                \(quoteReplies) compressed security-quotes replies (\(compressedQuoteBytes) bytes on the wire, \
                \(fixed(ratio, 2)):1) and \(otherFrames) other frames
                """)
        }
    }

    /// One quote round: pytdx's request and the server's compressed reply.
    struct Round {
        var request: [UInt8]
        var reply: [UInt8]
        var rawBytes: Int
    }

    /// The phases of an open session.
    enum Phase {
        case setup(Int), count, quotes
    }

    struct Session: BenchmarkSession {
        var client: Endpoint
        var server: Endpoint
        /// Next TCP sequence number per side (0 client, 1 server).
        var tcp: (UInt32, UInt32)
        var stage = ConnectionStage.opening(0)
        var phase = Phase.setup(0)
        var roundsLeft: Int
    }

    /// Quote rounds in the pool.
    static let poolSize = 256

    /// Builds the pool of quote rounds: each a batch of 20-80 codes of both markets with prices
    /// and volumes drawn at random.
    static func pool(_ random: inout SeededGenerator) -> [Round] {
        (0..<poolSize).map { _ in
            let count = random.int(in: 20...80)
            var codes: [(UInt8, String)] = []
            var quotes: [TDXFrameBuilder.Quote] = []
            for _ in 0..<count {
                let (market, code) = randomCode(&random)
                codes.append((market, code))
                quotes.append(randomQuote(market: market, code: code, &random))
            }
            let body = TDXFrameBuilder.quotesBody(quotes)
            return Round(
                request: TDXFrameBuilder.quotesRequest(codes),
                reply: TDXFrameBuilder.reply(sequence: 0x0063_2001, command: 0x053E, body: body, compress: true), rawBytes: body.count)
        }
    }

    /// A security code drawn at random: Shanghai (market 1, 600000-603999) or Shenzhen
    /// (market 0, 000001-003999).
    static func randomCode(_ random: inout SeededGenerator) -> (market: UInt8, code: String) {
        let market = UInt8(random.int(in: 0...1))
        let code = market == 1
            ? String(600_000 + random.int(in: 0...3999))
            : String(String(random.int(in: 1...3999) + 1_000_000).dropFirst())
        return (market, code)
    }

    /// A quote of `code` with its price, the day's prices, volume, amount and five levels each
    /// side drawn at random around it.
    static func randomQuote(market: UInt8, code: String, _ random: inout SeededGenerator) -> TDXFrameBuilder.Quote {
        let price = Int64(random.int(in: 200...30000))
        let step = max(1, price / 400)
        var quote = TDXFrameBuilder.Quote(
            market: market, code: code, price: price, lastClose: price + Int64(random.int(in: -12...12)) * step,
            open: price + Int64(random.int(in: -6...6)) * step, high: price + Int64(random.int(in: 0...12)) * step,
            low: price - Int64(random.int(in: 0...12)) * step, volume: Int64(random.int(in: 20_000...4_000_000)),
            amount: Float(random.int(in: 1_000_000...900_000_000)),
            bids: (1...5).map { (price - Int64($0) * step, Int64(random.int(in: 1...40000))) },
            asks: (1...5).map { (price + Int64($0) * step, Int64(random.int(in: 1...40000))) })
        quote.active = UInt16(random.int(in: 1...60000))
        return quote
    }

    /// Writes the capture to `path`.
    func write(to path: String) throws(CaptureWriteError) -> Summary {
        var random = SeededGenerator(seed: seed)
        let writer = try PcapWriter(path: path, linkType: .ethernet, nanosecond: true)
        let sender = SegmentSender(
            writer: writer, clientMAC: MACAddress(0x02_00_00_00_30_01), serverMAC: MACAddress(0x02_00_00_00_30_02),
            start: Timestamp(seconds: Recipe.epoch, nanoseconds: 0))
        let rounds = Self.pool(&random)
        var summary = Summary()

        // The frames every session sends the same way (built once).
        let setup = TDXFrameBuilder.pytdxSetup
        let setupReplies = [
            TDXFrameBuilder.reply(sequence: 0x0093_1802, command: 0x000D, body: [1] + [UInt8](repeating: 0, count: 90)),
            TDXFrameBuilder.reply(sequence: 0x0094_1802, command: 0x000D, body: [2] + [UInt8](repeating: 0, count: 90)),
            TDXFrameBuilder.reply(sequence: 0x0099_1803, command: 0x0FDB, body: [1] + [UInt8](repeating: 0, count: 243)),
        ]
        let count = TDXFrameBuilder.request(sequence: 0x006C_180C, command: 0x044E, body: [0, 0, 0x75, 0xC7, 0x33, 0x01])
        let countReply = TDXFrameBuilder.reply(sequence: 0x006C_180C, command: 0x044E, body: [0x7E, 0x04])

        func newSession(_ number: Int, _ random: inout SeededGenerator) -> Session {
            Session(
                client: .benchmarkClient(number, network: 0x0A03_0000),
                server: Endpoint(address: IPAddress(ipv4: 0x0A1E_0000 | UInt32(random.int(in: 1...8))), port: 7709),
                tcp: random.initialSequenceNumbers(),
                roundsLeft: random.int(in: 100...1500))
        }

        func send(_ bytes: [UInt8], _ session: inout Session, fromClient: Bool, _ random: inout SeededGenerator) {
            bytes.withUnsafeBytes { buffer in
                if let base = buffer.baseAddress {
                    sender.transmit(base, count: buffer.count, &session, fromClient: fromClient, &random)
                }
            }
        }

        let totals = try sender.runSessions(
            count: max(1, concurrentSessions), untilFileBytes: targetBytes, &random, newSession: newSession
        ) { session, _, random in
            switch session.phase {
            case .setup(let step):
                send(setup[step], &session, fromClient: true, &random)
                send(setupReplies[step], &session, fromClient: false, &random)
                summary.otherFrames += 2
                session.phase = step < 2 ? .setup(step + 1) : .count
            case .count:
                send(count, &session, fromClient: true, &random)
                send(countReply, &session, fromClient: false, &random)
                summary.otherFrames += 2
                session.phase = .quotes
            case .quotes:
                if random.chance(0.01) {
                    send(count, &session, fromClient: true, &random)
                    send(countReply, &session, fromClient: false, &random)
                    summary.otherFrames += 2
                }
                let round = rounds[random.int(in: 0...(rounds.count - 1))]
                send(round.request, &session, fromClient: true, &random)
                send(round.reply, &session, fromClient: false, &random)
                if random.chance(0.2) { sender.control(session, fromClient: true, flags: .ack, &random) }
                summary.otherFrames += 1
                summary.quoteReplies += 1
                summary.rawQuoteBytes += round.rawBytes
                summary.compressedQuoteBytes += round.reply.count - 16
                session.roundsLeft -= 1
                if session.roundsLeft == 0 { session.stage = .closing(0) }
            }
        }
        summary.totals = totals
        return summary
    }
}
