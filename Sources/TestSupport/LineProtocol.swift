import ProtocolKit

/// A toy protocol for tests of the decoder contract and the pipeline: streams that start with
/// `HELLO`, one `message` event per text line (field `line`), an `anomaly` per gap (field
/// `gap_length`; the line the gap cut gives no event) and a `logout` when a direction ends.
package struct LineProtocolDecoder: ProtocolDecoder {
    /// Ports the toy servers listen on.
    package var ports: [UInt16]
    /// Called when a direction of a flow ends (for tests that wait on the pipeline from another thread).
    package var onEnd: (@Sendable (Direction) -> Void)?

    /// A decoder whose servers listen on `ports`.
    package init(ports: [UInt16] = [7777], onEnd: (@Sendable (Direction) -> Void)? = nil) {
        self.ports = ports
        self.onEnd = onEnd
    }

    package var name: String { "lines" }
    package var servicePorts: [UInt16] { ports }

    package func probe(_ bytes: RawSpan, direction: Direction) -> ProbeResult {
        let magic = Array("HELLO".utf8)
        let count = min(bytes.byteCount, magic.count)
        for index in 0..<count where bytes.unsafeLoad(fromByteOffset: index, as: UInt8.self) != magic[index] {
            return .noMatch
        }
        return count == magic.count ? .match : .needMoreData
    }

    package func makeSession(flow: FlowInfo, events: any EventSink) -> any DecoderSession {
        LineProtocolSession(flow: flow, events: events, onEnd: onEnd)
    }
}

/// One flow of the toy line protocol.
package final class LineProtocolSession: DecoderSession {
    private let flow: FlowInfo
    private let events: any EventSink
    private let onEnd: (@Sendable (Direction) -> Void)?
    private var pending = PerDirection<[UInt8]>([])
    private var resyncing = PerDirection(false)

    init(flow: FlowInfo, events: any EventSink, onEnd: (@Sendable (Direction) -> Void)?) {
        self.flow = flow
        self.events = events
        self.onEnd = onEnd
    }

    package func data(_ bytes: RawSpan, direction: Direction, time: Timestamp) {
        for index in 0..<bytes.byteCount {
            let byte = bytes.unsafeLoad(fromByteOffset: index, as: UInt8.self)
            if byte == UInt8(ascii: "\n") {
                if !resyncing[direction] {
                    events.emit(TradingEvent(
                        time: time, flow: flow, direction: direction, protocolName: "lines", kind: .message,
                        fields: [("line", .string(String(decoding: pending[direction], as: UTF8.self)))]
                    ))
                }
                resyncing[direction] = false
                pending[direction].removeAll()
            } else {
                pending[direction].append(byte)
            }
        }
    }

    package func gap(length: UInt64, direction: Direction, time: Timestamp) {
        pending[direction].removeAll()
        resyncing[direction] = true
        events.emit(TradingEvent(
            time: time, flow: flow, direction: direction, protocolName: "lines", kind: .anomaly,
            fields: [("anomaly", .string("stream_gap")), ("gap_length", .uint(length))]
        ))
    }

    package func end(direction: Direction, time: Timestamp) {
        events.emit(TradingEvent(time: time, flow: flow, direction: direction, protocolName: "lines", kind: .logout))
        onEnd?(direction)
    }
}
