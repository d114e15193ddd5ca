import Dispatch
import Foundation
import Inspector
import PacketCapture
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Inputs that are missing, not captures, empty, cut short or garbage: each is reported, the
/// others are still read, the exit status says whether any input could not be used, and nothing
/// crashes or hangs.
@Suite("Bad inputs to tapsentry analyze")
struct BadInputTests {
    static let good = CommittedCaptures.path("loopback-tcp.pcap")
    static let notACapture = CommittedCaptures.path("synthetic-not-a-capture.pcap")
    static let truncated = CommittedCaptures.path("synthetic-truncated.pcap")

    // MARK: - In process

    @Test("a missing file is an error naming it; the stats record is still written")
    func missingFile() throws {
        let scratch = try ScratchFolder()
        let missing = scratch.file("nowhere.pcap")
        let run = try EndToEnd.analyze([missing])
        #expect(run.outcome.exitStatus == 2)
        #expect(run.errors.map(\.code) == [.cannotOpen])
        #expect(run.errors.first?.source == missing)
        #expect(run.warnings.isEmpty)
        let stats = try #require(run.stats)
        #expect(run.records.count == 1)
        #expect(stats.int("capture", "packets") == 0)
        #expect(stats.int("capture", "files_failed") == 1)
    }

    @Test("a text file named .pcap is not a capture: an error naming it")
    func textFile() throws {
        let run = try EndToEnd.analyze([Self.notACapture])
        #expect(run.outcome.exitStatus == 2)
        #expect(run.errors.map(\.code) == [.notACapture])
        #expect(run.errors.first?.source == Self.notACapture)
        #expect(run.stats?.int("capture", "files_failed") == 1)
    }

    @Test("an empty file is not a capture: an error naming it")
    func emptyFile() throws {
        let scratch = try ScratchFolder()
        let empty = try scratch.write("empty.pcap", [])
        let run = try EndToEnd.analyze([empty])
        #expect(run.outcome.exitStatus == 2)
        #expect(run.errors.map(\.code) == [.notACapture])
        #expect(run.errors.first?.source == empty)
        #expect(run.stats?.int("capture", "packets") == 0)
    }

    @Test("a truncated capture: every complete record read, a warning naming the file, exit status 0")
    func truncatedCapture() throws {
        let run = try EndToEnd.analyze([Self.truncated])
        #expect(run.outcome.exitStatus == 0)
        #expect(run.errors.isEmpty)
        #expect(run.warnings.count == 1)
        #expect(run.warnings.first?.source == Self.truncated)
        #expect(run.warnings.first?.message.contains("truncated") == true)
        #expect(run.stats?.int("capture", "packets") == 5)
        let flow = try #require(run.flows.first)
        #expect(flow.int("tcp", "stream_bytes_toserver") == 300)
        #expect(flow.int("tcp", "stream_bytes_toclient") == 0)
    }

    @Test("good, missing and not-a-capture together: two errors in order, the good file read in full, exit status 2")
    func mixedInputs() throws {
        let scratch = try ScratchFolder()
        let missing = scratch.file("missing.pcap")
        let run = try EndToEnd.analyze([Self.good, missing, Self.notACapture])
        let alone = try EndToEnd.analyze([Self.good])
        #expect(run.outcome.exitStatus == 2)
        #expect(run.errors.map(\.code) == [.cannotOpen, .notACapture])
        #expect(run.errors.map(\.source) == [missing, Self.notACapture])
        #expect(run.sortedFlowLines == alone.sortedFlowLines)
        #expect(run.flows.count == 1)
        let stats = try #require(run.stats)
        #expect(stats.int("capture", "packets") == 14)
        #expect(stats.int("capture", "files") == 1)
        #expect(stats.int("capture", "files_failed") == 2)
    }

    @Test("a folder of captures and a README: the captures read, the README skipped with a warning, exit status 0")
    func folderWithReadme() throws {
        let scratch = try ScratchFolder()
        for name in ["loopback-tcp.pcap", "synthetic-raw.pcap"] {
            try FileManager.default.copyItem(atPath: CommittedCaptures.path(name), toPath: scratch.file(name))
        }
        try scratch.write("README", Array("captures of the night shift\n".utf8))
        let run = try EndToEnd.analyze([scratch.path])
        #expect(run.outcome.exitStatus == 0)
        #expect(run.errors.isEmpty)
        #expect(run.warnings.count == 1)
        #expect(run.warnings.first?.source == scratch.path)
        #expect(run.warnings.first?.message.contains("README") == true)
        #expect(run.stats?.int("capture", "files") == 2)
        #expect(run.stats?.int("capture", "packets") == 14 + 21)
        #expect(run.flows.count == 3)
    }

    @Test("a directory given as an input is read as a folder; an empty one is a warning, not an error")
    func emptyDirectory() throws {
        let scratch = try ScratchFolder()
        let run = try EndToEnd.analyze([scratch.path])
        #expect(run.outcome.exitStatus == 0)
        #expect(run.errors.isEmpty)
        #expect(run.warnings.map(\.source) == [scratch.path])
        #expect(run.stats?.int("capture", "files") == 0)
    }

    // MARK: - The binary

    struct BinaryCase: Sendable, CustomTestStringConvertible {
        var name: String
        var inputs: [String]
        var exitStatus: Int32
        /// Files named by `error:` lines, in order.
        var errors: [String]
        /// Files named by `warning:` lines, in order.
        var warnings: [String]
        var flows: Int
        var packets: Int
        var testDescription: String { name }
    }

    static let missingPath = "/nonexistent/tapsentry-e2e/missing.pcap"

    static let binaryCases: [BinaryCase] = [
        BinaryCase(
            name: "good + missing + not a capture", inputs: [good, missingPath, notACapture], exitStatus: 2,
            errors: [missingPath, notACapture], warnings: [], flows: 1, packets: 14),
        BinaryCase(name: "missing only", inputs: [missingPath], exitStatus: 2, errors: [missingPath], warnings: [], flows: 0, packets: 0),
        BinaryCase(name: "truncated", inputs: [truncated], exitStatus: 0, errors: [], warnings: [truncated], flows: 1, packets: 5),
        BinaryCase(
            name: "truncated + good", inputs: [truncated, good], exitStatus: 0, errors: [], warnings: [truncated], flows: 2,
            packets: 19),
    ]

    @Test("the tapsentry binary: exit status, one stderr line per problem naming the file, records on stdout", arguments: binaryCases)
    func binary(_ test: BinaryCase) throws {
        let executable = try #require(TapSentryExecutable.locate(), "tapsentry binary not built")
        let scratch = try ScratchFolder()
        try scratch.write("out", [])
        try scratch.write("err", [])
        let process = Process()
        process.executableURL = executable
        process.arguments = ["analyze"] + test.inputs + ["--eve", "-", "--quiet", "--no-progress"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.file("out")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.file("err")))
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        guard exited.wait(timeout: .now() + 60) == .success else {  // a bound against hangs
            process.terminate()
            Issue.record("tapsentry did not exit")
            return
        }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == test.exitStatus)

        let stderr = try String(contentsOfFile: scratch.file("err"), encoding: .utf8)
        let lines = stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == test.errors.count + test.warnings.count, "stderr: \(stderr)")
        let errorLines = lines.filter { $0.hasPrefix("error: ") }
        let warningLines = lines.filter { $0.hasPrefix("warning: ") }
        #expect(errorLines.count == test.errors.count)
        for (line, file) in zip(errorLines, test.errors) {
            #expect(line.hasPrefix("error: \"\(file)\": "), "\(line)")
        }
        #expect(warningLines.count == test.warnings.count)
        for (line, file) in zip(warningLines, test.warnings) {
            #expect(line.hasPrefix("warning: \"\(file)\": "), "\(line)")
        }

        let stdout = try String(contentsOfFile: scratch.file("out"), encoding: .utf8)
        let records = try EVERecord.parse(stdout)
        #expect(records.filter { $0.eventType == "flow" }.count == test.flows)
        let stats = try #require(records.last?.statsCounters, "no stats record last")
        #expect(stats.int("capture", "packets") == test.packets)
        #expect(stats.int("capture", "files_failed") == test.errors.count)
    }

    // MARK: - Garbage

    /// Runs the analyzer on `path` on its own thread; returns what went wrong (empty: nothing),
    /// and the packets read are `packets`. The wait is a bound against hangs, not a verdict on speed.
    static func survives(_ path: String, packets: Int? = nil) -> [String] {
        let job = LiveTestThread<[String]>(name: "garbage") {
            do {
                let run = try EndToEnd.analyze([path])
                var problems: [String] = []
                if ![0, 2].contains(run.outcome.exitStatus) { problems.append("exit status \(run.outcome.exitStatus)") }
                guard let stats = run.stats else { return problems + ["no stats record"] }
                if stats.int("capture", "packets") != Int(run.outcome.statistics.packets) { problems.append("packet counts differ") }
                if run.outcome.exitStatus == 0 && !run.errors.isEmpty { problems.append("errors with exit status 0") }
                if let packets, stats.int("capture", "packets") != packets {
                    problems.append("\(stats.int("capture", "packets") ?? -1) packets read, not \(packets)")
                }
                return problems
            } catch {
                return ["threw \(error)"]
            }
        }
        guard let problems = job.wait(seconds: 60) else { return ["did not finish: \(path)"] }
        return problems
    }

    static let fuzzLinkTypes: [LinkType] = [.ethernet, .linktypeRaw, .null, .loop, .linuxSLL, .linuxSLL2, .ipv4, .ipv6]

    @Test("random bytes after a valid pcap header never crash or hang", arguments: fuzzLinkTypes.map(\.rawValue))
    func randomAfterHeader(_ linkType: Int32) throws {
        let scratch = try ScratchFolder()
        for seed in 1...4 as ClosedRange<UInt64> {
            var random = SeededGenerator(seed: seed &* 7919 &+ UInt64(linkType))
            let header = PcapWriter(linkType: LinkType(rawValue: linkType), nanosecond: seed % 2 == 0).bytes
            let path = try scratch.write("random-\(seed).pcap", header + random.bytes(count: random.int(in: 0...6000)))
            #expect(Self.survives(path) == [], "seed \(seed)")
        }
    }

    @Test("damaged real traffic (flipped bytes, cut frames, odd lengths and times) never crashes or hangs",
          arguments: 1...6 as ClosedRange<UInt64>)
    func damagedRecords(_ seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let sources = ["synthetic-vlan-qinq.pcap", "synthetic-ipv4-fragments.pcap", "synthetic-ipv6-ext-fragments.pcap", "synthetic-gap-reorder.pcap"]
        let capture = try ClassicPcap(path: CommittedCaptures.path(sources[Int(seed) % sources.count]))
        let writer = PcapWriter(linkType: LinkType(rawValue: capture.linkType), nanosecond: true)
        var time = try #require(capture.records.first).time
        var written = 0
        for record in capture.records {
            var frame = record.bytes
            for _ in 0..<random.int(in: 0...4) where !frame.isEmpty {
                frame[random.int(in: 0...(frame.count - 1))] = UInt8(truncatingIfNeeded: random.next())
            }
            if random.chance(0.2) { frame = Array(frame.prefix(random.int(in: 0...frame.count))) }
            time += Int64(random.int(in: -2_000_000...5_000_000))
            let wire = random.chance(0.3) ? frame.count + random.int(in: 0...3000) : frame.count
            writer.write(frame: frame, time: Timestamp(nanoseconds: time), originalLength: wire)
            written += 1
            if random.chance(0.1) {
                writer.write(frame: frame, time: Timestamp(nanoseconds: time))
                written += 1
            }
        }
        let scratch = try ScratchFolder()
        // Every record is well formed, so every one is read, whatever its content.
        #expect(Self.survives(try scratch.write("damaged.pcap", writer.bytes), packets: written) == [])
    }

    @Test(
        "captures cut at random points never crash or hang",
        arguments: ["loopback-tcp.pcap", "loopback-tcp.pcapng", "synthetic-two-interfaces.pcapng", "synthetic-ipv4-fragments.pcap", "synthetic-malformed.pcap"])
    func cutAtRandomPoints(_ file: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: CommittedCaptures.path(file))))
        var random = SeededGenerator(seed: UInt64(bytes.count))
        let scratch = try ScratchFolder()
        for cut in [1, 4, 23, 24, 25, 40] + (0..<6).map({ _ in random.int(in: 0...(bytes.count - 1)) }) {
            let path = try scratch.write("cut-\(cut)-\(file)", Array(bytes.prefix(cut)))
            #expect(Self.survives(path) == [], "cut at \(cut)")
        }
    }
}
