import ProtocolKit
import TestSupport
import Testing

@testable import CTPProtocol

let sampleFlow = FlowInfo(
    client: IPAddress(ipv4: 0x0A00_0001), clientPort: 40000, server: IPAddress(ipv4: 0x0A00_0002), serverPort: 41205,
    transport: .tcp, id: 7, start: .zero, orientation: .handshake
)

/// What a stream turned into, one step of the session API at a time.
enum StreamStep {
    case data(Direction, [UInt8])
    case gap(Direction, UInt64)
}

/// Runs a session over `streams` (direction, bytes) fed `chunk` bytes at a time; returns the sink.
func decode(
    _ streams: [(Direction, [UInt8])], chunk: Int = Int.max, flow: FlowInfo = sampleFlow,
    interest: EventInterest = .all, options: CTPOptions = CTPOptions()
) -> CollectingEventSink {
    run(streams.map { StreamStep.data($0.0, $0.1) }, chunk: chunk, flow: flow, interest: interest, options: options)
}

/// Runs a session over `steps` (data fed `chunk` bytes at a time, gaps); ends both directions.
func run(
    _ steps: [StreamStep], chunk: Int = Int.max, flow: FlowInfo = sampleFlow, interest: EventInterest = .all,
    options: CTPOptions = CTPOptions()
) -> CollectingEventSink {
    let sink = CollectingEventSink(interest: interest)
    let session = CTPDecoder(options: options).makeSession(flow: flow, events: sink)
    for step in steps {
        switch step {
        case .data(let direction, let bytes):
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + chunk)
                bytes[offset..<end].withUnsafeBytes { session.data($0.bytes, direction: direction, time: .zero) }
                offset = end
            }
        case .gap(let direction, let length):
            session.gap(length: length, direction: direction, time: .zero)
        }
    }
    session.end(direction: .toServer, time: .zero)
    session.end(direction: .toClient, time: .zero)
    return sink
}

/// The probe's answer for `bytes`.
func probe(_ bytes: [UInt8], direction: Direction = .toServer) -> ProbeResult {
    bytes.withUnsafeBytes { CTPDecoder().probe($0.bytes, direction: direction) }
}

/// Zero-run decompression through the decoder's routine.
func decompress(_ bytes: [UInt8], capacity: Int = CTPLimits.maxMessage) -> (bytes: [UInt8], status: CTPZeroRun.Status) {
    let output = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + CTPZeroRun.slack)
    defer { output.deallocate() }
    let (count, status) = bytes.withUnsafeBytes { CTPZeroRun.decompress($0, into: output, capacity: capacity) }
    return (Array(UnsafeBufferPointer(start: output, count: count)), status)
}

/// Parses a hex string with spaces (`"02 00 00 13"`).
func hex(_ text: String) -> [UInt8] {
    text.split(separator: " ").compactMap { UInt8($0, radix: 16) }
}

extension TradingEvent {
    /// The `ctp` record's members.
    var ctp: [(String, FieldValue)] {
        if case .object(let members)? = record { return members }
        return []
    }

    /// A member of the `ctp` record.
    func ctp(_ key: String) -> FieldValue? { ctp.first { $0.0 == key }?.1 }

    /// The record's `fields` object.
    var ctpFields: [(String, FieldValue)] {
        if case .object(let members)? = ctp("fields") { return members }
        return []
    }

    /// Member `member` of the record's field `field` (the first, when repeated).
    func field(_ field: String, _ member: String) -> FieldValue? {
        var value = ctpFields.first { $0.0 == field }?.1
        if case .array(let entries)? = value { value = entries.first }
        guard case .object(let members)? = value else { return nil }
        return members.first { $0.0 == member }?.1
    }

    /// The message's anomalies (record), or the anomaly event's name.
    var anomalyNames: [String] {
        if case .array(let values)? = ctp("anomalies") {
            return values.compactMap { if case .string(let name) = $0 { name } else { nil } }
        }
        return []
    }

    /// The record's TID.
    var tid: String? { if case .string(let tid)? = ctp("tid") { tid } else { nil } }
}

/// The sample sessions of TestSupport as one stream per direction.
enum CTPConversations {
    static func streams(_ steps: [(CTPSampleSessions.Sender, [UInt8])]) -> [(Direction, [UInt8])] {
        [
            (.toServer, steps.filter { $0.0 == .client }.flatMap(\.1)),
            (.toClient, steps.filter { $0.0 == .server }.flatMap(\.1)),
        ]
    }

    static var trader: [(Direction, [UInt8])] { streams(CTPSampleSessions.trader) }
    static var marketData: [(Direction, [UInt8])] { streams(CTPSampleSessions.marketData) }
    static var order: CTPStructs.Order { CTPSampleSessions.order }
    static func terminalBlob(_ seed: UInt64) -> [UInt8] { CTPSampleSessions.terminalBlob(seed) }
}
