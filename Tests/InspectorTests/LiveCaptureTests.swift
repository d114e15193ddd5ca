import Dispatch
import FlowTracking
import Foundation
import PacketCapture
import ProtocolKit
import Synchronization
import TestSupport
import Testing

import Inspector

#if canImport(Glibc)
import Glibc
#endif

/// Live capture on the loopback interface: `LiveCapture` itself, `LiveRunner` with the whole
/// pipeline, and the `tapsentry live` binary. Each test makes its own TCP conversation on
/// 127.0.0.1 on a port the kernel picks, and filters the capture on that port.
///
/// Waits are bounded (so nothing hangs) but never decide a verdict: the tests wait for what the
/// capture saw (both FINs, the decoder's stream ends), not for time to pass.
@Suite(
    "Live capture on lo",
    .serialized,
    .enabled(if: LoopbackCapture.isPermitted, "capturing on lo needs root or CAP_NET_RAW")
)
struct LiveCaptureTests {
    static let request = "HELLO\nline two\n"
    static let response = "HELLO back\n"

    @Test("LiveCapture on lo sees only the filtered port, both FINs, kernel counters and Ethernet framing")
    func captureLoopback() throws {
        let listener = try LoopbackListener()
        defer { listener.close() }
        let capture = try LiveCapture(options: LoopbackCapture.options(filter: "tcp port \(listener.port)"))
        #expect(capture.linkType == .ethernet)

        let conversation = LiveTestThread(name: "conversation") {
            listener.converse(request: Self.request, response: Self.response)
        }

        var decoder = PacketDecoder()
        var packets = 0
        var outsideFilter: [String] = []
        var finFromClient = false
        var finFromServer = false
        var toServerPayload: [UInt8] = []
        var toClientPayload: [UInt8] = []
        reading: for _ in 0..<200 {  // 200 reads of at most 100 ms: 20 s at worst
            switch capture.next() {
            case .packet(let packet):
                packets += 1
                let skipped = decoder.decode(packet.bytes, linkType: packet.linkType, time: packet.time) { transport in
                    let fromServer = transport.sourcePort == listener.port
                    guard transport.transport == .tcp, fromServer || transport.destinationPort == listener.port else {
                        outsideFilter.append("\(transport.transport) \(transport.sourcePort) -> \(transport.destinationPort)")
                        return
                    }
                    if fromServer {
                        toClientPayload += Array(transport.payload)
                        if transport.flags.contains(.fin) { finFromServer = true }
                    } else {
                        toServerPayload += Array(transport.payload)
                        if transport.flags.contains(.fin) { finFromClient = true }
                    }
                }
                if let skipped { outsideFilter.append("skipped: \(skipped.name)") }
                if finFromClient && finFromServer { break reading }
            case .timeout:
                continue
            case .stopped:
                Issue.record("capture stopped without stop()")
                break reading
            case .failed(let reason):
                Issue.record("capture failed: \(reason)")
                break reading
            }
        }

        let result = try #require(conversation.wait(seconds: 10), "the loopback conversation did not finish")
        #expect(result.failure == nil)
        #expect(result.serverReceived == Self.request)
        #expect(result.clientReceived == Self.response)
        #expect(packets > 0)
        #expect(outsideFilter.isEmpty, "packets outside the filter: \(outsideFilter)")
        #expect(finFromClient, "no FIN from the client was captured")
        #expect(finFromServer, "no FIN from the server was captured")
        #expect(String(decoding: toServerPayload, as: UTF8.self) == Self.request)
        #expect(String(decoding: toClientPayload, as: UTF8.self) == Self.response)
        let statistics = try #require(capture.statistics)
        #expect(statistics.received > 0)
        #expect(statistics.received >= UInt64(packets))
    }

    @Test("with no traffic a read returns .timeout, and after stop() it returns .stopped")
    func quietReads() throws {
        let listener = try LoopbackListener()  // holds the port, so nothing else uses it
        defer { listener.close() }
        let capture = LiveTestBox(try LiveCapture(options: LoopbackCapture.options(filter: "tcp port \(listener.port)")))
        // On a background thread: a read that never returns must fail the test, not hang it.
        let reads = LiveTestThread(name: "quiet reads") { () -> [String] in
            var results = [Self.describe(capture.value.next()), Self.describe(capture.value.next())]
            capture.value.stop()
            results.append(Self.describe(capture.value.next()))
            return results
        }
        let results = try #require(reads.wait(seconds: 10), "a read did not return within its timeout")
        #expect(results == ["timeout", "timeout", "stopped"])
    }

    private static func describe(_ result: LiveCapture.ReadResult) -> String {
        switch result {
        case .packet: "packet"
        case .timeout: "timeout"
        case .stopped: "stopped"
        case .failed(let reason): "failed: \(reason)"
        }
    }

    @Test("a filter that does not compile is a badFilter error")
    func badFilter() {
        do throws(CaptureError) {
            _ = try LiveCapture(options: LoopbackCapture.options(filter: "tcp port nonsense and"))
            Issue.record("the filter was accepted")
        } catch {
            #expect(error.code == .badFilter)
            #expect(error.source == "lo")
        }
    }

    @Test("LiveRunner on lo decodes the conversation, writes its flow record and closes with a stats record (one thread, two workers)",
          arguments: [1, 2])
    func runnerLoopback(workers: Int) throws {
        let listener = try LoopbackListener()
        defer { listener.close() }
        let eve = LiveTestFile(suffix: ".eve.json")
        defer { eve.remove() }
        let watch = SessionWatch()

        var settings = InspectorConfiguration()
        settings.evePath = eve.path
        settings.messageEvents = true
        settings.detector = ProtocolDetector(decoders: [LineProtocolDecoder(ports: [listener.port], onEnd: { watch.ended($0) })])
        settings.workers = workers
        let configuration = settings
        let options = LoopbackCapture.options(filter: "tcp port \(listener.port)")

        StopSignal.reset()
        let ready = DispatchSemaphore(value: 0)
        let runner = LiveTestThread(name: "live runner") { () -> Result<RunOutcome, CaptureFailure> in
            do {
                return .success(try LiveRunner.run(options: options, configuration: configuration) { _ in ready.signal() })
            } catch {
                ready.signal()
                return .failure(CaptureFailure(description: "\(error)"))
            }
        }
        defer {  // however the test ends, the runner stops and the flag is clear for the next run
            StopSignal.request()
            _ = runner.wait(seconds: 5)
            StopSignal.reset()
        }
        guard ready.wait(timeout: .now() + 10) == .success else {
            Issue.record("the live runner did not start")
            return
        }

        let conversation = LiveTestThread(name: "conversation") {
            listener.converse(request: Self.request, response: Self.response)
        }
        let result = try #require(conversation.wait(seconds: 10), "the loopback conversation did not finish")
        #expect(result.failure == nil)
        #expect(result.clientReceived == Self.response)
        // Stop only once the pipeline has seen both directions end (both FINs reached the decoder).
        let sawEnds = watch.waitForBothEnds(seconds: 10)
        StopSignal.request()
        #expect(sawEnds, "the decoder never saw both stream ends")
        let outcome = try #require(runner.wait(seconds: 10), "the live runner did not stop").get()
        #expect(outcome.diagnostics.isEmpty)
        #expect(outcome.statistics.packets > 0)
        #expect(outcome.statistics.live != nil)

        let records = try LiveTestEVE.read(eve.path)
        let lines = records.filter { $0["event_type"] as? String == "lines" }.compactMap { record -> String? in
            guard let trading = record["trading"] as? [String: Any], trading["kind"] as? String == "message",
                let line = trading["line"] as? String, let direction = record["direction"] as? String
            else { return nil }
            return "\(direction):\(line)"
        }
        #expect(lines == ["to_server:HELLO", "to_server:line two", "to_client:HELLO back"])

        let flows = records.filter { $0["event_type"] as? String == "flow" }
        #expect(flows.count == 1)
        if let flow = flows.first {
            #expect(LiveTestEVE.integer(flow["src_port"]) == Int(result.clientPort))
            #expect(LiveTestEVE.integer(flow["dest_port"]) == Int(listener.port))
            #expect(flow["src_ip"] as? String == "127.0.0.1")
            #expect(flow["proto"] as? String == "TCP")
            #expect(flow["app_proto"] as? String == "lines")
            let details = flow["flow"] as? [String: Any]
            let reason = details?["reason"] as? String
            #expect(reason == "closed" || reason == "shutdown", "flow.reason is \(reason ?? "missing")")
        }

        let stats = try #require(records.last, "the EVE file is empty")
        #expect(stats["event_type"] as? String == "stats")
        let counters = (stats["stats"] as? [String: Any])?["capture"] as? [String: Any]
        #expect((LiveTestEVE.integer(counters?["packets"]) ?? 0) > 0)
        #expect(LiveTestEVE.integer(counters?["kernel_received"]) != nil)
    }

    @Test("tapsentry live on lo stops cleanly on SIGINT with the kernel counters and a stats record")
    func binaryLoopback() throws {
        let executable = try #require(
            TapSentryExecutable.locate(),
            "no tapsentry executable found near the test binary; build it with `swift build --build-tests`"
        )
        let listener = try LoopbackListener()
        defer { listener.close() }
        let eve = LiveTestFile(suffix: ".eve.json")
        defer { eve.remove() }

        let process = Process()
        process.executableURL = executable
        process.arguments = ["live", "--interface", "lo", "--bpf", "tcp port \(listener.port)", "--eve", eve.path]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        let errors = LiveTestOutputReader(stderr.fileHandleForReading)
        var finished = false
        defer {
            if !finished {
                process.terminate()
                _ = exited.wait(timeout: .now() + 5)
            }
        }

        guard errors.waitFor("listening on", seconds: 10) else {
            Issue.record("tapsentry did not start listening: \(errors.text)")
            return
        }
        let result = try #require(
            LiveTestThread(name: "conversation") { listener.converse(request: Self.request, response: Self.response) }
                .wait(seconds: 10),
            "the loopback conversation did not finish"
        )
        #expect(result.failure == nil)

        kill(process.processIdentifier, SIGINT)
        guard exited.wait(timeout: .now() + 10) == .success else {
            Issue.record("tapsentry did not exit after SIGINT")
            return
        }
        finished = true
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(errors.waitForEnd(seconds: 5))
        let text = errors.text
        #expect(text.contains("listening on lo"))
        #expect(text.contains("kernel:"), "no kernel counters line on stderr: \(text)")
        #expect(text.contains("received"))

        let records = try LiveTestEVE.read(eve.path)
        let stats = try #require(records.last, "the EVE file is empty")
        #expect(stats["event_type"] as? String == "stats")
        let counters = (stats["stats"] as? [String: Any])?["capture"] as? [String: Any]
        #expect(LiveTestEVE.integer(counters?["kernel_received"]) != nil)
    }
}

/// Capture settings for `lo`, and whether this process may capture at all. (Outside the suite
/// type: its `@Suite` trait cannot refer to the type's own members.)
enum LoopbackCapture {
    /// Whether this process may capture on `lo`: false only when libpcap says permission is denied.
    static let isPermitted: Bool = {
        do throws(CaptureError) {
            _ = try LiveCapture(options: options(filter: nil))
            return true
        } catch where error.code == .liveSetup && isPermissionProblem(error.reason) {
            print("LiveCaptureTests skipped: cannot capture on lo: \(error.reason)")
            return false
        } catch {
            return true  // any other failure is reported by the tests themselves
        }
    }()

    private static func isPermissionProblem(_ reason: String) -> Bool {
        let text = reason.lowercased()
        return text.contains("permission") || text.contains("not permitted")
    }

    static func options(filter: String?) -> LiveCaptureOptions {
        var options = LiveCaptureOptions(interface: "lo")
        options.filter = filter
        options.promiscuous = false
        options.bufferMegabytes = 4
        return options
    }
}

// MARK: - Waiting on the pipeline

/// Which stream ends the decoder has seen, shared between the runner thread and the test.
private final class SessionWatch: Sendable {
    private let ends = Mutex(PerDirection(false))

    func ended(_ direction: Direction) {
        ends.withLock { $0[direction] = true }
    }

    /// Polls until both directions ended; false after `seconds` (a bound, not a verdict).
    func waitForBothEnds(seconds: Int) -> Bool {
        for _ in 0..<(seconds * 100) {
            if ends.withLock({ $0.toServer && $0.toClient }) { return true }
            usleep(10_000)
        }
        return false
    }
}

private struct CaptureFailure: Error, CustomStringConvertible {
    let description: String
}
