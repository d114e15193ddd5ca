import PacketCapture
import TestSupport

/// What the FIX message queues need of a session: its MsgSeqNums, where its queues end, and the
/// numbers its messages carry.
protocol FIXQueuedSession {
    /// Next MsgSeqNum per side (0 client, 1 server).
    var fix: (Int, Int) { get set }
    /// Queued bytes per side in the side's queue (a burst is queued, then sent whole).
    var tail: (Int, Int) { get set }
    /// The client's number in its CompID (`CL<number>`).
    var clientNumber: Int { get }
    /// The gateway's number in its CompID (`BROKER<number>`).
    var gatewayNumber: Int { get }
    /// The account its orders are for (`ACC<account>`).
    var account: Int { get }
}

/// The outgoing FIX messages of the FIX benchmark generators (`FIXBenchmarkGenerator` and the
/// mixed benchmark's `MixedFIXSource`): two queues a session slot (client and server side) in one
/// slab, filled from the templates of `FIXBenchmarkGenerator` and sent whole.
///
/// Nothing is allocated per message: SendingTime is formatted once a second and its
/// milliseconds patched, and each message is written straight into its queue.
final class FIXMessageQueues {
    private typealias Generator = FIXBenchmarkGenerator

    /// The bytes of each queue.
    private static let regionSize = 8192
    private let templates = Generator.templates()
    private let slab: UnsafeMutablePointer<UInt8>
    /// Executions written so far (the ExecIDs).
    private var execID = 0
    /// SendingTime, `YYYYMMDD-HH:MM:SS.mmm`, and the second its first 18 bytes hold.
    private var timeText = [UInt8](repeating: UInt8(ascii: "0"), count: 21)
    private var cachedSecond = Int64.min

    /// Queues for `slots` session slots.
    init(slots: Int) {
        slab = UnsafeMutablePointer<UInt8>.allocate(capacity: slots * 2 * Self.regionSize)
    }

    deinit { slab.deallocate() }

    /// Appends one message of `kind` from `side` of the session in slot `index`, sent at `time`,
    /// to the side's queue (the template copied, its slots patched, BodyLength and CheckSum
    /// computed).
    func append(
        _ kind: FIXBenchmarkGenerator.Kind, _ session: inout some FIXQueuedSession, index: Int, side: Int,
        order: FIXBenchmarkGenerator.Order, time: Timestamp
    ) {
        let template = templates[kind.rawValue][side]
        let region = region(index, side: side)
        var tail = side == 0 ? session.tail.0 : session.tail.1
        precondition(tail + 512 <= Self.regionSize, "message queue overflow")
        let sequence = side == 0 ? session.fix.0 : session.fix.1
        if side == 0 { session.fix.0 += 1 } else { session.fix.1 += 1 }
        refreshTime(time)
        let end = Generator.writeMessage(
            template, sequence: sequence, client: session.clientNumber, server: session.gatewayNumber,
            account: session.account, order: order, timeText: timeText, execID: &execID, at: region + tail)
        tail = end - region
        if side == 0 { session.tail.0 = tail } else { session.tail.1 = tail }
    }

    /// Hands every byte queued on `side` of the session in slot `index` to `send` (their start,
    /// their count and the session) and empties the queue.
    func flush<Session: FIXQueuedSession>(
        _ session: inout Session, index: Int, side: Int, _ send: (UnsafeRawPointer, Int, inout Session) -> Void
    ) {
        send(UnsafeRawPointer(region(index, side: side)), side == 0 ? session.tail.0 : session.tail.1, &session)
        if side == 0 { session.tail.0 = 0 } else { session.tail.1 = 0 }
    }

    private func region(_ index: Int, side: Int) -> UnsafeMutablePointer<UInt8> {
        slab + (index * 2 + side) * Self.regionSize
    }

    private func refreshTime(_ time: Timestamp) {
        if time.seconds != cachedSecond {
            cachedSecond = time.seconds
            Generator.formatSecond(time.seconds, into: &timeText)
        }
        let milliseconds = Int(time.fraction / 1_000_000)
        timeText[18] = UInt8(ascii: "0") + UInt8(milliseconds / 100)
        timeText[19] = UInt8(ascii: "0") + UInt8(milliseconds / 10 % 10)
        timeText[20] = UInt8(ascii: "0") + UInt8(milliseconds % 10)
    }
}
