import Foundation
import Inspector
import Testing

/// The CTP recordings of `Captures/ctp/` (the official 6.7.11 client library against simulated
/// fronts), decoded through the whole analyzer, against the ground truth written by the programs
/// that made them (`*.truth.json`) and against golden outputs.
@Suite("CTP recordings through the whole analyzer")
struct CTPCaptureTests {
    /// The committed CTP recordings.
    static var captures: [String] {
        let folder = CommittedCaptures.folder.appendingPathComponent("ctp")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") }.sorted().map { "ctp/" + $0 }
    }

    static func decode(_ capture: String) throws -> AnalysisRun {
        try EndToEnd.analyze([CommittedCaptures.path(capture)]) { configuration in
            configuration.detector.decoders = configuration.builtInDecoders
            configuration.flowEvents = false
            configuration.statsRecord = false
        }
    }

    /// Whether a decoded member shows what the truth says: empty text and DBL_MAX (null) are left
    /// out, `Old...` slots are never shown, secrets show as redacted when present, the terminal
    /// blob as its length, key material not at all.
    static func matches(member: String, truth: Any, decoded: Any?) -> Bool {
        if member.hasPrefix("Old") { return decoded == nil }
        if let blob = truth as? [String: Any] {
            let present = blob["present"] as? Bool ?? false
            switch member {
            case "ClientSystemInfo":
                let length = (decoded as? [String: Any])?["length"] as? Int
                return present ? length == blob["length"] as? Int : (length ?? 0) == 0
            case "Password", "OneTimePassword", "AuthInfo", "AuthCode":
                return (decoded as? String == "<redacted>") == present
            default:
                return decoded == nil
            }
        }
        if truth is NSNull || truth as? String == "" { return decoded == nil }
        if let number = truth as? NSNumber, let mine = decoded as? NSNumber { return number.doubleValue == mine.doubleValue }
        if let text = truth as? String { return decoded as? String == text }
        return false
    }

    @Test("every frame the real library and the front sent is decoded once, in order, with its header and every member", arguments: captures)
    func groundTruth(capture: String) throws {
        let truthPath = CommittedCaptures.path(capture.replacingOccurrences(of: ".pcap", with: ".truth.json"))
        let truth = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truthPath))) as? [String: Any])
        let connections = try #require(truth["connections"] as? [[String: Any]])
        let records = try Self.decode(capture).events("ctp")
        try EndToEnd.expectTruthFrames(records, connections: connections) { mine, theirs, _, context in
            #expect(mine.value(["ctp", "anomalies"]) == nil, "\(context)")
            guard theirs["kind"] as? String == "ftdc" else {
                #expect(mine.string("trading", "kind") == "heartbeat", "\(context)")
                #expect(mine.int("ctp", "heartbeat_timeout") == theirs["heartbeat_timeout"] as? Int, "\(context)")
                return
            }
            let tid = (theirs["tid"] as? String).flatMap { UInt32($0.dropFirst(2), radix: 16) }
            #expect(mine.string("ctp", "tid").flatMap { UInt32($0.dropFirst(2), radix: 16) } == tid, "\(context)")
            #expect(mine.string("ctp", "tid_name") == theirs["tid_name"] as? String, "\(context)")
            for key in ["series", "sequence", "request_id", "field_count", "content_length"] {
                #expect(mine.int("ctp", key) == theirs[key] as? Int, "\(context) \(key)")
            }
            #expect(mine.string("ctp", "chain") == theirs["chain"] as? String, "\(context)")
            var seen: [String: Int] = [:]
            for field in theirs["fields"] as? [[String: Any]] ?? [] {
                let name = field["name"] as? String ?? ""
                var entry = mine.value(["ctp", "fields", name])
                if let list = entry as? [Any] {
                    let index = seen[name, default: 0]
                    entry = index < list.count ? list[index] : nil
                }
                seen[name, default: 0] += 1
                let members = try #require(entry as? [String: Any], "\(context): no field \(name)")
                for (member, value) in field["values"] as? [String: Any] ?? [:] {
                    #expect(Self.matches(member: member, truth: value, decoded: members[member]), "\(context) \(name).\(member)")
                }
            }
        }
    }

    @Test("decoding each committed CTP capture gives its golden output byte for byte", arguments: captures)
    func golden(capture: String) throws {
        try EndToEnd.expectGolden(try Self.decode(capture), capture: capture)
    }
}
