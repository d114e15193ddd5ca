import FlowTracking
import Foundation
import Inspector
import PacketCapture
import ProtocolKit
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The committed captures in `Captures/` (see `Captures/MANIFEST.md`).
enum CommittedCaptures {
    /// `Captures/`, found from this file's place in the package (three levels up is the root).
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Captures")

    /// The path of one committed capture.
    static func path(_ name: String) -> String {
        folder.appendingPathComponent(name).path
    }
}

/// A fresh folder in the temporary directory, removed with the object.
final class ScratchFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("tapsentry-e2e-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A path inside the folder.
    func file(_ name: String) -> String {
        path + "/" + name
    }

    /// Writes `bytes` to a file in the folder; returns its path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }
}

/// One EVE JSON line, parsed.
struct EVERecord {
    let object: [String: Any]
    /// The line as written.
    let line: String

    /// The value at a path of keys (each key taken whole: `["skipped", "link.truncated"]`).
    func value(_ keys: [String]) -> Any? {
        var current: Any? = object
        for key in keys {
            current = (current as? [String: Any])?[key]
        }
        return current
    }

    /// An integer at a path of keys.
    func int(_ keys: String...) -> Int? { Self.integer(value(keys)) }

    /// A string at a path of keys.
    func string(_ keys: String...) -> String? { value(keys) as? String }

    /// An integer at a dotted name split at its first dot (`tcp.gaps`, `skipped.link.truncated`).
    func int(dotted name: String) -> Int? {
        guard let dot = name.firstIndex(of: ".") else { return Self.integer(object[name]) }
        return Self.integer(value([String(name[..<dot]), String(name[name.index(after: dot)...])]))
    }

    var eventType: String? { object["event_type"] as? String }

    /// For a `stats` record: its counters (the `stats` object) with the record's `timestamp` and
    /// `event_type`, so that `int("capture", "packets")` reads `stats.capture.packets`.
    var statsCounters: EVERecord? {
        guard eventType == "stats", var counters = object["stats"] as? [String: Any] else { return nil }
        counters["timestamp"] = object["timestamp"]
        counters["event_type"] = object["event_type"]
        return EVERecord(object: counters, line: line)
    }

    static func integer(_ value: Any?) -> Int? {
        if let value = value as? Int { return value }
        if let value = value as? Bool { return value ? 1 : 0 }
        return (value as? NSNumber)?.intValue
    }

    /// The lines of an EVE file, each parsed as one JSON object.
    static func parse(_ text: String) throws -> [EVERecord] {
        try text.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            let record = try #require(object as? [String: Any], "not a JSON object: \(line)")
            return EVERecord(object: record, line: String(line))
        }
    }
}

/// What one in-process run of the analyzer gave.
struct AnalysisRun {
    var outcome: RunOutcome
    /// The EVE output, byte for byte.
    var eve: [UInt8]
    var records: [EVERecord]

    /// The `flow` records.
    var flows: [EVERecord] { records.filter { $0.eventType == "flow" } }
    /// The counters of the closing `stats` record (the last line), if it is there.
    var stats: EVERecord? { records.last?.statsCounters }
    /// The records of one event type.
    func events(_ type: String) -> [EVERecord] { records.filter { $0.eventType == type } }

    var errors: [CaptureError] {
        outcome.diagnostics.compactMap { if case .error(let error) = $0 { error } else { nil } }
    }

    var warnings: [(source: String, message: String)] {
        outcome.diagnostics.compactMap { if case .warning(let source, let message) = $0 { (source, message) } else { nil } }
    }

    /// The flow records' lines, sorted (to compare runs whatever the order of flow ends).
    var sortedFlowLines: [String] { flows.map(\.line).sorted() }
}

enum EndToEnd {
    /// Runs `Analyzer.run` on `inputs` with the EVE output in a temporary file, and reads it back.
    static func analyze(
        _ inputs: [String], configure: (inout InspectorConfiguration) -> Void = { _ in }
    ) throws -> AnalysisRun {
        let scratch = try ScratchFolder()
        var configuration = InspectorConfiguration()
        configuration.evePath = scratch.file("eve.json")
        configuration.messageEvents = true
        configure(&configuration)
        let outcome = try Analyzer.run(inputs: inputs, configuration: configuration, report: { _ in })
        let data = try Data(contentsOf: URL(fileURLWithPath: scratch.file("eve.json")))
        let records = try EVERecord.parse(String(decoding: data, as: UTF8.self))
        return AnalysisRun(outcome: outcome, eve: Array(data), records: records)
    }

    /// Analyzes frames written to a temporary pcap (nanosecond timestamps).
    static func analyze(
        frames: [TimedFrame], linkType: LinkType = .ethernet,
        configure: (inout InspectorConfiguration) -> Void = { _ in }
    ) throws -> AnalysisRun {
        let scratch = try ScratchFolder()
        let path = try scratch.write("frames.pcap", PcapWriter.fileBytes(frames, linkType: linkType, nanosecond: true))
        return try analyze([path], configure: configure)
    }

    /// Expects `run`'s output to be the golden file beside `capture` (`.golden.jsonl` for
    /// `.pcap`) byte for byte; with TAPSENTRY_UPDATE_GOLDEN=1 the file is written first.
    static func expectGolden(_ run: AnalysisRun, capture: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let goldenPath = CommittedCaptures.path(capture.replacingOccurrences(of: ".pcap", with: ".golden.jsonl"))
        if ProcessInfo.processInfo.environment["TAPSENTRY_UPDATE_GOLDEN"] == "1" {
            try Data(run.eve).write(to: URL(fileURLWithPath: goldenPath))
        }
        let golden = try #require(try? Data(contentsOf: URL(fileURLWithPath: goldenPath)),
                                  "no golden file \(goldenPath): run the tests once with TAPSENTRY_UPDATE_GOLDEN=1 and review it",
                                  sourceLocation: sourceLocation)
        #expect(Array(golden) == run.eve, "decode output of \(capture) differs from \(goldenPath)", sourceLocation: sourceLocation)
    }

    /// Pairs `records` with the frames of a truth file's `connections` (each with `client_ip`,
    /// `client_port` and `frames` carrying a `direction` and an `offset`): per connection and
    /// direction, the records must be as many as the frames and are checked one by one, in order,
    /// by `check(record, frame, connection, context)`. Expects every frame to have been paired.
    static func expectTruthFrames(
        _ records: [EVERecord], connections: [[String: Any]], label: String = "",
        sourceLocation: SourceLocation = #_sourceLocation,
        _ check: (EVERecord, [String: Any], [String: Any], String) throws -> Void
    ) throws {
        var total = 0
        for connection in connections {
            let clientIP = try #require(connection["client_ip"] as? String, sourceLocation: sourceLocation)
            let clientPort = try #require(connection["client_port"] as? Int, sourceLocation: sourceLocation)
            let frames = try #require(connection["frames"] as? [[String: Any]], sourceLocation: sourceLocation)
            for direction in ["to_server", "to_client"] {
                let want = frames.filter { $0["direction"] as? String == direction }
                let toServer = direction == "to_server"
                let have = records.filter { record in
                    record.string("direction") == direction
                        && record.string(toServer ? "src_ip" : "dest_ip") == clientIP
                        && record.int(toServer ? "src_port" : "dest_port") == clientPort
                }
                #expect(have.count == want.count, "\(label)\(clientIP):\(clientPort) \(direction)", sourceLocation: sourceLocation)
                for (mine, theirs) in zip(have, want) {
                    total += 1
                    try check(mine, theirs, connection, "\(label)\(clientIP):\(clientPort) \(direction) @\(theirs["offset"] ?? "")")
                }
            }
        }
        #expect(total == connections.reduce(0) { $0 + (($1["frames"] as? [Any])?.count ?? 0) }, sourceLocation: sourceLocation)
    }

    /// Suricata's timestamp text for nanoseconds since the epoch, computed with the C library
    /// (`gmtime_r`) rather than the code under test: UTC, microseconds floored.
    static func suricataTime(nanoseconds: Int64) -> String {
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000_000
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06d+0000",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(fraction / 1000))
    }
}

struct NotClassicPcap: Error {
    var magic: UInt32
}

/// A classic pcap file read without libpcap (to check the analyzer against the file itself).
struct ClassicPcap {
    struct Record {
        /// Nanoseconds since the epoch.
        var time: Int64
        var bytes: [UInt8]
        var wireLength: Int
    }

    var nanosecond: Bool
    var linkType: Int32
    var records: [Record]

    init(path: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ at: Int, _ swapped: Bool) -> UInt32 {
            let value = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            return swapped ? value.byteSwapped : value
        }
        try #require(bytes.count >= 24, "too short for a pcap header")
        let magic = u32(0, false)
        let swapped: Bool
        switch magic {
        case 0xA1B2_C3D4: (nanosecond, swapped) = (false, false)
        case 0xA1B2_3C4D: (nanosecond, swapped) = (true, false)
        case 0xD4C3_B2A1: (nanosecond, swapped) = (false, true)
        case 0x4D3C_B2A1: (nanosecond, swapped) = (true, true)
        default:
            throw NotClassicPcap(magic: magic)
        }
        linkType = Int32(bitPattern: u32(20, swapped) & 0x0FFF_FFFF)
        var offset = 24
        var records: [Record] = []
        while offset + 16 <= bytes.count {
            let seconds = Int64(u32(offset, swapped))
            let fraction = Int64(u32(offset + 4, swapped))
            let captured = Int(u32(offset + 8, swapped))
            let wire = Int(u32(offset + 12, swapped))
            guard offset + 16 + captured <= bytes.count else { break }
            records.append(Record(
                time: seconds * 1_000_000_000 + (nanosecond ? fraction : fraction * 1000),
                bytes: Array(bytes[(offset + 16)..<(offset + 16 + captured)]), wireLength: wire))
            offset += 16 + captured
        }
        self.records = records
    }
}

/// Every stream byte, gap and end the pipeline hands to decoders, per flow and direction.
final class StreamLog: Sendable {
    struct Stream: Equatable {
        var bytes: [UInt8] = []
        /// (stream offset, length) of each gap, the offset counting delivered and lost bytes.
        var gaps: [Gap] = []
        var ended = false
        var nextOffset: Int { bytes.count + gaps.reduce(0) { $0 + $1.length } }
    }

    struct Gap: Equatable, CustomStringConvertible {
        var offset: Int
        var length: Int
        var description: String { "\(length) B at \(offset)" }
    }

    struct FlowStreams {
        var flow: FlowInfo
        var toServer = Stream()
        var toClient = Stream()
    }

    private let flows = Mutex<[FlowStreams]>([])

    /// What was logged, in order of flow creation (as the decoder saw them).
    var all: [FlowStreams] { flows.withLock { $0 } }

    func start(_ flow: FlowInfo) -> Int {
        flows.withLock { list in
            list.append(FlowStreams(flow: flow))
            return list.count - 1
        }
    }

    func update(_ index: Int, _ direction: Direction, _ change: (inout Stream) -> Void) {
        flows.withLock { list in
            if direction == .toServer { change(&list[index].toServer) } else { change(&list[index].toClient) }
        }
    }
}

/// A decoder that takes every stream and logs what it receives (a "collect the stream" decoder).
struct StreamCollector: ProtocolDecoder {
    let log: StreamLog
    var name: String { "collect" }
    var servicePorts: [UInt16] { [] }

    func probe(_ bytes: RawSpan, direction: Direction) -> ProbeResult { .match }

    func makeSession(flow: FlowInfo, events: any EventSink) -> any DecoderSession {
        Session(log: log, index: log.start(flow))
    }

    final class Session: DecoderSession {
        let log: StreamLog
        let index: Int

        init(log: StreamLog, index: Int) {
            self.log = log
            self.index = index
        }

        func data(_ bytes: RawSpan, direction: Direction, time: Timestamp) {
            var copy = [UInt8](repeating: 0, count: bytes.byteCount)
            for offset in 0..<bytes.byteCount {
                copy[offset] = bytes.unsafeLoad(fromByteOffset: offset, as: UInt8.self)
            }
            log.update(index, direction) { $0.bytes += copy }
        }

        func gap(length: UInt64, direction: Direction, time: Timestamp) {
            log.update(index, direction) { $0.gaps.append(StreamLog.Gap(offset: $0.nextOffset, length: Int(length))) }
        }

        func end(direction: Direction, time: Timestamp) {
            log.update(index, direction) { $0.ended = true }
        }
    }
}
