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
        try EndToEnd.expectGolden(run, capture: capture)
    }
}

/// The QuickFIX recordings: every message the real engine sent, in order, with its trading facts.
@Suite("QuickFIX recordings through the whole analyzer")
struct QuickFIXCaptureTests {
    static let captures = [
        "fix/quickfix-fix44-trading.pcap", "fix/quickfix-fix44-marketdata.pcap", "fix/quickfix-bad-logon.pcap",
        "fix/quickfix-fix42-fixt11.pcap",
    ]

    /// Tag → trading field, for the facts the truth files record per message.
    static let tradingFields: [(tag: String, field: String, kinds: Set<String>)] = [
        ("1", "account", ["order_new", "order_cancel", "execution"]),
        ("55", "instrument", ["order_new", "order_cancel", "execution"]),
        ("54", "side", ["order_new", "order_cancel", "execution"]),
        ("11", "order_id", ["order_new", "order_cancel", "execution"]),
        ("115", "on_behalf_of", []),
        ("116", "on_behalf_of_sub", []),
        ("128", "deliver_to", []),
        ("129", "deliver_to_sub", []),
        ("553", "user_id", ["logon"]),
    ]

    /// FIX Side (54) values and their names in the trading vocabulary.
    static let sideNames = ["1": "buy", "2": "sell", "5": "sell_short"]

    @Test("every message QuickFIX sent is decoded once, in order, with its header and trading facts", arguments: captures)
    func recording(capture: String) throws {
        let truthPath = CommittedCaptures.path(capture.replacingOccurrences(of: ".pcap", with: ".truth.json"))
        let truth = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truthPath))) as? [String: Any])
        let connections = try #require(truth["connections"] as? [[String: Any]])
        let expected = try #require(truth["messages"] as? [[String: Any]])
        let records = try FIXCaptureTests.decode(capture)
        #expect(records.count == expected.count)

        for (index, connection) in connections.enumerated() {
            let clientPort = try #require((connection["client"] as? String)?.split(separator: ":").last.flatMap { Int($0) })
            for direction in ["to_server", "to_client"] {
                let want = expected.filter { $0["connection"] as? Int == index && $0["direction"] as? String == direction }
                let have = records.filter { record in
                    record.string("direction") == direction
                        && (direction == "to_server" ? record.int("src_port") : record.int("dest_port")) == clientPort
                }
                #expect(have.count == want.count, "connection \(index) \(direction)")
                for (mine, theirs) in zip(have, want) {
                    let context = "connection \(index) \(direction) #\(theirs["ordinal"] ?? "")"
                    #expect(mine.string("fix", "msg_type") == theirs["msg_type"] as? String, "\(context)")
                    #expect(mine.int("fix", "msg_seq_num") == theirs["msg_seq_num"] as? Int, "\(context)")
                    #expect(mine.string("fix", "begin_string") == theirs["begin_string"] as? String, "\(context)")
                    #expect(mine.string("fix", "sender_comp_id") == theirs["sender_comp_id"] as? String, "\(context)")
                    #expect(mine.string("fix", "target_comp_id") == theirs["target_comp_id"] as? String, "\(context)")
                    #expect(mine.value(["fix", "checksum_valid"]) as? Bool == true, "\(context)")
                    #expect(mine.value(["fix", "anomalies"]) == nil || mine.string("trading", "kind") == "message", "\(context): \(mine.line)")
                    let kind = mine.string("trading", "kind") ?? ""
                    let key = theirs["key"] as? [String: String] ?? [:]
                    for (tag, field, kinds) in Self.tradingFields where kinds.isEmpty || kinds.contains(kind) {
                        if let value = key[tag] {
                            // Side is given in the shared vocabulary (buy, sell, ...), as CTP's.
                            let wanted = tag == "54" ? Self.sideNames[value] ?? value : value
                            #expect(mine.string("trading", field) == wanted, "\(context) \(field)")
                        }
                    }
                    if kind == "logon" {
                        #expect(mine.value(["trading", "password_present"]) as? Bool == theirs["password_present"] as? Bool, "\(context)")
                    }
                    // The password never appears in clear.
                    #expect(!mine.line.contains("\"Password\":\"") || mine.line.contains("\"Password\":\"<redacted>\""), "\(context)")
                }
            }
        }
    }
}
