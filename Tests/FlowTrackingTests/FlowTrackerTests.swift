import PacketCapture
import Testing
import TestSupport

@testable import FlowTracking

/// Records what the flow table tells its observer and the per-flow receivers.
final class RecordingObserver: FlowObserver {
    final class Receiver: StreamReceiver {
        var streams = PerDirection<[UInt8]>([])
        var gaps = PerDirection<[UInt64]>([])
        var ends = PerDirection(0)
        var datagrams = 0

        func streamData(_ bytes: UnsafeRawBufferPointer, direction: Direction, time: Timestamp) -> Bool {
            streams[direction].append(contentsOf: bytes)
            return true
        }
        func streamGap(length: UInt64, direction: Direction, time: Timestamp) { gaps[direction].append(length) }
        func streamEnd(direction: Direction, time: Timestamp) { ends[direction] += 1 }
        func datagram(_ bytes: UnsafeRawBufferPointer, direction: Direction, time: Timestamp) { datagrams += 1 }
        func flowEnded(summary: FlowSummary, reason: FlowEndReason, time: Timestamp) {}
    }

    var started: [FlowInfo] = []
    var receivers: [Receiver] = []
    var ended: [(flow: FlowInfo, reason: FlowEndReason, summary: FlowSummary, time: Timestamp)] = []

    func flowStarted(_ flow: FlowInfo) -> (any StreamReceiver)? {
        started.append(flow)
        let receiver = Receiver()
        receivers.append(receiver)
        return receiver
    }

    func flowEnded(_ flow: FlowInfo, receiver: (any StreamReceiver)?, summary: FlowSummary, reason: FlowEndReason, time: Timestamp) {
        ended.append((flow, reason, summary, time))
    }
}

let clientAddress = IPAddress(ipv4: 0x0A00_0001)
let serverAddress = IPAddress(ipv4: 0x0A00_0002)

func seconds(_ s: Int64) -> Timestamp { Timestamp(nanoseconds: 1_700_000_000_000_000_000 + s * 1_000_000_000) }

/// Sends one TCP packet from (source, sourcePort) to (destination, destinationPort).
func tcp(
    _ tracker: FlowTracker, from source: IPAddress = clientAddress, _ sourcePort: UInt16 = 40000,
    to destination: IPAddress = serverAddress, _ destinationPort: UInt16 = 9000,
    seq: UInt32, flags: TCPFlags, _ text: String = "", at time: Timestamp
) {
    Array(text.utf8).withUnsafeBytes { payload in
        tracker.process(
            TransportPacket(
                source: source, destination: destination, sourcePort: sourcePort, destinationPort: destinationPort,
                transport: .tcp, sequence: seq, flags: flags, payload: payload
            ),
            wireLength: 54 + payload.count, time: time
        )
    }
}

@Suite("Flow table")
struct FlowTrackerTests {
    @Test("a whole connection: oriented by the SYN, both streams delivered, ended when closed and lingered")
    func wholeConnection() {
        let observer = RecordingObserver()
        let tracker = FlowTracker(observer: observer)
        tcp(tracker, seq: 100, flags: [.syn], at: seconds(0))
        tcp(tracker, from: serverAddress, 9000, to: clientAddress, 40000, seq: 500, flags: [.syn, .ack], at: seconds(0))
        tcp(tracker, seq: 101, flags: [.ack, .psh], "hello", at: seconds(1))
        tcp(tracker, from: serverAddress, 9000, to: clientAddress, 40000, seq: 501, flags: [.ack, .psh], "world", at: seconds(1))
        tcp(tracker, seq: 106, flags: [.fin, .ack], at: seconds(2))
        tcp(tracker, from: serverAddress, 9000, to: clientAddress, 40000, seq: 506, flags: [.fin, .ack], at: seconds(2))
        #expect(observer.started.count == 1)
        #expect(observer.started[0].client == clientAddress && observer.started[0].serverPort == 9000)
        #expect(observer.started[0].orientation == .handshake)
        let receiver = observer.receivers[0]
        #expect(String(decoding: receiver.streams.toServer, as: UTF8.self) == "hello")
        #expect(String(decoding: receiver.streams.toClient, as: UTF8.self) == "world")
        #expect(receiver.ends == PerDirection(1))
        #expect(tracker.statistics.closed == 1)
        #expect(observer.ended.isEmpty, "a closed flow lingers for late packets")
        tracker.advance(to: seconds(30))
        #expect(observer.ended.count == 1)
        #expect(observer.ended[0].reason == .closed)
        #expect(observer.ended[0].summary.packets == PerDirection(toServer: 3, toClient: 3))
        #expect(observer.ended[0].summary.streamBytes == PerDirection(toServer: 5, toClient: 5))
        #expect(tracker.activeFlows == 0)
    }

    @Test("a SYN on the 5-tuple of a closed flow starts a new flow")
    func portReuse() {
        let observer = RecordingObserver()
        let tracker = FlowTracker(observer: observer)
        tcp(tracker, seq: 100, flags: [.syn], at: seconds(0))
        tcp(tracker, seq: 101, flags: [.rst], at: seconds(1))
        tcp(tracker, seq: 9000, flags: [.syn], at: seconds(2))
        tcp(tracker, seq: 9001, flags: [.ack], "again", at: seconds(2))
        #expect(observer.started.count == 2)
        #expect(observer.ended.map(\.reason) == [.reused])
        #expect(String(decoding: observer.receivers[1].streams.toServer, as: UTF8.self) == "again")
        #expect(tracker.statistics.reused == 1)
    }

    @Test("idle flows time out in packet time, never by the wall clock")
    func idleTimeout() {
        var configuration = FlowTrackerConfiguration()
        configuration.tcpIdleTimeout = 60 * 1_000_000_000
        let observer = RecordingObserver()
        let tracker = FlowTracker(configuration: configuration, observer: observer)
        tcp(tracker, seq: 1, flags: [.ack], "a", at: seconds(0))
        tcp(tracker, from: clientAddress, 40001, seq: 1, flags: [.ack], "b", at: seconds(30))
        tcp(tracker, from: clientAddress, 40001, seq: 2, flags: [.ack], "c", at: seconds(59))
        #expect(observer.ended.isEmpty)
        tcp(tracker, from: clientAddress, 40002, seq: 1, flags: [.ack], "d", at: seconds(61))
        #expect(observer.ended.count == 1)
        #expect(observer.ended[0].flow.clientPort == 40000)
        #expect(observer.ended[0].reason == .timeout)
        #expect(tracker.statistics.timedOut == 1)
        tracker.finish()
        #expect(observer.ended.map(\.reason) == [.timeout, .shutdown, .shutdown])
    }

    @Test("a full table evicts the least recently active flow and counts it")
    func eviction() {
        var configuration = FlowTrackerConfiguration()
        configuration.maxFlows = 3
        let observer = RecordingObserver()
        let tracker = FlowTracker(configuration: configuration, observer: observer)
        for port in UInt16(1)...3 { tcp(tracker, from: clientAddress, 40000 + port, seq: 1, flags: [.ack], "x", at: seconds(Int64(port))) }
        tcp(tracker, from: clientAddress, 40001, seq: 2, flags: [.ack], "y", at: seconds(4))  // 40001 is fresh again
        tcp(tracker, from: clientAddress, 40004, seq: 1, flags: [.ack], "z", at: seconds(5))
        #expect(observer.ended.count == 1)
        #expect(observer.ended[0].flow.clientPort == 40002)
        #expect(observer.ended[0].reason == .evicted)
        #expect(tracker.activeFlows == 3)
        #expect(tracker.statistics.evicted == 1)
    }

    @Test("thousands of flows in and out of a small table keep the index consistent", arguments: [1, 2, 3])
    func churn(seed: UInt64) {
        var configuration = FlowTrackerConfiguration()
        configuration.maxFlows = 500
        let observer = RecordingObserver()
        let tracker = FlowTracker(configuration: configuration, observer: observer)
        var rng = SeededGenerator(seed: seed)
        var sent: [UInt16: Int] = [:]
        for step in 0..<20_000 {
            let port = UInt16.random(in: 1000...2999, using: &rng)
            let offset = sent[port, default: 0]
            tcp(tracker, from: clientAddress, port, seq: UInt32(offset + 1), flags: [.ack], "k", at: seconds(Int64(step / 100)))
            sent[port] = offset + 1
            #expect(tracker.activeFlows <= 500)
        }
        tracker.finish()
        #expect(tracker.activeFlows == 0)
        #expect(observer.started.count == observer.ended.count)
        // Every byte sent reached some flow's stream exactly once.
        let delivered = observer.receivers.reduce(0) { $0 + $1.streams.toServer.count + $1.streams.toClient.count }
        #expect(delivered == 20_000)
    }

    @Test("without a SYN, the orientation comes from ports", arguments: [
        (UInt16(40000), UInt16(80), true, FlowInfo.Orientation.privilegedPort),
        (UInt16(80), UInt16(40000), false, .privilegedPort),
        (UInt16(50000), UInt16(9000), true, .ephemeralPort),
        (UInt16(9000), UInt16(50000), false, .ephemeralPort),
        (UInt16(41205), UInt16(50000), false, .servicePort),
        (UInt16(20000), UInt16(21000), true, .firstPacket),
    ])
    func orientation(sourcePort: UInt16, destinationPort: UInt16, sourceIsClient: Bool, expected: FlowInfo.Orientation) {
        var configuration = FlowTrackerConfiguration()
        configuration.servicePorts = [41205]
        let observer = RecordingObserver()
        let tracker = FlowTracker(configuration: configuration, observer: observer)
        tcp(tracker, from: clientAddress, sourcePort, to: serverAddress, destinationPort, seq: 1, flags: [.ack, .psh], "data", at: seconds(0))
        let flow = observer.started[0]
        #expect(flow.orientation == expected)
        #expect(flow.client == (sourceIsClient ? clientAddress : serverAddress))
        #expect(flow.clientPort == (sourceIsClient ? sourcePort : destinationPort))
    }

    @Test("ending the flows a part at a time ends them in the order one finish() does")
    func finishInParts() {
        func fill(_ tracker: FlowTracker) {
            // Open TCP, closed TCP and UDP flows, touched in an order that differs from the lists'.
            for port in UInt16(1)...7 {
                tcp(tracker, from: clientAddress, 41000 + port, seq: 1, flags: [.ack], "x", at: seconds(Int64(port)))
                [UInt8(port)].withUnsafeBytes { payload in
                    tracker.process(TransportPacket(
                        source: clientAddress, destination: serverAddress, sourcePort: 52000 + port, destinationPort: 53,
                        transport: .udp, payload: payload
                    ), wireLength: 43, time: seconds(Int64(port)))
                }
            }
            for port in UInt16(1)...3 {
                tcp(tracker, from: clientAddress, 41000 + port, seq: 2, flags: [.fin, .ack], at: seconds(10))
                tcp(tracker, from: serverAddress, 9000, to: clientAddress, 41000 + port, seq: 1, flags: [.fin, .ack], at: seconds(10))
            }
            tcp(tracker, from: clientAddress, 41005, seq: 2, flags: [.ack], "y", at: seconds(11))
        }
        let whole = RecordingObserver()
        let wholeTracker = FlowTracker(observer: whole)
        fill(wholeTracker)
        wholeTracker.finish()

        let parts = RecordingObserver()
        let partsTracker = FlowTracker(observer: parts)
        fill(partsTracker)
        var calls = 0
        var done = false
        while !done {
            let before = parts.ended.count
            done = partsTracker.finish(atMost: 4)
            #expect(parts.ended.count - before <= 4)
            calls += 1
        }
        #expect(whole.ended.count == 14)
        #expect(calls == 4)
        #expect(partsTracker.activeFlows == 0)
        #expect(parts.ended.map { "\($0.flow.clientPort) \($0.reason)" } == whole.ended.map { "\($0.flow.clientPort) \($0.reason)" })
        #expect(partsTracker.finish(atMost: 4))
    }

    @Test("UDP datagrams are counted per flow and time out")
    func udp() {
        let observer = RecordingObserver()
        let tracker = FlowTracker(observer: observer)
        for (index, fromClient) in [true, false, true].enumerated() {
            [1, 2, 3].withUnsafeBytes { payload in
                tracker.process(TransportPacket(
                    source: fromClient ? clientAddress : serverAddress, destination: fromClient ? serverAddress : clientAddress,
                    sourcePort: fromClient ? 50000 : 53, destinationPort: fromClient ? 53 : 50000, transport: .udp, payload: payload
                ), wireLength: 45, time: seconds(Int64(index)))
            }
        }
        #expect(observer.receivers[0].datagrams == 3)
        tracker.advance(to: seconds(100))
        #expect(observer.ended.first?.summary.packets == PerDirection(toServer: 2, toClient: 1))
        #expect(tracker.statistics.udp == 1)
    }
}
