import ProtocolKit
import TestSupport
import Testing

@testable import TDXProtocol

let tdxFlow = FlowInfo(
    client: IPAddress(ipv4: 0x0A1E_010B), clientPort: 54674, server: IPAddress(ipv4: 0x0A1E_0001), serverPort: 7709,
    transport: .tcp, id: 9, start: .zero, orientation: .handshake
)

/// One step of a session: bytes of a direction (at a packet time in seconds), a gap, or an end.
enum TDXStep {
    case data(Direction, [UInt8], seconds: Int64 = 0)
    case gap(Direction, UInt64)
}

/// Runs a session over `steps`, feeding data `chunk` bytes at a time; ends both directions.
func run(
    _ steps: [TDXStep], chunk: Int = Int.max, flow: FlowInfo = tdxFlow, interest: EventInterest = .all,
    options: TDXOptions = TDXOptions(), decoder: TDXDecoder? = nil
) -> CollectingEventSink {
    let sink = CollectingEventSink(interest: interest)
    let session = (decoder ?? TDXDecoder(options: options)).makeSession(flow: flow, events: sink)
    var last = Timestamp.zero
    for step in steps {
        switch step {
        case .data(let direction, let bytes, let seconds):
            last = Timestamp(seconds: 1_800_000_000 + seconds, nanoseconds: 0)
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + chunk)
                bytes[offset..<end].withUnsafeBytes { session.data($0.bytes, direction: direction, time: last) }
                offset = end
            }
        case .gap(let direction, let length):
            session.gap(length: length, direction: direction, time: last)
        }
    }
    session.end(direction: .toServer, time: last)
    session.end(direction: .toClient, time: last)
    return sink
}

/// A conversation as alternating client and server bytes.
func conversation(_ pairs: [([UInt8], [UInt8])]) -> [TDXStep] {
    pairs.flatMap { [TDXStep.data(.toServer, $0.0), TDXStep.data(.toClient, $0.1)] }
}

/// The probe's answer for `bytes`.
func probe(_ bytes: [UInt8], direction: Direction = .toServer) -> ProbeResult {
    bytes.withUnsafeBytes { TDXDecoder().probe($0.bytes, direction: direction) }
}

func hex(_ text: String) -> [UInt8] { TDXFrameBuilder.hex(text) }

extension TradingEvent {
    /// The `tdx` record's members.
    var tdx: [(String, FieldValue)] {
        if case .object(let members)? = record { return members }
        return []
    }

    /// A member of the `tdx` record.
    func tdx(_ key: String) -> FieldValue? { tdx.first { $0.0 == key }?.1 }

    /// A member of the record's `body`.
    func body(_ key: String) -> FieldValue? { tdx("body")?[member: key] }

    /// The record's anomalies, or the anomaly event's names.
    var anomalyNames: [String] {
        if case .array(let values)? = tdx("anomalies") {
            return values.compactMap { if case .string(let name) = $0 { name } else { nil } }
        }
        return []
    }

    /// The record's command name.
    var commandName: String? { if case .string(let name)? = tdx("command_name") { name } else { nil } }
}

extension FieldValue {
    var double: Double? {
        switch self {
        case .double(let value): value
        case .int(let value): Double(value)
        case .uint(let value): Double(value)
        default: nil
        }
    }

    var elements: [FieldValue] { if case .array(let values) = self { values } else { [] } }
}

extension CollectingEventSink {
    /// Every anomaly name of the events (records and anomaly events).
    var anomalyNames: [String] {
        events.flatMap { event -> [String] in
            if event.kind == .anomaly, case .string(let name)? = event[field: "anomaly"] { return [name] }
            return event.anomalyNames
        }
    }

    /// The counters of the `tdx` protocol.
    func counter(_ name: String) -> UInt64 { counters["tdx.\(name)"] ?? 0 }
}

/// A small pytdx-like session: set-up, a count, a quote batch answered compressed, bars, a heartbeat.
enum TDXSessions {
    static let codes: [(UInt8, String)] = (0..<30).map { index in (UInt8(index % 2), String(600_000 + index * 7)) }

    static func quotes(_ codes: [(UInt8, String)], shift: Int64 = 0) -> [TDXFrameBuilder.Quote] {
        codes.enumerated().map { index, entry in
            let price = 1000 + Int64(index) * 37 + shift
            return TDXFrameBuilder.Quote(
                market: entry.0, code: entry.1, price: price, lastClose: price - 12, open: price - 5, high: price + 20,
                low: price - 30, volume: 100_000 + Int64(index) * 991, amount: Float(price) * 1000,
                bids: (1...5).map { (price - $0, Int64($0) * 100) }, asks: (1...5).map { (price + $0, Int64($0) * 150) })
        }
    }

    static var pytdx: [TDXStep] {
        let setupReplies: [[UInt8]] = [
            TDXFrameBuilder.reply(sequence: 0x0093_1802, command: 0x000D, body: [1] + [UInt8](repeating: 0, count: 90)),
            TDXFrameBuilder.reply(sequence: 0x0094_1802, command: 0x000D, body: [2] + [UInt8](repeating: 0, count: 90)),
            TDXFrameBuilder.reply(sequence: 0x0099_1803, command: 0x0FDB, body: [UInt8](repeating: 0x20, count: 244)),
        ]
        var steps = conversation(Array(zip(TDXFrameBuilder.pytdxSetup, setupReplies)))
        steps += conversation([
            (
                TDXFrameBuilder.request(sequence: 0x006C_180C, command: 0x044E, body: hex("00 00 75 c7 33 01")),
                TDXFrameBuilder.reply(sequence: 0x006C_180C, command: 0x044E, body: hex("7e 04"))
            ),
            (
                TDXFrameBuilder.quotesRequest(codes),
                TDXFrameBuilder.reply(sequence: 0x0063_2001, command: 0x053E, body: TDXFrameBuilder.quotesBody(quotes(codes)), compress: true)
            ),
        ])
        steps.append(.data(.toServer, TDXFrameBuilder.request(sequence: 0x006C_180C, command: 0x044E, body: hex("01 00 75 c7 33 01")), seconds: 12))
        steps.append(.data(.toClient, TDXFrameBuilder.reply(sequence: 0x006C_180C, command: 0x044E, body: hex("10 04")), seconds: 12))
        return steps
    }
}
