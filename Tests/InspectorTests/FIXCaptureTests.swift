import Foundation
import Inspector
import Testing

/// The FIX captures of `Captures/fix/`, decoded through the whole pipeline, against the ground
/// truth written by the programs that made them (`*.truth.json`) and against golden outputs.
@Suite("FIX captures through the whole analyzer")
struct FIXCaptureTests {
    /// Decodes `capture` with the built-in decoders; returns the `fix` records.
    static func decode(_ capture: String) throws -> [EVERecord] {
        let run = try EndToEnd.analyze([CommittedCaptures.path(capture)]) { configuration in
            configuration.detector.decoders = configuration.builtInDecoders
            configuration.flowEvents = false
            configuration.statsRecord = false
        }
        return run.records.filter { $0.eventType == "fix" }
    }

    /// One message as the truth files and the decoder can both describe it.
    struct Message: Equatable, CustomStringConvertible {
        var direction: String
        var beginString: String
        var msgType: String
        var sequence: Int?
        var anomalies: [String]

        var description: String { "\(direction) \(beginString) \(msgType) #\(sequence.map(String.init) ?? "-") \(anomalies)" }
    }

    static let synthetic = [
        "fix/synthetic-fix-edgecases.pcap", "fix/synthetic-fix-prefix-split.pcap", "fix/synthetic-fix-resync.pcap",
    ]

    @Test("every edge case of the FIX notes gives exactly its ground truth, port by port", arguments: synthetic)
    func groundTruth(capture: String) throws {
        let truthPath = CommittedCaptures.path(capture.replacingOccurrences(of: ".pcap", with: ".truth.json"))
        let truth = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truthPath))) as? [String: Any])
        let flows = try #require(truth["flows"] as? [[String: Any]])
        let records = try Self.decode(capture)

        var total = 0
        for flow in flows {
            let port = try #require(flow["port"] as? Int)
            let expected = (flow["messages"] as? [[String: Any]] ?? []).map { message in
                Message(
                    direction: message["direction"] as? String == "c2s" ? "to_server" : "to_client",
                    beginString: message["begin_string"] as? String ?? "",
                    msgType: message["msg_type"] as? String ?? "",
                    sequence: message["msg_seq_num"] as? Int,
                    anomalies: (message["anomalies"] as? [String] ?? []).sorted()
                )
            }
            let mine = records.filter { $0.int("src_port") == port || $0.int("dest_port") == port }
            let messages = mine.filter { $0.value(["fix", "msg_type"]) != nil }.map { record in
                Message(
                    direction: record.string("direction") ?? "",
                    beginString: record.string("fix", "envelope") == "FIXCOMP" ? "FIXCOMP" : record.string("fix", "begin_string") ?? "",
                    msgType: record.string("fix", "msg_type") ?? "",
                    sequence: record.int("fix", "msg_seq_num"),
                    anomalies: ((record.value(["fix", "anomalies"]) as? [String]) ?? []).sorted()
                )
            }
            #expect(messages == expected, "port \(port): \(flow["case"] ?? "")")
            let streamAnomalies = mine.filter { $0.value(["fix", "msg_type"]) == nil }
                .compactMap { $0.string("trading", "anomaly") }.sorted()
            let expectedStream = (flow["stream_anomalies"] as? [[String: Any]] ?? []).compactMap { $0["anomaly"] as? String }.sorted()
            #expect(streamAnomalies == expectedStream, "port \(port) stream anomalies")
            total += messages.count
        }
        #expect(total == truth["complete_messages"] as? Int)
    }

    /// The committed FIX captures with a golden `tapsentry decode` output beside them.
    static var goldenCaptures: [String] {
        let folder = CommittedCaptures.folder.appendingPathComponent("fix")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") }.sorted().map { "fix/" + $0 }
    }

    @Test("decoding each committed FIX capture gives its golden output byte for byte", arguments: goldenCaptures)
    func golden(capture: String) throws {
        let run = try EndToEnd.analyze([CommittedCaptures.path(capture)]) { configuration in
            configuration.detector.decoders = configuration.builtInDecoders
            configuration.flowEvents = false
            configuration.statsRecord = false
        }
        let goldenPath = CommittedCaptures.path(capture.replacingOccurrences(of: ".pcap", with: ".golden.jsonl"))
        if ProcessInfo.processInfo.environment["TAPSENTRY_UPDATE_GOLDEN"] == "1" {
            try Data(run.eve).write(to: URL(fileURLWithPath: goldenPath))
        }
        let golden = try #require(try? Data(contentsOf: URL(fileURLWithPath: goldenPath)),
                                  "no golden file \(goldenPath): run the tests once with TAPSENTRY_UPDATE_GOLDEN=1 and review it")
        #expect(Array(golden) == run.eve, "decode output of \(capture) differs from \(goldenPath)")
    }
}
