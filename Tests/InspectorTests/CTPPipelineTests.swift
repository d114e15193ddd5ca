import Foundation
import Inspector
import TestSupport
import Testing

/// CTP sessions written into pcaps and decoded through the whole analyzer, as `tapsentry decode`
/// and `analyze --events` print them.
@Suite("CTP through the whole analyzer")
struct CTPPipelineTests {
    static let client = Endpoint("10.30.0.5", 51234)
    static let server = Endpoint("10.30.0.1", 41205)

    /// A CTP session over TCP: handshake, every frame in order, FIN close.
    static func frames(_ steps: [(CTPSampleSessions.Sender, [UInt8])], mss: Int = 1460, client: Endpoint = client, server: Endpoint = server) -> [TimedFrame] {
        var conversation = TCPConversation(client: client, server: server, maximumSegmentSize: mss)
        conversation.handshake()
        for (sender, bytes) in steps {
            conversation.send(from: sender == .client ? .client : .server, bytes, acknowledge: false)
        }
        conversation.close()
        return conversation.frames()
    }

    static func decode(_ frames: [TimedFrame], protocols: [String]? = ["ctp"]) throws -> AnalysisRun {
        try EndToEnd.analyze(frames: frames) { configuration in
            configuration.detector.decoders = configuration.decoders(named: protocols)
        }
    }

    @Test("decode prints one ctp line per message: EVE envelope, direction, the ctp object and the trading event")
    func records() throws {
        let run = try Self.decode(Self.frames(CTPSampleSessions.trader))
        let records = run.events("ctp")
        #expect(records.count == 20)
        for record in records {
            #expect(record.string("app_proto") == "ctp")
            #expect(record.string("proto") == "TCP")
            #expect(record.value(["community_id"]) != nil)
            let toServer = record.string("direction") == "to_server"
            #expect(record.string("src_ip") == (toServer ? "10.30.0.5" : "10.30.0.1"))
            #expect(record.int("dest_port") == (toServer ? 41205 : 51234))
            #expect(!record.line.contains(CTPSampleSessions.password))
        }
        let kinds = records.map { $0.string("trading", "kind") ?? "?" }
        #expect(kinds == [
            "heartbeat", "message", "message", "message", "message", "authenticate", "authenticate_result", "relay_client_info",
            "logon", "logon_result", "order_new", "execution", "heartbeat", "order_cancel", "reject", "heartbeat", "message",
            "message", "logout", "logout",
        ])
        let order = try #require(records.first { $0.string("trading", "kind") == "order_new" })
        #expect(order.string("ctp", "tid") == "0x4000")
        #expect(order.string("ctp", "tid_name") == "ReqOrderInsert")
        #expect(order.int("ctp", "series") == 1)
        #expect(order.int("ctp", "request_id") == 4)
        #expect(order.string("ctp", "front") == "trader")
        #expect(order.value(["ctp", "fields", "InputOrder", "LimitPrice"]) as? Double == 3561.5)
        #expect(order.string("trading", "account") == "00012345")
        #expect(order.string("trading", "side") == "sell")
        #expect(order.string("trading", "reported_mac") == "02:42:ac:11:00:02")
        let reject = try #require(records.first { $0.string("trading", "kind") == "reject" })
        #expect(reject.string("trading", "text") == "撤单找不到相应报单")
        let login = try #require(records.first { $0.string("trading", "kind") == "logon" })
        #expect(login.string("ctp", "fields", "ReqUserLogin", "Password") == "<redacted>")
        #expect(login.value(["trading", "password_present"]) as? Bool == true)
    }

    @Test("analyze counts ctp.* in the stats record, with and without --events")
    func stats() throws {
        let frames = Self.frames(CTPSampleSessions.marketData, mss: 100)
        for events in [true, false] {
            let run = try EndToEnd.analyze(frames: frames) { configuration in
                configuration.detector.decoders = configuration.builtInDecoders
                configuration.messageEvents = events
            }
            let stats = try #require(run.stats)
            #expect(stats.int(dotted: "ctp.messages") == 8)
            #expect(stats.int(dotted: "ctp.heartbeats") == 1)
            #expect(stats.int(dotted: "ctp.md_flows") == 1)
            #expect(stats.int(dotted: "ctp.compressed_frames") == 8)
            #expect(run.flows.first?.string("app_proto") == "ctp")
            #expect(run.events("ctp").count == (events ? 9 : 0))
        }
    }

    @Test("--protocols fix leaves CTP flows undecoded; --protocols ctp decodes them")
    func protocolSelection() throws {
        let frames = Self.frames(CTPSampleSessions.marketData)
        #expect(try Self.decode(frames, protocols: ["fix"]).events("ctp").isEmpty)
        #expect(try Self.decode(frames, protocols: ["ctp"]).events("ctp").count == 9)
        #expect(InspectorConfiguration.protocolNames.contains("ctp"))
    }

    @Test("the same sessions in segments of 1, 7, 64 or 536 bytes give the same records", arguments: [1, 7, 64, 536])
    func segmentation(mss: Int) throws {
        let reference = try Self.decode(Self.frames(CTPSampleSessions.trader)).events("ctp").map(DecoderPipelineTests.timeless)
        let run = try Self.decode(Self.frames(CTPSampleSessions.trader, mss: mss)).events("ctp").map(DecoderPipelineTests.timeless)
        #expect(run == reference)
    }
}
