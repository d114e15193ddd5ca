import PacketCapture
import TestSupport

/// The protocol family a packet of the mixed benchmark counts under in the byte mix.
enum MixedKind: Int, CaseIterable {
    case fix, ctp, tdx, noise

    /// The name in the summary.
    var name: String { ["FIX", "CTP", "TDX", "noise"][rawValue] }
}

/// The one clock and output of the mixed benchmark: every source writes its packets through it.
///
/// Packet time moves with the bytes written, as on a link carrying `bytesPerSecond` on average:
/// each packet advances the clock by its size at that rate, jittered between a quarter and
/// seven quarters of it. Before each generated packet, the scenario packets due by then are
/// written, so the file stays in time order. Frames are built into one reused buffer.
final class MixedWire {
    /// The file being written.
    let writer: PcapWriter
    /// The seed of everything random, shared by all sources.
    var random: SeededGenerator
    /// The time of the last generated packet.
    private(set) var time: Timestamp
    /// Picoseconds of link time per byte.
    private let picosecondsPerByte: Int64
    private let scenarios: ScenarioInjector
    private var frame: [UInt8] = []
    private let synOptions = TCPOption.synOptions()
    private let forward: FrameBuilder
    private let backward: FrameBuilder

    /// The source whose packets are being written (the scheduler sets it before each step).
    var source = 0
    /// Frame bytes written per source.
    private(set) var sourceBytes: [Int]
    /// Packets written per source.
    private(set) var sourcePackets: [Int]
    /// Generated frame bytes (scenario packets not included).
    private(set) var generatedBytes = 0
    /// Data segments sent out of order and sent twice.
    private(set) var reordered = 0
    private(set) var retransmitted = 0

    /// A wire writing to `writer` from `start`, carrying `bytesPerSecond` on average, for
    /// `sources` sources, with `scenarios` merged in.
    init(writer: PcapWriter, seed: UInt64, start: Timestamp, bytesPerSecond: Int, sources: Int, scenarios: ScenarioInjector) {
        self.writer = writer
        random = SeededGenerator(seed: seed)
        time = start
        picosecondsPerByte = 1_000_000_000_000 / Int64(max(1, bytesPerSecond))
        self.scenarios = scenarios
        sourceBytes = [Int](repeating: 0, count: sources)
        sourcePackets = [Int](repeating: 0, count: sources)
        forward = FrameBuilder(link: .ethernet(
            source: MACAddress(0x02_00_00_00_40_01), destination: MACAddress(0x02_00_00_00_40_02)))
        backward = forward.reversed
        frame.reserveCapacity(2048)
    }

    /// Writes the frame in the reused buffer at the next time.
    @inline(__always)
    private func writeFrame() {
        let jitter = Int64(random.int(in: 250...1750))
        time = time.adding(nanoseconds: Int64(frame.count + 24) * picosecondsPerByte * jitter / 1_000_000)
        if time.nanoseconds >= scenarios.nextTime { scenarios.write(upTo: time.nanoseconds, into: writer) }
        writer.write(frame: frame, time: time)
        sourceBytes[source] += frame.count
        sourcePackets[source] += 1
        generatedBytes += frame.count
    }

    /// Writes the scenario packets not yet due (after the last generated packet).
    func finish() {
        scenarios.write(upTo: Int64.max, into: writer)
    }

    // MARK: - UDP

    /// One UDP datagram.
    func udp(from source: Endpoint, to destination: Endpoint, payload: UnsafeRawBufferPointer) {
        forward.udp(into: &frame, from: source, to: destination, payload: payload)
        writeFrame()
    }

    // MARK: - TCP

    /// One TCP packet of `connection`, acknowledging what the other side sent when it carries ACK.
    func emit(
        _ connection: some BenchmarkConnection, fromClient: Bool, sequence: UInt32, flags: TCPFlags,
        payload: UnsafeRawBufferPointer, options: [UInt8] = []
    ) {
        let acknowledgement = flags.contains(.ack) ? (fromClient ? connection.tcp.1 : connection.tcp.0) : 0
        (fromClient ? forward : backward).tcp(
            into: &frame, from: fromClient ? connection.client : connection.server,
            to: fromClient ? connection.server : connection.client, sequence: sequence,
            acknowledgement: acknowledgement, flags: flags, window: 64240, options: options, payload: payload)
        writeFrame()
    }

    /// A packet without data (SYN, FIN, ACK) at the side's next sequence number.
    func control(_ connection: some BenchmarkConnection, fromClient: Bool, flags: TCPFlags, options: [UInt8] = []) {
        emit(
            connection, fromClient: fromClient, sequence: fromClient ? connection.tcp.0 : connection.tcp.1, flags: flags,
            payload: UnsafeRawBufferPointer(start: nil, count: 0), options: options)
    }

    /// Step `step` (0-2) of opening a connection: SYN, SYN-ACK, ACK.
    func open(_ connection: inout some BenchmarkConnection, step: Int) {
        switch step {
        case 0:
            control(connection, fromClient: true, flags: .syn, options: synOptions)
            connection.tcp.0 &+= 1
        case 1:
            control(connection, fromClient: false, flags: [.syn, .ack], options: synOptions)
            connection.tcp.1 &+= 1
        default:
            control(connection, fromClient: true, flags: .ack)
        }
    }

    /// Step `step` (0-2) of closing a connection: FIN from one side (the client unless
    /// `serverFirst`), FIN back, ACK.
    func close(_ connection: inout some BenchmarkConnection, step: Int, serverFirst: Bool = false) {
        let first = !serverFirst
        switch step {
        case 0:
            control(connection, fromClient: first, flags: [.fin, .ack])
            if first { connection.tcp.0 &+= 1 } else { connection.tcp.1 &+= 1 }
        case 1:
            control(connection, fromClient: !first, flags: [.fin, .ack])
            if first { connection.tcp.1 &+= 1 } else { connection.tcp.0 &+= 1 }
        default:
            control(connection, fromClient: first, flags: .ack)
        }
    }

    /// Sends `count` bytes from one side in segments of `sizes` bytes cut wherever the size
    /// falls (so a burst of messages is packed and some messages are split); 0.5 % of segments
    /// overtake the one before them and 0.2 % are sent twice.
    func transmit(
        _ bytes: UnsafeRawPointer, count: Int, _ connection: inout some BenchmarkConnection, fromClient: Bool,
        sizes: ClosedRange<Int> = 300...1400
    ) {
        var head = 0
        while head < count {
            let size = min(count - head, random.int(in: sizes))
            let remaining = count - head - size
            let sequence = fromClient ? connection.tcp.0 : connection.tcp.1
            if remaining > 0 && random.chance(0.005) {
                let nextSize = min(remaining, random.int(in: sizes))
                emit(
                    connection, fromClient: fromClient, sequence: sequence &+ UInt32(size), flags: .ack,
                    payload: UnsafeRawBufferPointer(start: bytes + head + size, count: nextSize))
                emit(
                    connection, fromClient: fromClient, sequence: sequence, flags: .ack,
                    payload: UnsafeRawBufferPointer(start: bytes + head, count: size))
                reordered += 1
                advance(&connection, fromClient: fromClient, by: size + nextSize)
                head += size + nextSize
                continue
            }
            let payload = UnsafeRawBufferPointer(start: bytes + head, count: size)
            emit(connection, fromClient: fromClient, sequence: sequence, flags: [.ack, .psh], payload: payload)
            if random.chance(0.002) {
                emit(connection, fromClient: fromClient, sequence: sequence, flags: [.ack, .psh], payload: payload)
                retransmitted += 1
            }
            advance(&connection, fromClient: fromClient, by: size)
            head += size
        }
    }

    /// `transmit` for a byte array.
    func transmit(
        _ bytes: [UInt8], _ connection: inout some BenchmarkConnection, fromClient: Bool, sizes: ClosedRange<Int> = 300...1400
    ) {
        bytes.withUnsafeBytes { buffer in
            if let base = buffer.baseAddress {
                transmit(base, count: buffer.count, &connection, fromClient: fromClient, sizes: sizes)
            }
        }
    }

    private func advance(_ connection: inout some BenchmarkConnection, fromClient: Bool, by count: Int) {
        if fromClient { connection.tcp.0 &+= UInt32(count) } else { connection.tcp.1 &+= UInt32(count) }
    }
}

/// One traffic source of the mixed benchmark: a set of concurrent sessions of one kind, stepped
/// one at a time by the scheduler, which picks the source furthest below its byte share.
protocol MixedSource: AnyObject {
    /// The name in the summary.
    var name: String { get }
    /// What its bytes count as.
    var kind: MixedKind { get }
    /// Its share of the generated bytes.
    var share: Double { get }
    /// Flows started so far.
    var flows: Int { get }
    /// Protocol messages written so far (frames of the protocol; 0 for noise).
    var messages: Int { get }
    /// Writes the next packet or packets of one of its sessions.
    func step(_ wire: MixedWire)
    /// Starts no new session from now on and winds the open ones down (logout, FIN).
    func drain()
    /// True once draining has closed every session.
    var finished: Bool { get }
}

/// The open sessions of a source: slot indices, picked at random, removed when a slot closes
/// for good (while draining).
struct LiveSlots {
    private(set) var indices: [Int]
    private var position: [Int]

    /// `count` slots, all open.
    init(count: Int) {
        indices = Array(0..<count)
        position = Array(0..<count)
    }

    /// True when no slot is open.
    var isEmpty: Bool { indices.isEmpty }

    /// A random open slot.
    func pick(_ random: inout SeededGenerator) -> Int {
        indices[random.int(in: 0...(indices.count - 1))]
    }

    /// Closes `slot` for good.
    mutating func remove(_ slot: Int) {
        let at = position[slot]
        guard at >= 0 else { return }
        let last = indices[indices.count - 1]
        indices[at] = last
        position[last] = at
        indices.removeLast()
        position[slot] = -1
    }
}
