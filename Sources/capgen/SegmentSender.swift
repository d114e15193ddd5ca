import PacketCapture
import TestSupport

/// What the segment sender needs of a benchmark generator's session.
protocol BenchmarkConnection {
    /// The client's endpoint.
    var client: Endpoint { get }
    /// The server's endpoint.
    var server: Endpoint { get }
    /// The next TCP sequence number per side (0 client, 1 server).
    var tcp: (UInt32, UInt32) { get set }
}

/// What the segment sender wrote.
struct SegmentCounts {
    var packets = 0
    var dataSegments = 0
    var payloadBytes = 0
    var reordered = 0
    var retransmitted = 0

    /// `N packets (M with data)`, then the payload, reordering and retransmission counts, for a summary line.
    var packetText: String { "\(packets) packets (\(dataSegments) with data)" }
    var trafficText: String { "\(payloadBytes) payload bytes, \(reordered) reordered, \(retransmitted) retransmitted" }
}

/// The TCP side of the benchmark generators: writes sessions' packets into the capture through
/// one reused frame buffer, moves packet time 0.2-4 µs per packet, and counts what it wrote.
final class SegmentSender {
    /// The capture file.
    let writer: PcapWriter
    private let forward: FrameBuilder
    private let backward: FrameBuilder
    private let synOptions = TCPOption.synOptions()
    private var frame: [UInt8] = []
    /// The time of the last packet written.
    private(set) var time: Timestamp
    /// What was written so far.
    private(set) var counts = SegmentCounts()

    /// A sender writing to `writer` from Ethernet address `clientMAC` (clients) to `serverMAC`.
    init(writer: PcapWriter, clientMAC: MACAddress, serverMAC: MACAddress, start: Timestamp) {
        self.writer = writer
        forward = FrameBuilder(link: .ethernet(source: clientMAC, destination: serverMAC))
        backward = forward.reversed
        time = start
        frame.reserveCapacity(2048)
    }

    /// One packet of `session`, acknowledging what the other side sent when it carries ACK.
    func emit(
        _ session: some BenchmarkConnection, fromClient: Bool, sequence: UInt32, flags: TCPFlags,
        payload: UnsafeRawBufferPointer, _ random: inout SeededGenerator, options: [UInt8] = []
    ) {
        let acknowledgement = flags.contains(.ack) ? (fromClient ? session.tcp.1 : session.tcp.0) : 0
        (fromClient ? forward : backward).tcp(
            into: &frame, from: fromClient ? session.client : session.server,
            to: fromClient ? session.server : session.client, sequence: sequence,
            acknowledgement: acknowledgement, flags: flags, window: 64240, options: options, payload: payload)
        time = time.adding(nanoseconds: Int64(random.int(in: 200...4000)))
        writer.write(frame: frame, time: time)
        counts.packets += 1
        if !payload.isEmpty {
            counts.dataSegments += 1
            counts.payloadBytes += payload.count
        }
    }

    /// A packet without data (SYN, FIN, ACK) at the side's next sequence number.
    func control(
        _ session: some BenchmarkConnection, fromClient: Bool, flags: TCPFlags, _ random: inout SeededGenerator,
        options: [UInt8] = []
    ) {
        emit(
            session, fromClient: fromClient, sequence: fromClient ? session.tcp.0 : session.tcp.1, flags: flags,
            payload: UnsafeRawBufferPointer(start: nil, count: 0), &random, options: options)
    }

    /// Step `step` (0-2) of opening a session's connection: SYN, SYN-ACK, ACK.
    func open(_ session: inout some BenchmarkConnection, step: Int, _ random: inout SeededGenerator) {
        switch step {
        case 0:
            control(session, fromClient: true, flags: .syn, &random, options: synOptions)
            session.tcp.0 &+= 1
        case 1:
            control(session, fromClient: false, flags: [.syn, .ack], &random, options: synOptions)
            session.tcp.1 &+= 1
        default:
            control(session, fromClient: true, flags: .ack, &random)
        }
    }

    /// Step `step` (0-2) of closing a session's connection: FIN from the client, FIN back, ACK.
    func close(_ session: inout some BenchmarkConnection, step: Int, _ random: inout SeededGenerator) {
        switch step {
        case 0:
            control(session, fromClient: true, flags: [.fin, .ack], &random)
            session.tcp.0 &+= 1
        case 1:
            control(session, fromClient: false, flags: [.fin, .ack], &random)
            session.tcp.1 &+= 1
        default:
            control(session, fromClient: true, flags: .ack, &random)
        }
    }

    /// Sends `bytes` from one side in segments of 300-1400 bytes cut wherever the size falls (so
    /// a burst of messages is packed and some messages are split); 1 % of segments overtake the
    /// one before them and 0.5 % are sent twice.
    func transmit(
        _ bytes: UnsafeRawPointer, count: Int, _ session: inout some BenchmarkConnection, fromClient: Bool,
        _ random: inout SeededGenerator
    ) {
        var head = 0
        while head < count {
            let size = min(count - head, random.int(in: 300...1400))
            let remaining = count - head - size
            let sequence = fromClient ? session.tcp.0 : session.tcp.1
            if remaining > 0 && random.chance(0.01) {
                // The next segment overtakes this one.
                let nextSize = min(remaining, random.int(in: 300...1400))
                emit(
                    session, fromClient: fromClient, sequence: sequence &+ UInt32(size), flags: .ack,
                    payload: UnsafeRawBufferPointer(start: bytes + head + size, count: nextSize), &random)
                emit(
                    session, fromClient: fromClient, sequence: sequence, flags: .ack,
                    payload: UnsafeRawBufferPointer(start: bytes + head, count: size), &random)
                counts.reordered += 1
                advance(&session, fromClient: fromClient, by: size + nextSize)
                head += size + nextSize
                continue
            }
            let payload = UnsafeRawBufferPointer(start: bytes + head, count: size)
            emit(session, fromClient: fromClient, sequence: sequence, flags: [.ack, .psh], payload: payload, &random)
            if random.chance(0.005) {
                emit(session, fromClient: fromClient, sequence: sequence, flags: [.ack, .psh], payload: payload, &random)
                counts.retransmitted += 1
            }
            advance(&session, fromClient: fromClient, by: size)
            head += size
        }
    }

    private func advance(_ session: inout some BenchmarkConnection, fromClient: Bool, by count: Int) {
        if fromClient { session.tcp.0 &+= UInt32(count) } else { session.tcp.1 &+= UInt32(count) }
    }
}
