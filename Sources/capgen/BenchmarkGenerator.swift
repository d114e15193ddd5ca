import PacketCapture
import TestSupport

/// Writes a large capture of many interleaved TCP flows for throughput measurements: handshakes,
/// request/response exchanges of 100-1400 byte segments, a few percent of segments out of order or
/// retransmitted, FIN closes. Frames are built into one reused buffer; payloads are slices of a
/// fixed random pool, so the generator allocates nothing per packet.
struct BenchmarkGenerator {
    /// Summary of what was written.
    struct Summary {
        /// Packets written.
        var packets = 0
        /// Flows started.
        var flows = 0
        /// Flows closed with a FIN exchange.
        var closedFlows = 0
        /// Payload bytes written (retransmissions included).
        var payloadBytes = 0
        /// Data segments sent out of order (swapped with the next one).
        var reordered = 0
        /// Data segments sent twice.
        var retransmitted = 0
        /// The file size.
        var fileBytes = 0
    }

    private enum Phase {
        case syn, synAck, ack, request, response, finClient, finServer, lastAck
    }

    private struct Flow {
        var client: Endpoint
        var server: Endpoint
        var clientSequence: UInt32
        var serverSequence: UInt32
        var phase: Phase = .syn
        var exchangesLeft: Int
        var segmentsLeft: Int = 0
    }

    /// Stop once the file reaches this many bytes.
    var targetBytes: Int
    /// The number of flows open at any time (a closed flow is replaced by a new one).
    var concurrentFlows: Int
    /// The seed of everything random.
    var seed: UInt64

    /// Writes the capture to `path` and returns its summary.
    func write(to path: String) throws(CaptureWriteError) -> Summary {
        var random = SeededGenerator(seed: seed)
        let pool = random.bytes(count: 1 << 20)
        let writer = try PcapWriter(path: path, linkType: .ethernet, nanosecond: true)
        let forward = FrameBuilder(link: .ethernet(
            source: MACAddress(0x02_00_00_00_00_01), destination: MACAddress(0x02_00_00_00_00_02)))
        let backward = forward.reversed
        let synOptions = TCPOption.synOptions()
        var summary = Summary()
        var flowCounter = 0

        func newFlow(_ random: inout SeededGenerator) -> Flow {
            flowCounter += 1
            summary.flows += 1
            let client = Endpoint(
                address: IPAddress(ipv4: 0x0A00_0000 | UInt32(truncatingIfNeeded: flowCounter % 60_000 + 256)),
                port: UInt16(1024 + flowCounter % 60_000))
            let server = Endpoint(
                address: IPAddress(ipv4: 0x0AC8_0000 | UInt32(random.int(in: 1...64))),
                port: [443, 8080, 9000, 5001][random.int(in: 0...3)])
            return Flow(
                client: client, server: server, clientSequence: UInt32(truncatingIfNeeded: random.next()),
                serverSequence: UInt32(truncatingIfNeeded: random.next()), exchangesLeft: random.int(in: 1...40))
        }

        var flows: [Flow] = []
        for _ in 0..<max(1, concurrentFlows) { flows.append(newFlow(&random)) }
        var frame = [UInt8]()
        frame.reserveCapacity(2048)
        var time = Timestamp(seconds: Recipe.epoch, nanoseconds: 0)

        func emit(
            _ flow: Flow, fromClient: Bool, sequence: UInt32, flags: TCPFlags, payloadLength: Int,
            _ random: inout SeededGenerator, options: [UInt8] = []
        ) {
            // The payload is picked by the sequence number, so a retransmission resends the same bytes.
            let offset = payloadLength == 0 ? 0 : Int(sequence % UInt32(pool.count - payloadLength + 1))
            let acknowledgement = flags.contains(.ack) ? (fromClient ? flow.serverSequence : flow.clientSequence) : 0
            pool.withUnsafeBytes { bytes in
                let payload = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + payloadLength)])
                (fromClient ? forward : backward).tcp(
                    into: &frame, from: fromClient ? flow.client : flow.server,
                    to: fromClient ? flow.server : flow.client, sequence: sequence,
                    acknowledgement: acknowledgement, flags: flags, window: 64240, options: options, payload: payload)
            }
            time = time.adding(nanoseconds: Int64(random.int(in: 200...4000)))
            writer.write(frame: frame, time: time)
            summary.packets += 1
            summary.payloadBytes += payloadLength
        }

        while writer.byteCount < targetBytes {
            let index = random.int(in: 0...(flows.count - 1))
            var flow = flows[index]
            switch flow.phase {
            case .syn:
                emit(flow, fromClient: true, sequence: flow.clientSequence, flags: .syn, payloadLength: 0, &random, options: synOptions)
                flow.clientSequence &+= 1
                flow.phase = .synAck
            case .synAck:
                emit(flow, fromClient: false, sequence: flow.serverSequence, flags: [.syn, .ack], payloadLength: 0, &random, options: synOptions)
                flow.serverSequence &+= 1
                flow.phase = .ack
            case .ack:
                emit(flow, fromClient: true, sequence: flow.clientSequence, flags: .ack, payloadLength: 0, &random)
                flow.phase = .request
                flow.segmentsLeft = random.int(in: 1...2)
            case .request, .response:
                let fromClient = flow.phase == .request
                let length = random.int(in: 100...1400)
                let sequence = fromClient ? flow.clientSequence : flow.serverSequence
                if flow.segmentsLeft >= 2 && random.chance(0.02) {
                    // The next segment overtakes this one.
                    let nextLength = random.int(in: 100...1400)
                    let nextSequence = sequence &+ UInt32(length)
                    emit(flow, fromClient: fromClient, sequence: nextSequence, flags: .ack, payloadLength: nextLength, &random)
                    emit(flow, fromClient: fromClient, sequence: sequence, flags: .ack, payloadLength: length, &random)
                    flow.segmentsLeft -= 2
                    summary.reordered += 1
                    if fromClient { flow.clientSequence = nextSequence &+ UInt32(nextLength) } else { flow.serverSequence = nextSequence &+ UInt32(nextLength) }
                } else {
                    let flags: TCPFlags = flow.segmentsLeft == 1 ? [.ack, .psh] : .ack
                    emit(flow, fromClient: fromClient, sequence: sequence, flags: flags, payloadLength: length, &random)
                    if random.chance(0.01) {
                        emit(flow, fromClient: fromClient, sequence: sequence, flags: flags, payloadLength: length, &random)
                        summary.retransmitted += 1
                    }
                    flow.segmentsLeft -= 1
                    if fromClient { flow.clientSequence &+= UInt32(length) } else { flow.serverSequence &+= UInt32(length) }
                }
                if flow.segmentsLeft <= 0 {
                    if fromClient {
                        flow.phase = .response
                        flow.segmentsLeft = random.int(in: 1...24)
                    } else {
                        emit(flow, fromClient: true, sequence: flow.clientSequence, flags: .ack, payloadLength: 0, &random)
                        flow.exchangesLeft -= 1
                        flow.phase = flow.exchangesLeft > 0 ? .request : .finClient
                        flow.segmentsLeft = random.int(in: 1...2)
                    }
                }
            case .finClient:
                emit(flow, fromClient: true, sequence: flow.clientSequence, flags: [.fin, .ack], payloadLength: 0, &random)
                flow.clientSequence &+= 1
                flow.phase = .finServer
            case .finServer:
                emit(flow, fromClient: false, sequence: flow.serverSequence, flags: [.fin, .ack], payloadLength: 0, &random)
                flow.serverSequence &+= 1
                flow.phase = .lastAck
            case .lastAck:
                emit(flow, fromClient: true, sequence: flow.clientSequence, flags: .ack, payloadLength: 0, &random)
                summary.closedFlows += 1
                flow = newFlow(&random)
            }
            flows[index] = flow
        }
        try writer.close()
        summary.fileBytes = writer.byteCount
        return summary
    }
}
