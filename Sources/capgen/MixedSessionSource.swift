import PacketCapture
import TestSupport

/// A mixed source made of TCP sessions kept in fixed slots (FIX, CTP, TDX, TCP noise): the
/// session in a slot opens, carries the source's protocol, closes, and is followed by a new one
/// in the same slot, until the source drains and the slot stays empty.
///
/// The source writes only its protocol's phases (`talk`) and how a slot's session starts; the
/// handshake, the close and the slot bookkeeping are the `step` of this extension.
protocol MixedSessionSource: MixedSource {
    associatedtype Session: BenchmarkSession
    /// The sessions, one a slot.
    var sessions: [Session] { get set }
    /// The slots still open.
    var live: LiveSlots { get set }
    /// True once the source winds down: a closed session's slot stays empty.
    var draining: Bool { get set }
    /// True when the server sends the first FIN of a close, false when the client does.
    var serverCloses: Bool { get }
    /// Puts a new session in slot `index` and counts its flow.
    func start(_ index: Int, _ wire: MixedWire)
    /// The slot whose session takes this step, or nil when the step has written what it writes
    /// already (the default: a random open slot).
    func pickSlot(_ wire: MixedWire) -> Int?
    /// One step of the protocol of `session`, open, in slot `index`: it sets the session's
    /// stage to `closing(0)` when the session is done.
    func talk(_ session: inout Session, index: Int, _ wire: MixedWire)
}

extension MixedSessionSource {
    var serverCloses: Bool { false }

    func pickSlot(_ wire: MixedWire) -> Int? { live.pick(&wire.random) }

    func drain() { draining = true }

    var finished: Bool { live.isEmpty }

    func step(_ wire: MixedWire) {
        guard !live.isEmpty, let index = pickSlot(wire) else { return }
        var session = sessions[index]
        switch session.stage {
        case .opening(let step):
            wire.open(&session, step: step)
            session.stage = step < 2 ? .opening(step + 1) : .open
        case .open:
            talk(&session, index: index, wire)
        case .closing(let step):
            wire.close(&session, step: step, serverFirst: serverCloses)
            if step < 2 {
                session.stage = .closing(step + 1)
            } else if draining {
                live.remove(index)
            } else {
                sessions[index] = session
                start(index, wire)
                return
            }
        }
        sessions[index] = session
    }
}

/// A session of the mixed benchmark whose orders are paced (FIX and CTP trading): it sends no
/// orders before its `notBefore`, which each batch of orders moves on.
protocol PacedOrderSession: BenchmarkSession {
    /// True when the session's next phase sends orders.
    var ordersNext: Bool { get }
    /// No orders before this time (nanoseconds).
    var notBefore: Int64 { get }
}

extension MixedSessionSource where Session: PacedOrderSession {
    /// A random open slot, passing over a session whose next orders would come before its
    /// `notBefore` while the source is not draining; after eight such picks in a row there is
    /// none: `whileWaiting` gets the last slot picked (to send a keep-alive) and the step ends.
    func pickReadySlot(_ wire: MixedWire, whileWaiting: (Int) -> Void) -> Int? {
        var index = live.pick(&wire.random)
        var attempts = 0
        while sessions[index].ordersNext, !draining, wire.time.nanoseconds < sessions[index].notBefore {
            attempts += 1
            if attempts == 8 {
                whileWaiting(index)
                return nil
            }
            index = live.pick(&wire.random)
        }
        return index
    }
}
