import FlowTracking
import PacketCapture

/// The protocol decoders of a run and how much of a stream they may look at before giving up.
package struct ProtocolDetector: Sendable {
    /// The decoders, probed in this order.
    package var decoders: [any ProtocolDecoder]
    /// Bytes of each direction kept for probing; past this with no match in either direction the
    /// flow is left undecoded (and costs nothing more).
    package var probeLimit: Int

    /// A detector over `decoders`.
    package init(decoders: [any ProtocolDecoder], probeLimit: Int = 4096) {
        self.decoders = decoders
        self.probeLimit = probeLimit
    }

    /// Every decoder's service ports (to orient flows picked up mid-stream).
    package var servicePorts: [UInt16] { decoders.flatMap(\.servicePorts) }
}

/// One flow's application layer: probes the first bytes against the decoders, then feeds the
/// chosen decoder's session — first with everything it held back while probing, in arrival order,
/// then with each new chunk as it comes.
///
/// While probing, each direction's bytes are kept in one buffer (the probe looks at it from the
/// last gap on), and a log records the order in which chunks, gaps and ends arrived, so that the
/// replay is exact without a copy per chunk.
package final class AppLayerFlow: StreamReceiver {
    private enum State {
        case probing
        case decoding(any DecoderSession)
        case undecided
        /// Both streams ended: the session is released while the flow lingers in the table.
        case finished
    }

    private enum Held {
        case data(count: Int, Direction, Timestamp)
        case gap(UInt64, Direction, Timestamp)
        case end(Direction, Timestamp)
    }

    /// The flow this layer belongs to.
    package let flow: FlowInfo
    /// The name of the decoder that matched, once one has.
    package private(set) var protocolName: String?
    private let detector: ProtocolDetector
    private let events: any EventSink
    private var state = State.probing
    /// The session while decoding, as its address and type (`state` owns it): the per-chunk
    /// call then costs no retain and release of an object that is usually out of cache.
    private var sessionAddress: UnsafeRawPointer?
    private var sessionType: (any DecoderSession.Type)?
    private var held: [Held] = []
    private var buffers = PerDirection<[UInt8]>([])
    private var probeStart = PerDirection(0)
    private var ruledOut = PerDirection<[Bool]>([])
    private var ended = PerDirection(false)

    /// A layer for `flow` that probes with `detector` and sends events to `events`.
    package init(flow: FlowInfo, detector: ProtocolDetector, events: any EventSink) {
        self.flow = flow
        self.detector = detector
        self.events = events
        self.ruledOut = PerDirection([Bool](repeating: false, count: detector.decoders.count))
    }

    package func streamData(_ bytes: UnsafeRawBufferPointer, direction: Direction, time: Timestamp) -> Bool {
        switch state {
        case .decoding:
            // Called through the address: binding the case's payload would retain the session.
            if let sessionAddress, let sessionType {
                sessionType.deliver(bytes.bytes, direction: direction, time: time, to: sessionAddress)
            }
            return true
        case .undecided, .finished:
            return false
        case .probing:
            if held.isEmpty, bytes.count <= detector.probeLimit {
                // The flow's first chunk is probed where it lies: the usual case, it already tells,
                // and the session starts without a copy held. Otherwise it is held, and what the
                // decoders said of it stands (it is not probed again).
                let (decoder, undecided) = offer(bytes, direction: direction, final: false)
                if let decoder {
                    start(decoder)
                    if case .decoding(let session) = state { session.data(bytes.bytes, direction: direction, time: time) }
                    return true
                }
                buffers[direction].append(contentsOf: bytes)
                held.append(.data(count: bytes.count, direction, time))
                if !undecided { directionSaidNo(direction) }
                if case .undecided = state { return false }
                return true
            }
            let room = detector.probeLimit - (buffers[direction].count - probeStart[direction])
            let kept = min(bytes.count, max(room, 0))
            if kept > 0 {
                buffers[direction].append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[..<kept]))
                held.append(.data(count: kept, direction, time))
            }
            // When the probe window of this direction is full, decide with what it holds.
            probe(direction, final: kept < bytes.count)
            if case .probing = state, kept < bytes.count { giveUp() }
            if case .decoding(let session) = state, kept < bytes.count {
                let rest = UnsafeRawBufferPointer(rebasing: bytes[kept...])
                session.data(rest.bytes, direction: direction, time: time)
            }
            if case .undecided = state { return false }
            return true
        }
    }

    package func streamGap(length: UInt64, direction: Direction, time: Timestamp) {
        switch state {
        case .decoding(let session):
            session.gap(length: length, direction: direction, time: time)
        case .undecided, .finished:
            return
        case .probing:
            held.append(.gap(length, direction, time))
            // Probe afresh from after the hole: bytes either side of it are not contiguous.
            probeStart[direction] = buffers[direction].count
            ruledOut[direction] = [Bool](repeating: false, count: detector.decoders.count)
        }
    }

    package func streamEnd(direction: Direction, time: Timestamp) {
        ended[direction] = true
        switch state {
        case .decoding(let session):
            session.end(direction: direction, time: time)
            if ended.toServer && ended.toClient {
                sessionAddress = nil
                sessionType = nil
                state = .finished
            }
        case .undecided, .finished:
            return
        case .probing:
            held.append(.end(direction, time))
            if ended.toServer && ended.toClient { giveUp() }
        }
    }

    package func datagram(_ bytes: UnsafeRawBufferPointer, direction: Direction, time: Timestamp) {}

    /// The decoding session, once there is one.
    package var forwardingAddress: UnsafeRawPointer? { sessionAddress }

    package func flowEnded(summary: FlowSummary, reason: FlowEndReason, time: Timestamp) {
        if case .probing = state { giveUp() }
    }

    /// Offers the direction's bytes (from its last gap) to every decoder not yet ruled out.
    /// `final`: no more bytes will be held for this direction, so "need more" counts as "no".
    private func probe(_ direction: Direction, final: Bool) {
        let from = probeStart[direction]
        let (decoder, undecided) = buffers[direction].withUnsafeBytes { all in
            offer(UnsafeRawBufferPointer(rebasing: all[from...]), direction: direction, final: final)
        }
        if let decoder {
            start(decoder)
        } else if !undecided {
            directionSaidNo(direction)
        }
    }

    /// Offers `bytes` to the decoders not yet ruled out for `direction`, in probe order, ruling
    /// out those that say no ("need more" too when `final`): the first that matches, if one
    /// does, and whether any decoder still needs more bytes to tell.
    private func offer(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, final: Bool
    ) -> (match: (any ProtocolDecoder)?, undecided: Bool) {
        var undecided = false
        for (index, decoder) in detector.decoders.enumerated() where !ruledOut[direction][index] {
            switch decoder.probe(bytes.bytes, direction: direction) {
            case .match:
                return (decoder, undecided)
            case .noMatch:
                ruledOut[direction][index] = true
            case .needMoreData:
                if final { ruledOut[direction][index] = true } else { undecided = true }
            }
        }
        return (nil, undecided)
    }

    /// Every decoder said no to `direction`: the flow is undecided once the other direction has
    /// said no too, or ended.
    private func directionSaidNo(_ direction: Direction) {
        let other = direction.reversed
        if ruledOut[other].allSatisfy({ $0 }) || ended[other] { giveUp() }
    }

    private func start(_ decoder: any ProtocolDecoder) {
        let session = decoder.makeSession(flow: flow, events: events)
        protocolName = decoder.name
        state = .decoding(session)
        sessionAddress = UnsafeRawPointer(Unmanaged.passUnretained(session as AnyObject).toOpaque())
        sessionType = type(of: session)
        let replay = held
        let data = buffers
        held = []
        buffers = PerDirection([])
        var offsets = PerDirection(0)
        for item in replay {
            switch item {
            case let .data(count, direction, time):
                let from = offsets[direction]
                offsets[direction] += count
                data[direction].withUnsafeBytes { all in
                    session.data(UnsafeRawBufferPointer(rebasing: all[from..<(from + count)]).bytes, direction: direction, time: time)
                }
            case let .gap(length, direction, time):
                session.gap(length: length, direction: direction, time: time)
            case let .end(direction, time):
                session.end(direction: direction, time: time)
            }
        }
    }

    private func giveUp() {
        // A decoder may still take the flow by its ports (an opaque channel); it gets what was held.
        if case .probing = state, let claimant = detector.decoders.first(where: { $0.claimsUnrecognised(flow) }) {
            start(claimant)
            return
        }
        sessionAddress = nil
        sessionType = nil
        state = .undecided
        held = []
        buffers = PerDirection([])
    }
}
