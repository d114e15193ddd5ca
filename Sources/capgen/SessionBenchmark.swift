import PacketCapture
import TestSupport

/// Where a benchmark session's TCP connection is: in its handshake (step 0-2: SYN, SYN-ACK,
/// ACK), open (the protocol's own phases), or in its close (step 0-2: FIN, FIN, ACK).
enum ConnectionStage {
    case opening(Int), open, closing(Int)
}

/// A session of the benchmark generators: a TCP connection that opens, carries its protocol's
/// phases while `stage` is `open`, and closes once a phase sets `stage` to `closing(0)`.
protocol BenchmarkSession: BenchmarkConnection {
    /// Where the session's connection is.
    var stage: ConnectionStage { get set }
}

/// What a session benchmark generator (FIX, CTP, TDX) wrote, beside its protocol's own counts.
struct SessionBenchmarkTotals {
    /// Sessions started.
    var sessions = 0
    /// Sessions closed with a FIN exchange.
    var closedSessions = 0
    /// The TCP side: packets, payload, reordering, retransmission.
    var segments = SegmentCounts()
    /// The file size.
    var fileBytes = 0

    /// The generator's line for the terminal: the file, its packets and sessions, then
    /// `messages` (the protocol's own counts), the traffic counts and the speed of writing.
    func line(path: String, seconds: Double, messages: String) -> String {
        let rate = seconds > 0 ? Double(fileBytes) / 1_048_576 / seconds : 0
        return """
            \(path): \(fileBytes) bytes, \(segments.packetText), \(sessions) sessions (\(closedSessions) closed), \
            \(messages), \(segments.trafficText); \(fixed(seconds, 1)) s, \(fixed(rate, 1)) MB/s
            """
    }
}

extension SegmentSender {
    /// The loop of the session benchmark generators: keeps `count` sessions open at once and
    /// steps one picked at random until the file reaches `targetBytes`, then closes the file.
    ///
    /// A step moves an opening or closing session's handshake or FIN exchange on, and hands an
    /// open one to `talk` (with its slot index) for one step of its protocol. A closed session's
    /// slot gets a new session from `newSession`, which is given the session's number (1 on).
    func runSessions<Session: BenchmarkSession>(
        count: Int, untilFileBytes targetBytes: Int, _ random: inout SeededGenerator,
        newSession: (_ number: Int, inout SeededGenerator) -> Session,
        talk: (inout Session, _ index: Int, inout SeededGenerator) -> Void
    ) throws(CaptureWriteError) -> SessionBenchmarkTotals {
        var totals = SessionBenchmarkTotals()
        func start(_ random: inout SeededGenerator) -> Session {
            totals.sessions += 1
            return newSession(totals.sessions, &random)
        }
        var sessions: [Session] = []
        sessions.reserveCapacity(count)
        for _ in 0..<count { sessions.append(start(&random)) }

        while writer.byteCount < targetBytes {
            let index = random.int(in: 0...(count - 1))
            var session = sessions[index]
            switch session.stage {
            case .opening(let step):
                open(&session, step: step, &random)
                session.stage = step < 2 ? .opening(step + 1) : .open
            case .open:
                talk(&session, index, &random)
            case .closing(let step):
                close(&session, step: step, &random)
                if step < 2 {
                    session.stage = .closing(step + 1)
                } else {
                    totals.closedSessions += 1
                    session = start(&random)
                }
            }
            sessions[index] = session
        }
        try writer.close()
        totals.segments = counts
        totals.fileBytes = writer.byteCount
        return totals
    }
}

extension Endpoint {
    /// The client endpoint of session `number` of a session benchmark: an address in the /16
    /// `network` (251 hosts, then the next block of 251 every 40 000 sessions) and a port from
    /// 20 000 on.
    static func benchmarkClient(_ number: Int, network: UInt32) -> Endpoint {
        Endpoint(
            address: IPAddress(ipv4: network &+ UInt32(truncatingIfNeeded: number / 40_000 * 251 + number % 251)),
            port: UInt16(20_000 + number % 40_000))
    }
}

extension SeededGenerator {
    /// Two random initial TCP sequence numbers, the client's then the server's.
    mutating func initialSequenceNumbers() -> (UInt32, UInt32) {
        (UInt32(truncatingIfNeeded: next()), UInt32(truncatingIfNeeded: next()))
    }
}
