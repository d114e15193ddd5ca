import FlowTracking
import PacketCapture

/// The protocol decoders of a run and how much of a stream they may look at before giving up.
package struct ProtocolDetector: Sendable {
    /// The decoders, probed in this order.
    package var decoders: [any ProtocolDecoder]
    /// Bytes of each direction kept for probing; past this with no match, the flow is left undecoded.
    package var probeLimit: Int

    /// A detector over `decoders`.
    package init(decoders: [any ProtocolDecoder], probeLimit: Int = 8192) {
        self.decoders = decoders
        self.probeLimit = probeLimit
    }

    /// Every decoder's service ports (to orient flows picked up mid-stream).
    package var servicePorts: [UInt16] { decoders.flatMap(\.servicePorts) }
}

/// One flow's application layer: probes the first bytes against the decoders, then feeds the
/// chosen decoder's session — first with everything it held back while probing, in arrival order,
/// then with each new chunk as it comes.
package final class AppLayerFlow: StreamReceiver {
    private enum State {
        case probing
        case decoding(any DecoderSession)
        case undecided
    }

    private enum Held {
        case data([UInt8], Direction, Timestamp)
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
    private var held: [Held] = []
    private var probeBuffers = PerDirection<[UInt8]>([])
    private var heldBytes = PerDirection(0)
    private var ruledOut = PerDirection<[Bool]>([])
    private var ended = PerDirection(false)

    /// A layer for `flow` that probes with `detector` and sends events to `events`.
    package init(flow: FlowInfo, detector: ProtocolDetector, events: any EventSink) {
        self.flow = flow
        self.detector = detector
        self.events = events
        self.ruledOut = PerDirection([Bool](repeating: false, count: detector.decoders.count))
    }

    package func streamData(_ bytes: UnsafeRawBufferPointer, direction: Direction, time: Timestamp) {
        switch state {
        case .decoding(let session):
            session.data(bytes.bytes, direction: direction, time: time)
        case .undecided:
            return
        case .probing:
            held.append(.data(Array(bytes), direction, time))
            heldBytes[direction] += bytes.count
            if probeBuffers[direction].count < detector.probeLimit {
                probeBuffers[direction].append(contentsOf: bytes.prefix(detector.probeLimit - probeBuffers[direction].count))
            }
            probe(direction)
        }
    }

    package func streamGap(length: UInt64, direction: Direction, time: Timestamp) {
        switch state {
        case .decoding(let session):
            session.gap(length: length, direction: direction, time: time)
        case .undecided:
            return
        case .probing:
            held.append(.gap(length, direction, time))
            // Probe afresh from after the hole: bytes either side of it are not contiguous.
            probeBuffers[direction].removeAll(keepingCapacity: true)
            ruledOut[direction] = [Bool](repeating: false, count: detector.decoders.count)
        }
    }

    package func streamEnd(direction: Direction, time: Timestamp) {
        ended[direction] = true
        switch state {
        case .decoding(let session):
            session.end(direction: direction, time: time)
        case .undecided:
            return
        case .probing:
            held.append(.end(direction, time))
            if ended.toServer && ended.toClient { giveUp() }
        }
    }

    package func datagram(_ bytes: UnsafeRawBufferPointer, direction: Direction, time: Timestamp) {}

    package func flowEnded(summary: FlowSummary, reason: FlowEndReason, time: Timestamp) {
        if case .probing = state { giveUp() }
    }

    private func probe(_ direction: Direction) {
        let buffer = probeBuffers[direction]
        var undecided = false
        for (index, decoder) in detector.decoders.enumerated() where !ruledOut[direction][index] {
            let result = buffer.withUnsafeBytes { decoder.probe($0.bytes, direction: direction) }
            switch result {
            case .match:
                start(decoder)
                return
            case .noMatch:
                ruledOut[direction][index] = true
            case .needMoreData:
                undecided = true
            }
        }
        let full = buffer.count >= detector.probeLimit || heldBytes[direction] >= detector.probeLimit * 4
        if !undecided || full {
            // This direction says no; the flow is undecided once both have said no (or filled up).
            let otherDone = ruledOut[direction.reversed].allSatisfy { $0 } || ended[direction.reversed]
            if full || otherDone { giveUp() }
        }
    }

    private func start(_ decoder: any ProtocolDecoder) {
        let session = decoder.makeSession(flow: flow, events: events)
        protocolName = decoder.name
        state = .decoding(session)
        let replay = held
        held = []
        probeBuffers = PerDirection([])
        for item in replay {
            switch item {
            case let .data(bytes, direction, time):
                bytes.withUnsafeBytes { session.data($0.bytes, direction: direction, time: time) }
            case let .gap(length, direction, time):
                session.gap(length: length, direction: direction, time: time)
            case let .end(direction, time):
                session.end(direction: direction, time: time)
            }
        }
    }

    private func giveUp() {
        state = .undecided
        held = []
        probeBuffers = PerDirection([])
    }
}
