import PacketCapture
import TestSupport

/// Writes a large market-data-heavy CTP capture for throughput measurements: many concurrent TCP
/// sessions between the market-data API and a front, each with a handshake, the link's
/// heartbeat-timeout frame, ReqUserLogin and RspUserLogin, a subscription of 5-40 instruments
/// answered one RspSubMarketData each, then a long stream of RtnDepthMarketData (DepthMarketData
/// 532 bytes, the 6.6.1+ layout, zero-run compressed as fronts send it), keep-alives now and then,
/// logout both ways and a FIN close.
///
/// Quotes leave in bursts of 1-6 frames queued per session and cut into segments of 300-1400
/// bytes wherever the size falls, so one segment packs several quotes and quotes are split across
/// segments; 1 % of segments overtake the previous one and 0.5 % are sent twice. Prices move by
/// ticks (so their doubles are as incompressible as real ones), half the instruments quote five
/// levels and the rest one (the others DBL_MAX), as in the recordings of the real library.
///
/// Nothing is allocated per quote: each instrument's packet is built once, patched in place and
/// compressed straight into the session's queue.
struct CTPBenchmarkGenerator {
    /// Stop once the file reaches this many bytes.
    var targetBytes: Int
    /// Sessions open at any time (a closed one is replaced by a new one).
    var concurrentSessions: Int
    /// The seed of everything random.
    var seed: UInt64

    /// What was written.
    struct Summary {
        var quotes = 0
        var otherFrames = 0
        var uncompressedQuoteBytes = 0
        var compressedQuoteBytes = 0
        /// The sessions, the TCP side and the file size.
        var totals = SessionBenchmarkTotals()

        /// One line for the terminal.
        func line(path: String, seconds: Double) -> String {
            let ratio = compressedQuoteBytes > 0 ? Double(uncompressedQuoteBytes) / Double(compressedQuoteBytes) : 0
            return totals.line(path: path, seconds: seconds, messages: """
                \(quotes) RtnDepthMarketData frames (compressed \(fixed(ratio, 1)):1) and \(otherFrames) other frames
                """)
        }
    }

    /// One instrument's quote: its packet (FTDC header, field header, DepthMarketData) and its moving prices.
    struct Instrument {
        var packet: [UInt8]
        var tick: Double
        var ticks: Int
        var volume: Int32
        var openInterest: Double
        var levels: Int
    }

    /// The phases of an open session.
    enum Phase {
        case clientLogin, serverLogin, subscribe, subscribed, quotes, clientLogout, serverLogout
    }

    struct Session: BenchmarkSession {
        var client: Endpoint
        var server: Endpoint
        /// Next TCP sequence number per side (0 client, 1 server).
        var tcp: (UInt32, UInt32)
        var stage = ConnectionStage.opening(0)
        var phase = Phase.clientLogin
        /// The subscribed instruments: `count` of them from `first` on (wrapping around the table).
        var first: Int
        var count: Int
        var burstsLeft: Int
        /// Queued bytes per side in the side's slab region.
        var tail: (Int, Int) = (0, 0)
    }

    private static let regionSize = 32768
    /// Offsets in an instrument's packet: 20-byte FTDC header, 4-byte field header, then the body.
    static let body = 24

    private static let products: [(String, String, Double, Int)] = [
        ("rb", "SHFE", 1, 3500), ("hc", "SHFE", 1, 3300), ("cu", "SHFE", 10, 78000), ("al", "SHFE", 5, 20500),
        ("zn", "SHFE", 5, 23000), ("au", "SHFE", 0.02, 30500), ("ag", "SHFE", 1, 7400), ("ru", "SHFE", 5, 15000),
        ("IF", "CFFEX", 0.2, 19500), ("IC", "CFFEX", 0.2, 28000), ("IH", "CFFEX", 0.2, 13000), ("T", "CFFEX", 0.005, 21200),
        ("m", "DCE", 1, 2900), ("y", "DCE", 2, 3900), ("i", "DCE", 0.5, 1600), ("p", "DCE", 2, 4000),
        ("SR", "CZCE", 1, 5600), ("CF", "CZCE", 5, 2800), ("TA", "CZCE", 2, 2900), ("MA", "CZCE", 1, 2500),
    ]

    /// The instruments: each product in three months.
    static func instruments(_ random: inout SeededGenerator) -> [Instrument] {
        var list: [Instrument] = []
        for (product, exchange, tick, price) in products {
            for month in ["2601", "2603", "2605"] {
                var quote = CTPStructs.Quote()
                quote.instrument = product + month
                quote.exchange = exchange
                let ticks = Int(Double(price) / tick)
                quote.lastPrice = Double(ticks) * tick
                quote.preSettlement = Double(ticks - 12) * tick
                quote.preClose = Double(ticks - 7) * tick
                quote.open = Double(ticks - 3) * tick
                quote.high = Double(ticks + 40) * tick
                quote.low = Double(ticks - 40) * tick
                quote.upperLimit = Double(ticks * 107 / 100) * tick
                quote.lowerLimit = Double(ticks * 93 / 100) * tick
                let packet = CTPFrameBuilder.packet(
                    version: 0x34, tid: 0xF101, fields: [CTPFrameBuilder.Field(0x0012, CTPStructs.depthMarketData(quote))])
                list.append(Instrument(
                    packet: packet, tick: tick, ticks: ticks, volume: Int32(random.int(in: 1000...90000)),
                    openInterest: Double(random.int(in: 10_000...900_000)), levels: list.count % 2 == 0 ? 5 : 1))
            }
        }
        return list
    }

    /// Moves instrument `which` one tick (its price, volume and open interest, with random
    /// order book volumes) at `time`, and writes its RtnDepthMarketData frame at `start`: the
    /// instrument's packet is patched in `scratch` (1 KiB) and zero-run compressed behind a 6-byte
    /// frame header. Returns the compressed packet's size (the frame is 6 bytes more); `room` is
    /// what is left at `start`, which must hold 6 bytes and twice the packet.
    static func writeQuote(
        _ which: Int, of instruments: inout [Instrument], time: Timestamp, _ random: inout SeededGenerator,
        scratch: UnsafeMutablePointer<UInt8>, at start: UnsafeMutablePointer<UInt8>, room: Int
    ) -> Int {
        instruments[which].ticks += random.int(in: -2...2)
        instruments[which].volume &+= Int32(random.int(in: 1...40))
        instruments[which].openInterest += Double(random.int(in: -20...20))
        let instrument = instruments[which]
        let price = Double(instrument.ticks) * instrument.tick
        instrument.packet.withUnsafeBufferPointer { template in
            scratch.update(from: template.baseAddress!, count: template.count)
        }
        let body = scratch + Self.body
        store(price, at: body + 80)
        store(UInt32(bitPattern: instrument.volume), at: body + 136)
        store(price * Double(instrument.volume) * 10, at: body + 140)
        store(instrument.openInterest, at: body + 148)
        writeTime(time.seconds, into: body + 204)
        store(UInt32(Int(time.fraction / 1_000_000) / 500 * 500), at: body + 213)
        for level in 0..<instrument.levels {
            let offset = 217 + level * 24
            store(price - Double(level + 1) * instrument.tick, at: body + offset)
            store(UInt32(random.int(in: 1...300)), at: body + offset + 8)
            store(price + Double(level + 1) * instrument.tick, at: body + offset + 12)
            store(UInt32(random.int(in: 1...300)), at: body + offset + 20)
        }
        precondition(6 + 2 * instrument.packet.count <= room, "quote queue overflow")
        let length = compress(scratch, count: instrument.packet.count, into: start + 6)
        let content = length + 2
        start[0] = 0x02
        start[1] = 0x00
        start[2] = UInt8(content >> 8)
        start[3] = UInt8(content & 0xFF)
        start[4] = 0x01
        start[5] = 0x03
        return length
    }

    /// Writes the capture to `path`.
    func write(to path: String) throws(CaptureWriteError) -> Summary {
        var random = SeededGenerator(seed: seed)
        let writer = try PcapWriter(path: path, linkType: .ethernet, nanosecond: true)
        let sender = SegmentSender(
            writer: writer, clientMAC: MACAddress(0x02_00_00_00_20_01), serverMAC: MACAddress(0x02_00_00_00_20_02),
            start: Timestamp(seconds: Recipe.epoch, nanoseconds: 0))
        var instruments = Self.instruments(&random)
        let count = max(1, concurrentSessions)
        let slab = UnsafeMutablePointer<UInt8>.allocate(capacity: count * 2 * Self.regionSize)
        defer { slab.deallocate() }
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 1024)
        defer { scratch.deallocate() }
        var summary = Summary()

        // The frames every session sends the same way (built once).
        let heartbeatTimeout = CTPFrameBuilder.heartbeatTimeout(39)
        let login = CTPFrameBuilder.message(tid: 0x3000, requestID: 1, version: 0x34, fields: [
            CTPFrameBuilder.Field(0x1002, CTPStructs.reqUserLogin(tradingDay: "19800100", broker: "", user: "", password: [])),
            CTPFrameBuilder.Field(0x1001, CTPStructs.dissemination(series: 1, sequence: 0)),
            CTPFrameBuilder.Field(0x1001, CTPStructs.dissemination(series: 4, sequence: 0)),
        ])
        let loginReply = CTPFrameBuilder.message(tid: 0x3001, requestID: 1, version: 0x34, fields: [
            CTPFrameBuilder.Field(0x0000, CTPStructs.rspInfo(0, Array("CTP:No Error".utf8))),
            CTPFrameBuilder.Field(0x1003, CTPStructs.rspUserLogin(
                tradingDay: "20260102", loginTime: "09:00:00", systemName: "MarketData", frontID: 1, sessionID: 1)),
        ])
        let logout = CTPFrameBuilder.message(tid: 0x3002, series: 1, sequence: 1, requestID: 2, version: 0x34, fields: [
            CTPFrameBuilder.Field(0x1004, CTPStructs.userLogout(broker: "", user: "")),
        ])
        let logoutReply = CTPFrameBuilder.message(tid: 0x3003, series: 1, requestID: 2, version: 0x34, fields: [
            CTPFrameBuilder.Field(0x0000, CTPStructs.rspInfo()), CTPFrameBuilder.Field(0x1004, CTPStructs.userLogout(broker: "", user: "")),
        ])
        let names = instruments.map { instrument in
            instrument.packet.withUnsafeBufferPointer { CTPFieldText.read($0, at: Self.body + 354, size: 81) }
        }

        func newSession(_ number: Int, _ random: inout SeededGenerator) -> Session {
            Session(
                client: .benchmarkClient(number, network: 0x0A02_0000),
                server: Endpoint(address: IPAddress(ipv4: 0x0AC8_0100 | UInt32(random.int(in: 1...4))), port: 41213),
                tcp: random.initialSequenceNumbers(),
                first: random.int(in: 0...(instruments.count - 1)), count: random.int(in: 5...40),
                burstsLeft: random.int(in: 200...1500))
        }

        /// Appends whole frame bytes to `side`'s queue.
        func queue(_ bytes: [UInt8], _ session: inout Session, index: Int, side: Int) {
            let region = slab + (index * 2 + side) * Self.regionSize
            let tail = side == 0 ? session.tail.0 : session.tail.1
            precondition(tail + bytes.count <= Self.regionSize, "frame queue overflow")
            bytes.withUnsafeBufferPointer { (region + tail).update(from: $0.baseAddress!, count: $0.count) }
            if side == 0 { session.tail.0 += bytes.count } else { session.tail.1 += bytes.count }
            summary.otherFrames += 1
        }

        /// Moves instrument `which` one tick and queues its RtnDepthMarketData, compressed.
        func queueQuote(_ which: Int, _ session: inout Session, index: Int, _ random: inout SeededGenerator) {
            let region = slab + (index * 2 + 1) * Self.regionSize
            let length = Self.writeQuote(
                which, of: &instruments, time: sender.time, &random, scratch: scratch, at: region + session.tail.1,
                room: Self.regionSize - session.tail.1)
            session.tail.1 += 6 + length
            summary.quotes += 1
            summary.uncompressedQuoteBytes += instruments[which].packet.count
            summary.compressedQuoteBytes += length
        }

        /// Sends every queued byte from `side`.
        func transmit(_ session: inout Session, index: Int, side: Int, _ random: inout SeededGenerator) {
            let region = UnsafeRawPointer(slab + (index * 2 + side) * Self.regionSize)
            sender.transmit(region, count: side == 0 ? session.tail.0 : session.tail.1, &session, fromClient: side == 0, &random)
            if side == 0 { session.tail.0 = 0 } else { session.tail.1 = 0 }
        }

        let totals = try sender.runSessions(
            count: count, untilFileBytes: targetBytes, &random, newSession: newSession
        ) { session, index, random in
            switch session.phase {
            case .clientLogin:
                queue(heartbeatTimeout, &session, index: index, side: 0)
                queue(login, &session, index: index, side: 0)
                transmit(&session, index: index, side: 0, &random)
                session.phase = .serverLogin
            case .serverLogin:
                queue(heartbeatTimeout, &session, index: index, side: 1)
                queue(loginReply, &session, index: index, side: 1)
                transmit(&session, index: index, side: 1, &random)
                session.phase = .subscribe
            case .subscribe:
                let fields = (0..<session.count).map { offset in
                    CTPFrameBuilder.Field(0x2441, CTPStructs.specificInstrument(names[(session.first + offset) % names.count]))
                }
                queue(CTPFrameBuilder.message(tid: 0x4401, version: 0x34, fields: fields), &session, index: index, side: 0)
                transmit(&session, index: index, side: 0, &random)
                session.phase = .subscribed
            case .subscribed:
                for offset in 0..<session.count {
                    queue(CTPFrameBuilder.message(tid: 0x4402, version: 0x34, fields: [
                        CTPFrameBuilder.Field(0x0000, CTPStructs.rspInfo()),
                        CTPFrameBuilder.Field(0x2441, CTPStructs.specificInstrument(names[(session.first + offset) % names.count])),
                    ]), &session, index: index, side: 1)
                }
                transmit(&session, index: index, side: 1, &random)
                session.phase = .quotes
            case .quotes:
                if random.chance(0.005) {
                    queue(CTPFrameBuilder.heartbeat, &session, index: index, side: 0)
                    transmit(&session, index: index, side: 0, &random)
                }
                for _ in 0..<random.int(in: 1...6) {
                    let which = (session.first + random.int(in: 0...(session.count - 1))) % instruments.count
                    queueQuote(which, &session, index: index, &random)
                }
                transmit(&session, index: index, side: 1, &random)
                if random.chance(0.2) { sender.control(session, fromClient: true, flags: .ack, &random) }
                session.burstsLeft -= 1
                if session.burstsLeft == 0 { session.phase = .clientLogout }
            case .clientLogout:
                queue(logout, &session, index: index, side: 0)
                transmit(&session, index: index, side: 0, &random)
                session.phase = .serverLogout
            case .serverLogout:
                queue(logoutReply, &session, index: index, side: 1)
                transmit(&session, index: index, side: 1, &random)
                session.stage = .closing(0)
            }
        }
        summary.totals = totals
        return summary
    }

    // MARK: - Byte helpers

    /// Zero-run compression (as `CTPFrameBuilder.compress`) from one buffer into another; returns
    /// the bytes written (at most twice `count`).
    @inline(__always)
    static func compress(_ input: UnsafePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<UInt8>) -> Int {
        var read = 0
        var written = 0
        while read < count {
            let byte = input[read]
            if byte == 0 {
                var run = 0
                while read < count && input[read] == 0 && run < 15 {
                    run += 1
                    read += 1
                }
                output[written] = 0xE0 | UInt8(run)
                written += 1
                continue
            }
            if byte & 0xF0 == 0xE0 {
                output[written] = 0xE0
                written += 1
            }
            output[written] = byte
            written += 1
            read += 1
        }
        return written
    }

    /// Stores `value` big-endian at `target`.
    @inline(__always)
    static func store(_ value: Double, at target: UnsafeMutablePointer<UInt8>) {
        UnsafeMutableRawPointer(target).storeBytes(of: value.bitPattern.bigEndian, as: UInt64.self)
    }

    /// Stores `value` big-endian at `target`.
    @inline(__always)
    static func store(_ value: UInt32, at target: UnsafeMutablePointer<UInt8>) {
        UnsafeMutableRawPointer(target).storeBytes(of: value.bigEndian, as: UInt32.self)
    }

    /// Writes `HH:MM:SS` (UTC+8, the exchanges' time) for a Unix time.
    static func writeTime(_ seconds: Int64, into target: UnsafeMutablePointer<UInt8>) {
        let second = Int((seconds + 8 * 3600) % 86_400)
        for (index, value) in [second / 3600, second / 60 % 60, second % 60].enumerated() {
            target[index * 3] = UInt8(0x30 + value / 10)
            target[index * 3 + 1] = UInt8(0x30 + value % 10)
            if index < 2 { target[index * 3 + 2] = UInt8(ascii: ":") }
        }
    }
}

/// Reads NUL-terminated text out of a packed struct.
enum CTPFieldText {
    static func read(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, size: Int) -> String {
        let slot = bytes[offset..<(offset + size)]
        return String(decoding: slot.prefix { $0 != 0 }, as: UTF8.self)
    }
}
