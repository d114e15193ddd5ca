import PacketCapture
import TestSupport

/// The FIX part of the mixed benchmark: FIX.4.4 order flow between client hosts and the broker's
/// gateways (10.20.2.1-8:9878), with the messages of `FIXBenchmarkGenerator` (Logon, NewOrderSingle
/// answered by New and Fill ExecutionReports, Heartbeat, Logout).
///
/// Built to raise no alert of its own: slot `i` serves hosts `4i`…`4i+3` in turn (10.40.0.0/16,
/// SenderCompID `CL<host>`), one session at a time, and each host trades for its two accounts
/// only (so no session has three accounts and no host five); a slot sends at most four orders
/// in any 1.1 s (no order bursts). A slot picked before that waits, or sends a Heartbeat when
/// several picks in a row find nothing to send.
final class MixedFIXSource: MixedSessionSource {
    let name = "FIX orders"
    let kind = MixedKind.fix
    let share: Double
    private(set) var flows = 0
    private(set) var messages = 0
    /// Heartbeats sent because no session was ready for orders.
    private(set) var idleHeartbeats = 0
    /// Orders sent.
    private(set) var orders = 0

    private typealias Generator = FIXBenchmarkGenerator

    /// The phases of an open session.
    enum Phase {
        case clientLogon, serverLogon, orders, reports, serverLogout
    }

    struct Session: PacedOrderSession, FIXQueuedSession {
        var client = Endpoint(address: IPAddress(ipv4: 0), port: 0)
        var server = Endpoint(address: IPAddress(ipv4: 0), port: 0)
        var tcp: (UInt32, UInt32) = (0, 0)
        var fix: (Int, Int) = (1, 1)
        var stage = ConnectionStage.opening(0)
        var phase = Phase.clientLogon
        /// The client host's number, in its CompID (`CL<host>`).
        var clientNumber = 0
        var gatewayNumber = 0
        var account = 0
        var ordersLeft = 0
        var openOrders = 0
        var tail: (Int, Int) = (0, 0)
        /// Sessions this slot has had.
        var generation = 0
        /// No orders before this time (nanoseconds).
        var notBefore: Int64 = 0

        var ordersNext: Bool {
            guard case .orders = phase else { return false }
            return true
        }
    }

    private static let ordersPerBatch = 4
    private static let orderSpacing: Int64 = 1_100_000_000
    var sessions: [Session]
    var live: LiveSlots
    var draining = false
    private let queues: FIXMessageQueues
    private var pending: [Generator.Order]
    private var counters = (clOrdID: 0, orderID: 0)

    /// `slots` concurrent sessions taking `share` of the bytes.
    init(slots: Int, share: Double, _ wire: MixedWire) {
        self.share = share
        let count = max(1, min(slots, 16_000))
        sessions = [Session](repeating: Session(), count: count)
        live = LiveSlots(count: count)
        queues = FIXMessageQueues(slots: count)
        pending = [Generator.Order](repeating: Generator.Order(), count: count * Self.ordersPerBatch)
        for index in 0..<count { start(index, wire) }
    }

    /// The number of client hosts (10.40.0.1 on).
    var hosts: Int { sessions.count * 4 }

    func start(_ index: Int, _ wire: MixedWire) {
        var session = sessions[index]
        let generation = session.generation + 1
        let host = index * 4 + generation % 4
        session = Session(
            client: Endpoint(address: IPAddress(ipv4: 0x0A28_0000 &+ UInt32(host + 1)), port: UInt16(30_000 + generation % 30_000)),
            server: Endpoint(address: IPAddress(ipv4: 0x0A14_0200 | UInt32(host % 8 + 1)), port: 9878),
            tcp: wire.random.initialSequenceNumbers(),
            clientNumber: host, gatewayNumber: host % 8 + 1, account: 100_000 + host * 2 + wire.random.int(in: 0...1),
            ordersLeft: wire.random.int(in: 5...60), generation: generation, notBefore: session.notBefore)
        sessions[index] = session
        flows += 1
    }

    /// A random open slot, passing over a session whose next orders would come within 1.1 s of
    /// its last (`pickReadySlot`); after eight such picks in a row the last one sends a Heartbeat.
    func pickSlot(_ wire: MixedWire) -> Int? {
        pickReadySlot(wire) { index in
            queue(.heartbeat, &sessions[index], index: index, side: 0, order: Generator.Order(), wire)
            transmit(&sessions[index], index: index, side: 0, wire)
            idleHeartbeats += 1
        }
    }

    func talk(_ session: inout Session, index: Int, _ wire: MixedWire) {
        let none = Generator.Order()
        switch session.phase {
        case .clientLogon:
            queue(.logon, &session, index: index, side: 0, order: none, wire)
            transmit(&session, index: index, side: 0, wire)
            session.phase = .serverLogon
        case .serverLogon:
            queue(.logon, &session, index: index, side: 1, order: none, wire)
            transmit(&session, index: index, side: 1, wire)
            session.phase = .orders
        case .orders:
            if draining || session.ordersLeft == 0 {
                queue(.logout, &session, index: index, side: 0, order: none, wire)
                transmit(&session, index: index, side: 0, wire)
                session.phase = .serverLogout
                break
            }
            if wire.random.chance(0.03) { queue(.heartbeat, &session, index: index, side: 0, order: none, wire) }
            let batch = min(session.ordersLeft, wire.random.int(in: 1...Self.ordersPerBatch))
            for slot in 0..<batch {
                counters.clOrdID += 1
                let order = Generator.Order(
                    clOrdID: counters.clOrdID, orderID: 0, symbol: wire.random.int(in: 0...(Generator.symbols.count - 1)),
                    side: wire.random.int(in: 0...1), quantity: wire.random.int(in: 1...50) * 100,
                    price: wire.random.int(in: 10_000...99_999))
                pending[index * Self.ordersPerBatch + slot] = order
                queue(.newOrder, &session, index: index, side: 0, order: order, wire)
            }
            orders += batch
            session.openOrders = batch
            session.ordersLeft -= batch
            session.notBefore = wire.time.nanoseconds + Self.orderSpacing
            transmit(&session, index: index, side: 0, wire)
            session.phase = .reports
        case .reports:
            if wire.random.chance(0.03) { queue(.heartbeat, &session, index: index, side: 1, order: none, wire) }
            for slot in 0..<session.openOrders {
                counters.orderID += 1
                pending[index * Self.ordersPerBatch + slot].orderID = counters.orderID
                let order = pending[index * Self.ordersPerBatch + slot]
                queue(.executionNew, &session, index: index, side: 1, order: order, wire)
                queue(.executionFill, &session, index: index, side: 1, order: order, wire)
            }
            session.openOrders = 0
            transmit(&session, index: index, side: 1, wire)
            if wire.random.chance(0.5) { wire.control(session, fromClient: true, flags: .ack) }
            session.phase = .orders
        case .serverLogout:
            queue(.logout, &session, index: index, side: 1, order: none, wire)
            transmit(&session, index: index, side: 1, wire)
            session.stage = .closing(0)
        }
    }

    /// Appends one message from `side` of session `index` to its queue.
    private func queue(
        _ kind: Generator.Kind, _ session: inout Session, index: Int, side: Int, order: Generator.Order, _ wire: MixedWire
    ) {
        queues.append(kind, &session, index: index, side: side, order: order, time: wire.time)
        messages += 1
    }

    private func transmit(_ session: inout Session, index: Int, side: Int, _ wire: MixedWire) {
        queues.flush(&session, index: index, side: side) { start, count, session in
            wire.transmit(start, count: count, &session, fromClient: side == 0)
        }
    }
}
