import Foundation
import Inspector
import PacketCapture
import ProtocolKit
import TestSupport
import Testing

/// Flow-sharded workers (`--workers N`): the records of a run do not depend on N.
@Suite("Flow-sharded workers")
struct WorkerTests {
    /// Runs `inputs` with `workers` workers, the built-in rules and the scenarios' site registry,
    /// writing flow and per-message records too.
    static func run(_ inputs: [String], workers: Int, events: Bool = true, endsProcess: Bool = false) throws -> AnalysisRun {
        let folder = ScenarioTests.folder
        let rules = try RuleConfiguration.load(builtIn: true, paths: [], sitePath: folder + "/" + ScenarioTests.manifest.site)
        return try EndToEnd.analyze(inputs) { configuration in
            configuration.detector.decoders = configuration.builtInDecoders
            configuration.messageEvents = events
            configuration.rules = rules
            configuration.workers = workers
            configuration.processEndsWithRun = endsProcess
        }
    }

    /// The lines of a run's output, with the two figures that depend on the number of workers
    /// (`flows.active_peak` and `tcp.memory_peak`: with several tables, the sums of their peaks)
    /// taken out of the stats.
    static func lines(_ run: AnalysisRun) -> [String] {
        String(decoding: run.eve, as: UTF8.self).split(separator: "\n").map { line in
            guard line.contains("\"event_type\":\"stats\"") else { return String(line) }
            return String(line).replacing(/"(active_peak|memory_peak)":\d+/) { "\"\($0.output.1)\":_" }
        }
    }

    /// The first line where `many` differs from `one` (nil: the same lines).
    static func firstDifference(_ many: AnalysisRun, _ one: AnalysisRun) -> String? {
        let a = lines(one)
        let b = lines(many)
        for index in 0..<max(a.count, b.count) where index >= a.count || index >= b.count || a[index] != b[index] {
            return "line \(index + 1):\n  one: \(index < a.count ? a[index] : "(none)")\n  many: \(index < b.count ? b[index] : "(none)")"
        }
        return nil
    }

    @Test("every scenario together: alerts byte for byte the same with 1, 2 and 4 workers, and every other record too")
    func scenariosAreTheSame() throws {
        let inputs = ScenarioTests.manifest.scenarios.map { ScenarioTests.folder + "/" + $0.capture }
        #expect(inputs.count == 9)
        let one = try Self.run(inputs, workers: 1)
        let alerts = one.events("alert")
        // Every expected alert of every scenario, and no more (the scenarios' rules span flows:
        // accounts across sessions, one AppID across networks, quote fan-out across consumers).
        let expected = ScenarioTests.manifest.scenarios.flatMap(\.expected_alerts).map(\.signature_id).sorted()
        #expect(alerts.compactMap { $0.int("alert", "signature_id") }.sorted() == expected)
        #expect(one.events("flow").count >= 19)
        for workers in [2, 4] {
            let many = try Self.run(inputs, workers: workers)
            #expect(many.events("alert").map(\.line) == alerts.map(\.line), "alerts with \(workers) workers")
            let difference = Self.firstDifference(many, one)
            #expect(difference == nil, "records with \(workers) workers")
        }
    }

    @Test("a run that leaves its state for the process's exit to take back (the command line) writes every record first")
    func stateLeftToExit() throws {
        let inputs = ScenarioTests.manifest.scenarios.map { ScenarioTests.folder + "/" + $0.capture }
        let freed = try Self.run(inputs, workers: 1, events: false)
        #expect(!freed.events("alert").isEmpty)
        for workers in [1, 2] {
            let left = try Self.run(inputs, workers: workers, events: false, endsProcess: true)
            let difference = Self.firstDifference(left, freed)
            #expect(difference == nil, "\(workers) workers")
        }
    }

    @Test("every committed capture gives the same records with 1 and 3 workers (fragments, damaged files, gaps)")
    func committedCapturesAreTheSame() throws {
        let root = CommittedCaptures.folder.path
        let files = try FileManager.default.subpathsOfDirectory(atPath: root)
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
        #expect(files.count > 40)
        for file in files {
            let path = root + "/" + file
            let one = try Self.run([path], workers: 1)
            let three = try Self.run([path], workers: 3)
            let difference = Self.firstDifference(three, one)
            #expect(difference == nil, "\(file)")
            #expect(three.outcome.diagnostics.count == one.outcome.diagnostics.count, "\(file)")
        }
    }

    @Test("more flows open at the end of the capture than a worker ends at a time: the same records with 1 and 2 workers")
    func manyFlowsAtTheEnd() throws {
        // UDP and TCP flows that stay open to the end, interleaved, so that each worker's end
        // comes in several parts and the merge interleaves the parts of both.
        let builder = FrameBuilder()
        var frames: [TimedFrame] = []
        for index in 0..<2_600 {
            let client = Endpoint(address: IPAddress(ipv4: 0x0A01_0000 | UInt32(index)), port: 40_000 + UInt16(index))
            let time = Timestamp(nanoseconds: 1_700_000_000_000_000_000 + Int64(index) * 1_000_000)
            if index % 2 == 0 {
                frames.append((time, builder.udp(from: client, to: Endpoint("10.9.0.53", 53), payload: [UInt8(index & 0xFF)])))
            } else {
                frames.append((time, builder.tcp(
                    from: client, to: Endpoint("10.9.0.80", 8080), sequence: 1, acknowledgement: 1, flags: [.ack, .psh],
                    payload: Array("x".utf8))))
            }
        }
        let one = try EndToEnd.analyze(frames: frames) { $0.workers = 1 }
        let two = try EndToEnd.analyze(frames: frames) { $0.workers = 2 }
        #expect(one.events("flow").count == 2_600)
        #expect(Self.firstDifference(two, one) == nil)
    }

    @Test("one worker with records for long while the other has none: the merge does not wait for the idle one")
    func oneWorkerQuiet() throws {
        // One flow, so one worker, with an event record in every segment, for more batches than
        // the queues and the batch pool hold together: a merge that waited for a record of the
        // other worker before taking these deadlocks, and the test never returns (a time limit
        // would not help: it cannot stop threads blocked on a lock).
        var conversation = TCPConversation(
            client: Endpoint("10.20.0.1", 40000), server: Endpoint("10.20.0.2", 7777), maximumSegmentSize: 12)
        conversation.handshake()
        conversation.send(from: .client, Array("HELLO desk 7\n".utf8))
        for index in 0..<60_000 { conversation.send(from: .client, Array("BUY \(index % 1000) X\n".utf8)) }
        conversation.close()
        let frames = conversation.frames()
        let configure: (Int) -> (inout InspectorConfiguration) -> Void = { workers in
            { $0.detector = ProtocolDetector(decoders: [TradingLineDecoder()]); $0.workers = workers }
        }
        let one = try EndToEnd.analyze(frames: frames, configure: configure(1))
        let two = try EndToEnd.analyze(frames: frames, configure: configure(2))
        #expect(one.records.count > 60_000)
        #expect(Self.firstDifference(two, one) == nil)
    }

    @Test("two runs with the same number of workers give the same output byte for byte, stats record included")
    func runsRepeat() throws {
        let inputs = [CommittedCaptures.path("fix/synthetic-fix-edgecases.pcap")]
            + ScenarioTests.manifest.scenarios.map { ScenarioTests.folder + "/" + $0.capture }
        for workers in [2, 3] {
            let first = try Self.run(inputs, workers: workers)
            let second = try Self.run(inputs, workers: workers)
            #expect(first.eve == second.eve, "\(workers) workers")
        }
    }

    @Test("the counts of a sharded run add up to those of one worker")
    func countsAddUp() throws {
        let inputs = ScenarioTests.manifest.scenarios.map { ScenarioTests.folder + "/" + $0.capture }
        let one = try Self.run(inputs, workers: 1, events: false).outcome.statistics
        let two = try Self.run(inputs, workers: 2, events: false).outcome.statistics
        #expect(two.packets == one.packets)
        #expect(two.bytes == one.bytes)
        #expect(two.flows.tcp == one.flows.tcp)
        #expect(two.flows.closed == one.flows.closed)
        #expect(two.tcp == one.tcp)
        #expect(two.events == one.events)
        #expect(two.recordsWritten == one.recordsWritten)
        #expect(two.alerts?.engine.alerts == one.alerts?.engine.alerts)
        #expect(two.files == one.files)
    }
}
