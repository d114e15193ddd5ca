import PacketCapture

/// One TCP connection between a client and a server, built packet by packet with correct
/// sequence and acknowledgement numbers, and turned into timed frames.
///
/// ```swift
/// var conversation = TCPConversation(client: Endpoint("10.0.0.1", 40000), server: Endpoint("10.0.0.2", 80),
///                                    clientInitialSequence: 0xFFFF_FF00)
/// conversation.handshake()
/// conversation.send(from: .client, Array("GET / HTTP/1.1\r\n\r\n".utf8))
/// conversation.send(from: .server, response)
/// conversation.close()
/// let frames = conversation.frames()     // [(time: Timestamp, frame: [UInt8])]
/// ```
///
/// Each packet takes the next time (`start`, then `step` nanoseconds apart). Skipping the
/// handshake gives a connection picked up mid-stream. To damage one direction, take its data as
/// segments with `makeSegments`, pass them through a `StreamMangler`, and `append` the result.
package struct TCPConversation: Sendable {
    /// Which end sends a packet.
    package enum Side: Hashable, Sendable {
        /// The end that sent the SYN.
        case client
        /// The end that answered it.
        case server

        /// The other end.
        package var other: Side { self == .client ? .server : .client }
    }

    /// One packet of the conversation, before framing.
    package struct Packet: Hashable, Sendable {
        /// When it was captured.
        package var time: Timestamp
        /// Who sent it.
        package var side: Side
        /// Sequence number, flags and payload.
        package var segment: Segment
        /// The acknowledgement number (meaningful with the ACK flag).
        package var acknowledgement: UInt32
        /// The advertised window.
        package var window: UInt16
        /// Raw TCP option bytes.
        package var options: [UInt8]
    }

    /// The client's address and port.
    package var client: Endpoint
    /// The server's address and port.
    package var server: Endpoint
    /// The builder for client-to-server frames (reversed for the other direction).
    package var builder: FrameBuilder
    /// The time the next packet gets.
    package var time: Timestamp
    /// Nanoseconds between consecutive packets.
    package var step: Int64
    /// The largest payload `send` puts in one segment.
    package var maximumSegmentSize: Int
    /// The window both sides advertise.
    package var window: UInt16
    /// The packets so far, in capture order.
    package private(set) var packets: [Packet] = []
    /// The client's next sequence number.
    package private(set) var clientNextSequence: UInt32
    /// The server's next sequence number.
    package private(set) var serverNextSequence: UInt32

    /// A conversation with nothing sent yet; the first SYN (or, without a handshake, the first
    /// data byte) of each side uses its initial sequence number.
    package init(
        client: Endpoint, server: Endpoint, builder: FrameBuilder = FrameBuilder(),
        clientInitialSequence: UInt32 = 0x1000_0000, serverInitialSequence: UInt32 = 0x2000_0000,
        start: Timestamp = Timestamp(seconds: 1_700_000_000, nanoseconds: 0), step: Int64 = 100_000,
        maximumSegmentSize: Int = 1460, window: UInt16 = 65535
    ) {
        self.client = client
        self.server = server
        self.builder = builder
        self.time = start
        self.step = step
        self.maximumSegmentSize = max(1, maximumSegmentSize)
        self.window = window
        self.clientNextSequence = clientInitialSequence
        self.serverNextSequence = serverInitialSequence
    }

    /// The next sequence number of `side`.
    package func nextSequence(of side: Side) -> UInt32 {
        side == .client ? clientNextSequence : serverNextSequence
    }

    private mutating func setNextSequence(of side: Side, _ value: UInt32) {
        if side == .client { clientNextSequence = value } else { serverNextSequence = value }
    }

    /// Appends one packet from `side` as given, acknowledging everything the other side has
    /// sent (no ACK number without the ACK flag), and moves that side's next sequence number
    /// forward if the segment ends beyond it.
    package mutating func append(_ segment: Segment, from side: Side, options: [UInt8] = []) {
        let acknowledgement = segment.flags.contains(.ack) ? nextSequence(of: side.other) : 0
        packets.append(Packet(
            time: time, side: side, segment: segment, acknowledgement: acknowledgement, window: window,
            options: options))
        time = time.adding(nanoseconds: step)
        let next = nextSequence(of: side)
        if Int32(bitPattern: segment.end &- next) > 0 { setNextSequence(of: side, segment.end) }
    }

    /// Appends segments from `side` in the order given (e.g. a `StreamMangler`'s output).
    package mutating func append(_ segments: [Segment], from side: Side) {
        for segment in segments { append(segment, from: side) }
    }

    /// SYN, SYN-ACK, ACK, with the usual SYN options (MSS, SACK permitted, window scale).
    package mutating func handshake() {
        let options = TCPOption.synOptions(maximumSegmentSize: UInt16(clamping: maximumSegmentSize))
        append(Segment(sequence: clientNextSequence, flags: .syn), from: .client, options: options)
        append(Segment(sequence: serverNextSequence, flags: [.syn, .ack]), from: .server, options: options)
        append(Segment(sequence: clientNextSequence, flags: .ack), from: .client)
    }

    /// The segments (at most `maximumSegmentSize` bytes each, PSH on the last) that carry `bytes`
    /// from `side`, reserving their sequence space without appending them.
    package mutating func makeSegments(from side: Side, _ bytes: [UInt8]) -> [Segment] {
        var segments: [Segment] = []
        var sequence = nextSequence(of: side)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + maximumSegmentSize, bytes.count)
            let flags: TCPFlags = end == bytes.count ? [.ack, .psh] : .ack
            segments.append(Segment(sequence: sequence, flags: flags, payload: Array(bytes[offset..<end])))
            sequence &+= UInt32(end - offset)
            offset = end
        }
        setNextSequence(of: side, sequence)
        return segments
    }

    /// Sends `bytes` from `side` in segments of at most `maximumSegmentSize`; with
    /// `acknowledge`, the other side then sends a pure ACK.
    package mutating func send(from side: Side, _ bytes: [UInt8], acknowledge: Bool = true) {
        append(makeSegments(from: side, bytes), from: side)
        if acknowledge { self.acknowledge(from: side.other) }
    }

    /// A pure ACK from `side` for everything the other side has sent.
    package mutating func acknowledge(from side: Side) {
        append(Segment(sequence: nextSequence(of: side), flags: .ack), from: side)
    }

    /// FIN from `initiator`, FIN-ACK back, final ACK.
    package mutating func close(from initiator: Side = .client) {
        append(Segment(sequence: nextSequence(of: initiator), flags: [.fin, .ack]), from: initiator)
        append(Segment(sequence: nextSequence(of: initiator.other), flags: [.fin, .ack]), from: initiator.other)
        acknowledge(from: initiator)
    }

    /// A RST (with ACK) from `side`.
    package mutating func reset(from side: Side = .client) {
        append(Segment(sequence: nextSequence(of: side), flags: [.rst, .ack]), from: side)
    }

    /// Moves the clock forward (a pause between packets).
    package mutating func wait(nanoseconds: Int64) {
        time = time.adding(nanoseconds: nanoseconds)
    }

    /// The segments `side` sent, in capture order.
    package func segments(from side: Side) -> [Segment] {
        packets.compactMap { $0.side == side ? $0.segment : nil }
    }

    /// The payload bytes `side` sent, in capture order (duplicates included).
    package func payloadBytes(from side: Side) -> Int {
        packets.reduce(0) { $0 + ($1.side == side ? $1.segment.payload.count : 0) }
    }

    /// The frame for one packet, built with this conversation's builder or with `other` (given
    /// for the client-to-server direction, e.g. with a different IPv4 identification).
    package func frame(for packet: Packet, using other: FrameBuilder? = nil) -> [UInt8] {
        build(packet, using: other ?? builder, includeLink: true)
    }

    /// The IP packet (no link header) for one packet, e.g. to fragment it.
    package func ipPacket(for packet: Packet, using other: FrameBuilder? = nil) -> [UInt8] {
        build(packet, using: other ?? builder, includeLink: false)
    }

    private func build(_ packet: Packet, using forwardBuilder: FrameBuilder, includeLink: Bool) -> [UInt8] {
        let forward = packet.side == .client
        var bytes: [UInt8] = []
        packet.segment.payload.withUnsafeBytes {
            (forward ? forwardBuilder : forwardBuilder.reversed).tcp(
                into: &bytes, from: forward ? client : server, to: forward ? server : client,
                sequence: packet.segment.sequence, acknowledgement: packet.acknowledgement,
                flags: packet.segment.flags, window: packet.window, options: packet.options, payload: $0,
                includeLink: includeLink)
        }
        return bytes
    }

    /// Every packet as a timed frame, in capture order.
    package func frames() -> [TimedFrame] {
        packets.map { (time: $0.time, frame: frame(for: $0)) }
    }

    /// The frames of several conversations merged in time order (stable for equal times).
    package static func interleave(_ conversations: [TCPConversation]) -> [TimedFrame] {
        var all: [(order: Int, item: TimedFrame)] = []
        for conversation in conversations {
            for item in conversation.frames() { all.append((all.count, item)) }
        }
        all.sort { $0.item.time != $1.item.time ? $0.item.time < $1.item.time : $0.order < $1.order }
        return all.map(\.item)
    }
}
