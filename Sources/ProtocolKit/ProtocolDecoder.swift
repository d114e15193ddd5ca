import FlowTracking
import PacketCapture

/// What a decoder's probe says about the first bytes of a stream.
package enum ProbeResult: Sendable, Equatable {
    /// These bytes are this protocol.
    case match
    /// These bytes are not this protocol.
    case noMatch
    /// Not enough bytes to tell yet.
    case needMoreData
}

/// A protocol decoder: a cheap content probe and a factory of per-flow sessions.
///
/// Detection is by content; `servicePorts` only orient flows picked up mid-stream and order the
/// probes. One decoder instance serves every flow, so it holds configuration, never flow state.
package protocol ProtocolDecoder: Sendable {
    /// The protocol's name in the output (`app_proto`, the event object's key): `fix`, `ctp`, `tdx`.
    var name: String { get }
    /// Ports servers of this protocol usually listen on.
    var servicePorts: [UInt16] { get }
    /// Looks at the first bytes of one direction of a stream (everything seen so far, up to the
    /// probe limit) and says whether they are this protocol.
    func probe(_ bytes: RawSpan, direction: Direction) -> ProbeResult
    /// A session for one flow that this decoder matched; events go to `events`.
    func makeSession(flow: FlowInfo, events: any EventSink) -> any DecoderSession
    /// Whether this decoder takes a flow that no decoder recognised by its content, from the flow
    /// alone (its ports): a channel whose bytes cannot be decoded but whose metadata matters, such
    /// as TDX trading on port 7708. Asked only once every probe has said no; the default is no.
    func claimsUnrecognised(_ flow: FlowInfo) -> Bool
    /// A decoder with the same settings and state of its own, for another pipeline thread: the
    /// sessions of one decoder may share scratch memory, so one decoder serves one thread. The
    /// default is the decoder itself (for decoders whose sessions share nothing).
    func replica() -> any ProtocolDecoder
}

extension ProtocolDecoder {
    package func claimsUnrecognised(_ flow: FlowInfo) -> Bool { false }
    package func replica() -> any ProtocolDecoder { self }
}

/// One flow's decoder state. Calls arrive in packet-time order; each direction's bytes arrive in
/// stream order, each byte once, as contiguous views valid only during the call.
package protocol DecoderSession: AnyObject {
    /// The next bytes of `direction`'s stream.
    func data(_ bytes: RawSpan, direction: Direction, time: Timestamp)
    /// `length` bytes of `direction`'s stream are lost; the next data follows the hole.
    func gap(length: UInt64, direction: Direction, time: Timestamp)
    /// `direction`'s stream ended; nothing more arrives for it.
    func end(direction: Direction, time: Timestamp)
    /// Calls `data` on the session at `session` (an object of this type). The protocol layer
    /// calls through this, with the object's address and its type, because a call through an
    /// existential reference costs a retain and a release of the session on every chunk.
    static func deliver(_ bytes: RawSpan, direction: Direction, time: Timestamp, to session: UnsafeRawPointer)
}

extension DecoderSession {
    @inline(__always)
    package static func deliver(_ bytes: RawSpan, direction: Direction, time: Timestamp, to session: UnsafeRawPointer) {
        Unmanaged<Self>.fromOpaque(session)._withUnsafeGuaranteedRef { $0.data(bytes, direction: direction, time: time) }
    }
}

/// What the consumers of a run want from decoders, so that nothing is built for nobody.
@usableFromInline
package struct EventInterest: Sendable, Equatable {
    /// Per-message protocol records (`tapsentry decode`, `analyze --events`).
    @usableFromInline package var records: Bool
    /// Normalised trading events (rules, per-message output).
    package var tradingEvents: Bool
    /// Without records: which trading events and fields are read (nil: all of them). Decoders
    /// leave out the rest (`plan(protocolIndex:kind:)`) and report each event left out with
    /// `EventSink.skipped()`.
    package let demand: EventDemand?
    /// `demand` as `plan(protocolIndex:kind:)` reads it for every event: without a retain and a
    /// release each time (`demand` keeps it alive).
    @usableFromInline let demandReference: Unmanaged<EventDemand>?

    /// Interest in the given parts.
    package init(records: Bool, tradingEvents: Bool, demand: EventDemand? = nil) {
        self.records = records
        self.tradingEvents = tradingEvents
        self.demand = demand
        demandReference = demand.map { Unmanaged.passUnretained($0) }
    }

    @usableFromInline
    package static func == (lhs: EventInterest, rhs: EventInterest) -> Bool {
        lhs.records == rhs.records && lhs.tradingEvents == rhs.tradingEvents && lhs.demand === rhs.demand
    }

    /// Everything.
    package static let all = EventInterest(records: true, tradingEvents: true)
    /// Nothing: decoders only frame, track state and count.
    package static let none = EventInterest(records: false, tradingEvents: false)
}

/// Where decoders send what they found.
package protocol EventSink: AnyObject {
    /// What is wanted; decoders skip building what is not.
    var interest: EventInterest { get }
    /// One event (a decoded message, a trading event, an anomaly). Handed over, not lent: a sink
    /// that keeps the event (a flow-sharded worker hands it to the merge) keeps it without a copy.
    func emit(_ event: consuming TradingEvent)
    /// Adds to a protocol's counters in the closing stats record (`<protocol>.<name>`), for
    /// example `messages` or `anomalies.bad_checksum`. Sessions add theirs up and report them
    /// when their flow ends, not per message.
    func count(protocol: String, _ counters: [(String, UInt64)])
    /// An event the demand let a decoder leave unbuilt: nobody reads it, but it counts as an
    /// event emitted (the counts do not depend on what the rules read).
    func skipped()
}

extension EventSink {
    package func skipped() {}
}
