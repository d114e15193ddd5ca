import ProtocolKit

/// One direction's framing state.
struct TDXStreamState {
    /// Where the direction stands against the framing.
    var sync = FrameSync()
}

/// A request waiting for its reply.
struct TDXPendingRequest {
    var sequence: UInt32
    var command: UInt16
    var time: Timestamp
    /// Whether it was a heartbeat (its reply is one too).
    var heartbeat: Bool
    /// What its reply is read against (kept only when someone wants events).
    var context: TDXRequestContext?
}

/// The requests of a flow waiting for replies, oldest first. Clients keep one or a few
/// outstanding, and a command's sequence id may repeat (pytdx's ids are constants), so a reply
/// takes the oldest request with its sequence id and command.
struct TDXPendingRequests {
    private var items: [TDXPendingRequest] = []

    var count: Int { items.count }

    /// Adds a request; returns true when the oldest had to be forgotten to stay within `limit`.
    mutating func push(_ request: TDXPendingRequest, limit: Int) -> Bool {
        items.append(request)
        guard items.count > max(1, limit) else { return false }
        items.removeFirst()
        return true
    }

    /// Takes the oldest request with this sequence id and command.
    @inline(__always)
    mutating func take(sequence: UInt32, command: UInt16) -> TDXPendingRequest? {
        if let first = items.first, first.sequence == sequence && first.command == command {
            return items.removeFirst()
        }
        guard let index = items.firstIndex(where: { $0.sequence == sequence && $0.command == command }) else { return nil }
        return items.remove(at: index)
    }
}
