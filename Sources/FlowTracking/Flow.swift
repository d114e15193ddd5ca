import PacketCapture

/// Which way bytes travel in a flow, relative to its client/server orientation.
@usableFromInline
package enum Direction: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// From the client (the side that opened the connection) to the server.
    case toServer = 0
    /// From the server back to the client.
    case toClient = 1

    /// The other direction.
    package var reversed: Direction { self == .toServer ? .toClient : .toServer }

    /// `to_server` or `to_client`, as the JSON output spells it.
    @usableFromInline package var description: String { self == .toServer ? "to_server" : "to_client" }
}

/// The endpoints of a flow, oriented client to server, with its identifiers.
///
/// A flow's identity never changes once created, so it is shared by value with decoders and output.
package struct FlowInfo: Sendable, Hashable {
    /// The side that opened the connection (or, without a SYN, the side the heuristic picked).
    package var client: IPAddress
    /// The client's port.
    package var clientPort: UInt16
    /// The side that accepted the connection.
    package var server: IPAddress
    /// The server's port.
    package var serverPort: UInt16
    /// TCP or UDP.
    package var transport: TransportProtocol
    /// A 52-bit identifier, stable for the same flow in the same capture (safe as a JSON number).
    package var id: UInt64
    /// The time of the flow's first packet.
    package var start: Timestamp
    /// How the client/server orientation was decided.
    package var orientation: Orientation
    /// The digest of the flow's Community ID v1 (seed 0), computed once when the flow is created.
    package let communityDigest: CommunityIDDigest

    /// The flow's Community ID v1 (seed 0) as text.
    package var communityID: String { communityDigest.description }

    /// How a flow's client and server were told apart.
    package enum Orientation: String, Sendable {
        /// A SYN (client) or SYN-ACK (server) was seen.
        case handshake = "syn"
        /// One port is a known service port of a protocol decoder.
        case servicePort = "service_port"
        /// Only one port is below 1024.
        case privilegedPort = "privileged_port"
        /// Only one port is in the ephemeral range (32768 and up); the other side is the server.
        case ephemeralPort = "ephemeral_port"
        /// Nothing else decided: the destination of the first packet is the server.
        case firstPacket = "first_packet"
    }

    /// A flow identity with every field given.
    package init(
        client: IPAddress, clientPort: UInt16, server: IPAddress, serverPort: UInt16,
        transport: TransportProtocol, id: UInt64, start: Timestamp, orientation: Orientation,
        communityDigest: CommunityIDDigest? = nil
    ) {
        self.client = client
        self.clientPort = clientPort
        self.server = server
        self.serverPort = serverPort
        self.transport = transport
        self.id = id
        self.start = start
        self.orientation = orientation
        self.communityDigest = communityDigest ?? CommunityID.digest(
            source: client, sourcePort: clientPort, destination: server, destinationPort: serverPort,
            protocolNumber: transport.rawValue
        )
    }

    /// The sending endpoint for bytes travelling in `direction`.
    package func source(_ direction: Direction) -> (address: IPAddress, port: UInt16) {
        direction == .toServer ? (client, clientPort) : (server, serverPort)
    }

    /// The receiving endpoint for bytes travelling in `direction`.
    package func destination(_ direction: Direction) -> (address: IPAddress, port: UInt16) {
        direction == .toServer ? (server, serverPort) : (client, clientPort)
    }

}

/// Why a flow left the flow table.
package enum FlowEndReason: String, Sendable {
    /// Both directions ended (FIN or RST) and the short linger after close ran out.
    case closed
    /// No packet for longer than the idle timeout.
    case timeout
    /// Pushed out to make room when the flow table was full.
    case evicted
    /// The capture ended with the flow still open.
    case shutdown
    /// A new connection (SYN) reused the 5-tuple of a closed one.
    case reused
}

/// A pair of values, one for each direction of a flow.
@usableFromInline
package struct PerDirection<Value> {
    /// The value for client-to-server.
    @usableFromInline package var toServer: Value
    /// The value for server-to-client.
    @usableFromInline package var toClient: Value

    // Inlinable: the decoders use it per chunk from other modules, where an unspecialised
    // generic call would look up type metadata and go through a coroutine on every access.
    // The type and its members must be `@usableFromInline` as well: for a plain `package` type
    // the compiler accepts `@inlinable` but serializes no body (Swift 6.3), so every use from
    // another module was an unspecialised call (about 500 instructions to make one, through the
    // runtime's metadata cache).

    /// Both values given.
    @inlinable @inline(__always)
    package init(toServer: Value, toClient: Value) {
        self.toServer = toServer
        self.toClient = toClient
    }

    /// The same value for both directions.
    @inlinable @inline(__always)
    package init(_ both: Value) {
        self.toServer = both
        self.toClient = both
    }

    /// The value for `direction`.
    @inlinable @inline(__always)
    package subscript(direction: Direction) -> Value {
        // Read with a plain getter, inlined (the caller's use of one member loads that member):
        // a `_read` coroutine, not inlined, copied the whole pair into a heap-allocated frame at
        // every access. Changed in place: a get-then-set would copy the value (and retain what it
        // holds) on every access.
        get { direction == .toServer ? toServer : toClient }
        _modify {
            if direction == .toServer {
                yield &toServer
            } else {
                yield &toClient
            }
        }
    }
}

extension PerDirection: Sendable where Value: Sendable {}
extension PerDirection: Equatable where Value: Equatable {}

/// What a flow carried, reported when it ends.
package struct FlowSummary: Sendable, Equatable {
    /// Packets per direction.
    package var packets = PerDirection<UInt64>(0)
    /// Wire bytes per direction (the frames' original lengths).
    package var bytes = PerDirection<UInt64>(0)
    /// The time of the last packet.
    package var lastSeen: Timestamp = .zero
    /// Stream bytes delivered in order per direction (TCP only).
    package var streamBytes = PerDirection<UInt64>(0)
    /// Gaps reported per direction (TCP only).
    package var gaps = PerDirection<UInt64>(0)
    /// TCP flags seen in either direction, OR-ed together.
    package var tcpFlags: TCPFlags = []

    /// An empty summary.
    package init() {}
}

/// The per-flow consumer of reassembled streams (a protocol layer, in the full pipeline).
///
/// Calls for one flow arrive in packet-time order; `bytes` is valid only during the call.
package protocol StreamReceiver: AnyObject {
    /// Bytes of one direction's stream, in order, each byte exactly once. Returns false when the
    /// receiver wants no more bytes of this flow (no protocol matched, say): the streams are
    /// still reassembled and counted, and gaps, ends and the flow's end are still reported.
    @discardableResult
    func streamData(_ bytes: UnsafeRawBufferPointer, direction: Direction, time: Timestamp) -> Bool
    /// `length` bytes of one direction's stream that will never arrive.
    func streamGap(length: UInt64, direction: Direction, time: Timestamp)
    /// One direction's stream ended (FIN reached, RST, timeout or end of capture).
    func streamEnd(direction: Direction, time: Timestamp)
    /// One UDP datagram of the flow.
    func datagram(_ bytes: UnsafeRawBufferPointer, direction: Direction, time: Timestamp)
    /// The flow left the table; nothing more will be delivered.
    func flowEnded(summary: FlowSummary, reason: FlowEndReason, time: Timestamp)
    /// The application protocol the receiver recognised, if any (the flow record's `app_proto`).
    var protocolName: String? { get }
    /// The address of the object the receiver hands stream bytes on to (a decoder session), if
    /// any: the flow table warms the cache for it ahead of the flow's next packet. Asked after
    /// deliveries until it is not nil.
    var forwardingAddress: UnsafeRawPointer? { get }
    /// Calls `streamData` on the receiver at `receiver` (an object of this type). The flow table
    /// delivers through this, with the object's address and its type, because a call through an
    /// existential reference costs a retain and a release of the object on every packet.
    static func deliver(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, time: Timestamp, to receiver: UnsafeRawPointer
    ) -> Bool
}

extension StreamReceiver {
    /// No protocol, unless the receiver says otherwise.
    package var protocolName: String? { nil }
    /// Nothing further, unless the receiver says otherwise.
    package var forwardingAddress: UnsafeRawPointer? { nil }

    @inline(__always)
    package static func deliver(
        _ bytes: UnsafeRawBufferPointer, direction: Direction, time: Timestamp, to receiver: UnsafeRawPointer
    ) -> Bool {
        Unmanaged<Self>.fromOpaque(receiver)._withUnsafeGuaranteedRef {
            $0.streamData(bytes, direction: direction, time: time)
        }
    }
}

/// Who gets told about flows: creates the per-flow receiver and hears about flows ending.
package protocol FlowObserver: AnyObject {
    /// A new flow started; the returned receiver gets its streams (nil: nobody listens).
    func flowStarted(_ flow: FlowInfo) -> (any StreamReceiver)?
    /// A flow left the table, after its receiver's `flowEnded`; `receiver` is what `flowStarted` returned.
    func flowEnded(
        _ flow: FlowInfo, receiver: (any StreamReceiver)?, summary: FlowSummary, reason: FlowEndReason, time: Timestamp
    )
}
