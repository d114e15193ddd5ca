import PacketCapture
import TestSupport

/// The CTP market-data part of the mixed benchmark: market-data sessions between consumer hosts
/// (10.41.0.0/16, authorised consumers in the benchmark's site file) and the market-data fronts
/// (10.20.1.11-14:41213), with the frames of `CTPBenchmarkGenerator`: heartbeat timeout, login,
/// a subscription of 5-40 instruments, then RtnDepthMarketData in bursts of 1-6 (zero-run
/// compressed), keep-alives now and then, logout.
final class MixedCTPMarketDataSource: MixedSessionSource {
    let name = "CTP market data"
    let kind = MixedKind.ctp
    let share: Double
    private(set) var flows = 0
    private(set) var messages = 0
    /// RtnDepthMarketData frames written.
    private(set) var quotes = 0

    private typealias Generator = CTPBenchmarkGenerator

    /// The phases of an open session.
    enum Phase {
        case clientLogin, serverLogin, subscribe, subscribed, quotes, serverLogout
    }

    struct Session: BenchmarkSession {
        var client = Endpoint(address: IPAddress(ipv4: 0), port: 0)
        var server = Endpoint(address: IPAddress(ipv4: 0), port: 0)
        var tcp: (UInt32, UInt32) = (0, 0)
        var stage = ConnectionStage.opening(0)
        var phase = Phase.clientLogin
        var first = 0
        var count = 0
        var burstsLeft = 0
        var generation = 0
    }

    private static let regionSize = 32768
    private var instruments: [CTPBenchmarkGenerator.Instrument]
    private let names: [String]
    var sessions: [Session]
    var live: LiveSlots
    var draining = false
    private let slab: UnsafeMutablePointer<UInt8>
    private let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 1024)
    private var tail = 0
    private let heartbeatTimeout = CTPFrameBuilder.heartbeatTimeout(39)
    private let login = CTPFrameBuilder.message(tid: 0x3000, requestID: 1, version: 0x34, fields: [
        CTPFrameBuilder.Field(0x1002, CTPStructs.reqUserLogin(tradingDay: "19800100", broker: "", user: "", password: [])),
        CTPFrameBuilder.Field(0x1001, CTPStructs.dissemination(series: 1, sequence: 0)),
        CTPFrameBuilder.Field(0x1001, CTPStructs.dissemination(series: 4, sequence: 0)),
    ])
    private let loginReply = CTPFrameBuilder.message(tid: 0x3001, requestID: 1, version: 0x34, fields: [
        CTPFrameBuilder.Field(0x0000, CTPStructs.rspInfo(0, Array("CTP:No Error".utf8))),
        CTPFrameBuilder.Field(0x1003, CTPStructs.rspUserLogin(
            tradingDay: "20260102", loginTime: "09:00:00", systemName: "MarketData", frontID: 1, sessionID: 1)),
    ])
    private let logout = CTPFrameBuilder.message(tid: 0x3002, series: 1, sequence: 1, requestID: 2, version: 0x34, fields: [
        CTPFrameBuilder.Field(0x1004, CTPStructs.userLogout(broker: "", user: "")),
    ])
    private let logoutReply = CTPFrameBuilder.message(tid: 0x3003, series: 1, requestID: 2, version: 0x34, fields: [
        CTPFrameBuilder.Field(0x0000, CTPStructs.rspInfo()), CTPFrameBuilder.Field(0x1004, CTPStructs.userLogout(broker: "", user: "")),
    ])

    /// `slots` concurrent sessions taking `share` of the bytes.
    init(slots: Int, share: Double, _ wire: MixedWire) {
        self.share = share
        instruments = Generator.instruments(&wire.random)
        names = instruments.map { instrument in
            instrument.packet.withUnsafeBufferPointer { CTPFieldText.read($0, at: Generator.body + 354, size: 81) }
        }
        let count = max(1, min(slots, 16_000))
        sessions = [Session](repeating: Session(), count: count)
        live = LiveSlots(count: count)
        slab = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.regionSize)
        for index in 0..<count { start(index, wire) }
    }

    deinit {
        slab.deallocate()
        scratch.deallocate()
    }

    func start(_ index: Int, _ wire: MixedWire) {
        let generation = sessions[index].generation + 1
        let host = index * 2 + generation % 2
        sessions[index] = Session(
            client: Endpoint(address: IPAddress(ipv4: 0x0A29_0000 &+ UInt32(host + 1)), port: UInt16(30_000 + generation % 30_000)),
            server: Endpoint(address: IPAddress(ipv4: 0x0A14_0100 | UInt32(11 + host % 4)), port: 41213),
            tcp: wire.random.initialSequenceNumbers(),
            first: wire.random.int(in: 0...(instruments.count - 1)), count: wire.random.int(in: 5...40),
            burstsLeft: wire.random.int(in: 200...1500), generation: generation)
        flows += 1
    }

    func talk(_ session: inout Session, index: Int, _ wire: MixedWire) {
        switch session.phase {
        case .clientLogin:
            queue(heartbeatTimeout)
            queue(login)
            send(&session, fromClient: true, wire)
            session.phase = .serverLogin
        case .serverLogin:
            queue(heartbeatTimeout)
            queue(loginReply)
            send(&session, fromClient: false, wire)
            session.phase = .subscribe
        case .subscribe:
            let fields = (0..<session.count).map { offset in
                CTPFrameBuilder.Field(0x2441, CTPStructs.specificInstrument(names[(session.first + offset) % names.count]))
            }
            queue(CTPFrameBuilder.message(tid: 0x4401, version: 0x34, fields: fields))
            send(&session, fromClient: true, wire)
            session.phase = .subscribed
        case .subscribed:
            for offset in 0..<session.count {
                queue(CTPFrameBuilder.message(tid: 0x4402, version: 0x34, fields: [
                    CTPFrameBuilder.Field(0x0000, CTPStructs.rspInfo()),
                    CTPFrameBuilder.Field(0x2441, CTPStructs.specificInstrument(names[(session.first + offset) % names.count])),
                ]))
            }
            send(&session, fromClient: false, wire)
            session.phase = .quotes
        case .quotes:
            if draining || session.burstsLeft == 0 {
                queue(logout)
                send(&session, fromClient: true, wire)
                session.phase = .serverLogout
                break
            }
            if wire.random.chance(0.005) {
                queue(CTPFrameBuilder.heartbeat)
                send(&session, fromClient: true, wire)
            }
            for _ in 0..<wire.random.int(in: 1...6) {
                queueQuote((session.first + wire.random.int(in: 0...(session.count - 1))) % instruments.count, wire)
            }
            send(&session, fromClient: false, wire)
            if wire.random.chance(0.2) { wire.control(session, fromClient: true, flags: .ack) }
            session.burstsLeft -= 1
        case .serverLogout:
            queue(logoutReply)
            send(&session, fromClient: false, wire)
            session.stage = .closing(0)
        }
    }

    /// Appends whole frame bytes to the queue (one queue: a step sends it before the next).
    private func queue(_ bytes: [UInt8]) {
        precondition(tail + bytes.count <= Self.regionSize, "frame queue overflow")
        bytes.withUnsafeBufferPointer { (slab + tail).update(from: $0.baseAddress!, count: $0.count) }
        tail += bytes.count
        messages += 1
    }

    /// Moves instrument `which` one tick and queues its RtnDepthMarketData, compressed
    /// (`CTPBenchmarkGenerator.writeQuote`).
    private func queueQuote(_ which: Int, _ wire: MixedWire) {
        let length = Generator.writeQuote(
            which, of: &instruments, time: wire.time, &wire.random, scratch: scratch, at: slab + tail,
            room: Self.regionSize - tail)
        tail += 6 + length
        messages += 1
        quotes += 1
    }

    private func send(_ session: inout Session, fromClient: Bool, _ wire: MixedWire) {
        wire.transmit(UnsafeRawPointer(slab), count: tail, &session, fromClient: fromClient)
        tail = 0
    }
}

/// The CTP trading part of the mixed benchmark: direct trading sessions between client hosts
/// (10.41.128.0/17) and the trading fronts (10.20.1.1-2:41205): heartbeat timeout,
/// ReqAuthenticate answered with AppType 1 (direct), ReqUserLogin and RspUserLogin, orders
/// (ReqOrderInsert, 1-3 at a time) each answered by a fill (RtnTrade), keep-alives, logout.
///
/// Built to raise no alert of its own: slot `i` serves users `4i`…`4i+3` in turn, one session at
/// a time; each user trades only for its own account (InvestorID = UserID), always from its host,
/// two users per host, each host with its own AppID (`quant_<host>_1.0`, listed as licensed in
/// the benchmark's site file); a slot sends at most three orders in any 1.1 s.
final class MixedCTPTradingSource: MixedSessionSource {
    let name = "CTP trading"
    let kind = MixedKind.ctp
    let share: Double
    private(set) var flows = 0
    private(set) var messages = 0
    /// Orders sent.
    private(set) var orders = 0

    private typealias F = CTPFrameBuilder.Field

    /// The phases of an open session.
    enum Phase {
        case authenticate, authenticated, login, loggedIn, orders, fills, serverLogout
    }

    struct Session: PacedOrderSession {
        var client = Endpoint(address: IPAddress(ipv4: 0), port: 0)
        var server = Endpoint(address: IPAddress(ipv4: 0), port: 0)
        var tcp: (UInt32, UInt32) = (0, 0)
        var stage = ConnectionStage.opening(0)
        var phase = Phase.authenticate
        var user = 0
        var ordersLeft = 0
        var sent = 0
        var openOrders = 0
        var generation = 0
        var notBefore: Int64 = 0

        var ordersNext: Bool {
            guard case .orders = phase else { return false }
            return true
        }
        var requestID: UInt32 = 0
        var tradeSequence: UInt32 = 0
    }

    private static let orderSpacing: Int64 = 1_100_000_000
    private static let instruments = ["rb2601", "hc2601", "cu2603", "au2602", "ag2602", "m2605", "i2605", "TA601", "SR601", "IF2601"]
    private static let exchanges = ["SHFE", "SHFE", "SHFE", "SHFE", "SHFE", "DCE", "DCE", "CZCE", "CZCE", "CFFEX"]
    private static let prices: [Double] = [3500, 3300, 78000, 610, 7400, 2900, 780, 4700, 5600, 3950]
    var sessions: [Session]
    var live: LiveSlots
    var draining = false
    private var pending: [CTPStructs.Order]
    private var tradeCounter = 0

    /// `slots` concurrent sessions taking `share` of the bytes.
    init(slots: Int, share: Double, _ wire: MixedWire) {
        self.share = share
        let count = max(1, min(slots, 8_000))
        sessions = [Session](repeating: Session(), count: count)
        live = LiveSlots(count: count)
        pending = [CTPStructs.Order](repeating: CTPStructs.Order(), count: count * 3)
        for index in 0..<count { start(index, wire) }
    }

    /// The number of client hosts (two users each).
    var hosts: Int { sessions.count * 2 }

    /// The AppID of host `host`.
    static func appID(host: Int) -> String { "quant_\(host)_1.0" }

    /// The address of host `host` (10.41.128.1 on).
    static func address(host: Int) -> IPAddress { IPAddress(ipv4: 0x0A29_8000 &+ UInt32(host + 1)) }

    private static func userID(_ user: Int) -> String { String(80_000_000 + user) }

    func start(_ index: Int, _ wire: MixedWire) {
        let previous = sessions[index]
        let generation = previous.generation + 1
        let user = index * 4 + generation % 4
        sessions[index] = Session(
            client: Endpoint(address: Self.address(host: user / 2), port: UInt16(30_000 + generation % 30_000)),
            server: Endpoint(address: IPAddress(ipv4: 0x0A14_0100 | UInt32(1 + user % 2)), port: 41205),
            tcp: wire.random.initialSequenceNumbers(),
            user: user, ordersLeft: wire.random.int(in: 3...40), generation: generation, notBefore: previous.notBefore)
        flows += 1
    }

    /// A random open slot, passing over a session whose next orders would come within 1.1 s of
    /// its last (`pickReadySlot`); after eight such picks in a row the last one sends a keep-alive.
    func pickSlot(_ wire: MixedWire) -> Int? {
        pickReadySlot(wire) { index in
            send(CTPFrameBuilder.heartbeat, &sessions[index], fromClient: true, wire)
        }
    }

    func talk(_ session: inout Session, index: Int, _ wire: MixedWire) {
        let user = Self.userID(session.user)
        let host = session.user / 2
        switch session.phase {
        case .authenticate:
            let request = CTPFrameBuilder.message(tid: 0x3010, series: 1, requestID: 1, version: 0x34, fields: [
                F(0x1012, CTPStructs.authenticationInfo(
                    broker: "9999", user: user, product: "quant", authInfo: [], appID: Self.appID(host: host), appType: "4")),
            ])
            send(CTPFrameBuilder.heartbeatTimeout(39) + request, &session, fromClient: true, wire, frames: 2)
            session.phase = .authenticated
        case .authenticated:
            let reply = CTPFrameBuilder.message(tid: 0x3011, series: 1, requestID: 1, fields: [
                F(0x0000, CTPStructs.rspInfo(0, Array("CTP:No Error".utf8))),
                F(0x1012, CTPStructs.authenticationInfo(
                    broker: "9999", user: user, product: "quant", authInfo: [], appID: Self.appID(host: host), appType: "1",
                    isResult: 1)),
            ])
            send(CTPFrameBuilder.heartbeatTimeout(39) + reply, &session, fromClient: false, wire, frames: 2)
            session.phase = .login
        case .login:
            send(CTPFrameBuilder.message(tid: 0x3000, requestID: 2, version: 0x34, fields: [
                F(0x1002, CTPStructs.reqUserLogin(
                    broker: "9999", user: user, password: Array("pw\(session.user)".utf8), product: "quant",
                    mac: "02:42:ac:29:00:01", clientIP: session.client.address.description)),
                F(0x1001, CTPStructs.dissemination(series: 1, sequence: 0)),
                F(0x1001, CTPStructs.dissemination(series: 2, sequence: -1)),
                F(0x1001, CTPStructs.dissemination(series: 3, sequence: -1)),
                F(0x1001, CTPStructs.dissemination(series: 4, sequence: 0)),
            ]), &session, fromClient: true, wire)
            session.phase = .loggedIn
        case .loggedIn:
            send(CTPFrameBuilder.message(tid: 0x3001, requestID: 2, fields: [
                F(0x0000, CTPStructs.rspInfo(0, Array("CTP:No Error".utf8))),
                F(0x1003, CTPStructs.rspUserLogin(
                    tradingDay: "20260102", loginTime: "09:00:01", broker: "9999", user: user, systemName: "TradingHosting",
                    frontID: 1, sessionID: Int32(truncatingIfNeeded: session.generation), maxOrderRef: "1")),
            ]), &session, fromClient: false, wire)
            session.requestID = 3
            session.phase = .orders
        case .orders:
            if draining || session.ordersLeft == 0 {
                send(CTPFrameBuilder.message(tid: 0x3002, requestID: session.requestID, version: 0x34, fields: [
                    F(0x1004, CTPStructs.userLogout(broker: "9999", user: user)),
                ]), &session, fromClient: true, wire)
                session.phase = .serverLogout
                break
            }
            if wire.random.chance(0.05) { send(CTPFrameBuilder.heartbeat, &session, fromClient: true, wire) }
            let batch = min(session.ordersLeft, wire.random.int(in: 1...3))
            var bytes: [UInt8] = []
            for slot in 0..<batch {
                let which = wire.random.int(in: 0...(Self.instruments.count - 1))
                var order = CTPStructs.Order()
                order.investor = user
                order.user = user
                order.instrument = Self.instruments[which]
                order.exchange = Self.exchanges[which]
                session.sent += 1
                order.orderRef = String(session.sent)
                order.direction = wire.random.chance(0.5) ? "0" : "1"
                order.price = Self.prices[which] + Double(wire.random.int(in: -20...20))
                order.volume = Int32(wire.random.int(in: 1...20))
                order.ip = session.client.address.description
                order.mac = "02:42:ac:29:00:01"
                pending[index * 3 + slot] = order
                bytes += CTPFrameBuilder.message(
                    tid: 0x4000, series: 1, sequence: UInt32(session.sent), requestID: session.requestID, version: 0x34,
                    fields: [F(0x0400, CTPStructs.inputOrder(order))])
                session.requestID += 1
            }
            orders += batch
            session.openOrders = batch
            session.ordersLeft -= batch
            session.notBefore = wire.time.nanoseconds + Self.orderSpacing
            send(bytes, &session, fromClient: true, wire, frames: batch)
            session.phase = .fills
        case .fills:
            var bytes: [UInt8] = []
            for slot in 0..<session.openOrders {
                let order = pending[index * 3 + slot]
                tradeCounter += 1
                session.tradeSequence += 1
                bytes += CTPFrameBuilder.message(tid: 0xF002, series: 2, sequence: session.tradeSequence, fields: [
                    F(0x0409, CTPStructs.trade(
                        order, tradeID: String(tradeCounter), orderSysID: String(1_000_000 + tradeCounter),
                        price: order.price ?? 0, volume: order.volume, time: "09:30:00")),
                ])
            }
            send(bytes, &session, fromClient: false, wire, frames: session.openOrders)
            session.openOrders = 0
            if wire.random.chance(0.5) { wire.control(session, fromClient: true, flags: .ack) }
            session.phase = .orders
        case .serverLogout:
            send(CTPFrameBuilder.message(tid: 0x3003, requestID: session.requestID, fields: [
                F(0x0000, CTPStructs.rspInfo()), F(0x1004, CTPStructs.userLogout(broker: "9999", user: user)),
            ]), &session, fromClient: false, wire)
            session.stage = .closing(0)
        }
    }

    private func send(_ bytes: [UInt8], _ session: inout Session, fromClient: Bool, _ wire: MixedWire, frames: Int = 1) {
        wire.transmit(bytes, &session, fromClient: fromClient)
        messages += frames
    }
}
