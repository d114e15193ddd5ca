import Foundation
import Inspector
import TestSupport
import Testing

/// TDX sessions written into pcaps and decoded through the whole analyzer, as `tapsentry decode`
/// and `analyze --events` print them.
@Suite("TDX through the whole analyzer")
struct TDXPipelineTests {
    static let client = Endpoint("10.30.1.11", 54674)
    static let server = Endpoint("10.30.0.1", 7709)

    /// A conversation over TCP: handshake, each side's bytes in order, FIN close.
    static func frames(_ steps: [(Bool, [UInt8])], mss: Int = 1460, client: Endpoint = client, server: Endpoint = server) -> [TimedFrame] {
        var conversation = TCPConversation(client: client, server: server, maximumSegmentSize: mss)
        conversation.handshake()
        for (fromClient, bytes) in steps where !bytes.isEmpty {
            conversation.send(from: fromClient ? .client : .server, bytes, acknowledge: false)
        }
        conversation.close()
        return conversation.frames()
    }

    /// pytdx's set-up, a count and a compressed quote batch of 12 codes.
    static var pytdx: [(Bool, [UInt8])] {
        let codes: [(UInt8, String)] = (0..<12).map { (1, String(600_000 + $0 * 3)) }
        let quotes = codes.enumerated().map { index, entry in
            TDXFrameBuilder.Quote(
                market: entry.0, code: entry.1, price: 1000 + Int64(index), lastClose: 990, open: 995, high: 1020, low: 980,
                volume: 5000 + Int64(index), amount: 123_456, bids: [(999, 10)], asks: [(1001, 20)])
        }
        var steps: [(Bool, [UInt8])] = []
        for (index, frame) in TDXFrameBuilder.pytdxSetup.enumerated() {
            steps.append((true, frame))
            let command: UInt16 = index < 2 ? 0x000D : 0x0FDB
            let sequence = frame.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 1, as: UInt32.self) }
            steps.append((false, TDXFrameBuilder.reply(sequence: sequence, command: command, body: [UInt8](repeating: 0, count: 40))))
        }
        steps.append((true, TDXFrameBuilder.request(sequence: 0x006C_180C, command: 0x044E, body: [1, 0, 0x75, 0xC7, 0x33, 0x01])))
        steps.append((false, TDXFrameBuilder.reply(sequence: 0x006C_180C, command: 0x044E, body: [0x10, 0x04])))
        steps.append((true, TDXFrameBuilder.quotesRequest(codes)))
        steps.append((false, TDXFrameBuilder.reply(sequence: 0x0063_2001, command: 0x053E, body: TDXFrameBuilder.quotesBody(quotes), compress: true)))
        return steps
    }

    static func decode(_ frames: [TimedFrame], protocols: [String]? = ["tdx"]) throws -> AnalysisRun {
        try EndToEnd.analyze(frames: frames) { configuration in
            configuration.detector.decoders = configuration.decoders(named: protocols)
        }
    }

    @Test("decode prints one tdx line per frame: EVE envelope, direction, the tdx object and the trading event")
    func records() throws {
        let run = try Self.decode(Self.frames(Self.pytdx))
        let records = run.events("tdx")
        #expect(records.count == 10)
        for record in records {
            #expect(record.string("app_proto") == "tdx")
            let toServer = record.string("direction") == "to_server"
            #expect(record.string("src_ip") == (toServer ? "10.30.1.11" : "10.30.0.1"))
            #expect(record.string("tdx", "frame") == (toServer ? "request" : "reply"))
        }
        let kinds = records.map { $0.string("trading", "kind") ?? "?" }
        #expect(kinds == ["message", "message", "message", "message", "logon", "logon_result", "message", "message", "md_subscribe", "md_quote"])
        let quote = try #require(records.last)
        #expect(quote.string("tdx", "command") == "0x053e")
        #expect(quote.string("tdx", "command_name") == "security_quotes")
        #expect(quote.string("tdx", "sequence") == "01206300")
        #expect(quote.value(["tdx", "compressed"]) as? Bool == true)
        #expect(quote.int("tdx", "body", "count") == 12)
        #expect(quote.string("trading", "instrument") == "600000.SH")
        #expect(quote.string("trading", "client_fingerprint") == "pytdx_or_tradex")
        #expect((quote.value(["trading", "price"]) as? NSNumber)?.doubleValue == 10.0)
    }

    @Test("analyze counts tdx.* in the stats record, the same with and without --events")
    func stats() throws {
        var counters: [[String: Int]] = []
        for events in [true, false] {
            let run = try EndToEnd.analyze(frames: Self.frames(Self.pytdx, mss: 100)) { configuration in
                configuration.detector.decoders = configuration.builtInDecoders
                configuration.messageEvents = events
            }
            let stats = try #require(run.stats)
            #expect(stats.int(dotted: "tdx.frames") == 10)
            #expect(stats.int(dotted: "tdx.compressed_replies") == 1)
            #expect(stats.int(dotted: "tdx.codes_requested") == 12)
            #expect(stats.int(dotted: "tdx.pytdx_setup_flows") == 1)
            #expect(run.flows.first?.string("app_proto") == "tdx")
            #expect(run.events("tdx").count == (events ? 10 : 0))
            counters.append((stats.value(["tdx"]) as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue })
        }
        #expect(counters[0] == counters[1])
    }

    /// A record without its times (segmenting changes which packet completes a frame).
    static func timeless(_ record: EVERecord) -> String {
        var object = record.object
        object["timestamp"] = nil
        if var tdx = object["tdx"] as? [String: Any] {
            tdx["response_time_us"] = nil
            object["tdx"] = tdx
        }
        let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data ?? Data(), as: UTF8.self)
    }

    @Test("the same session in segments of 1, 7, 64 or 536 bytes gives the same records", arguments: [1, 7, 64, 536])
    func segmentation(mss: Int) throws {
        let reference = try Self.decode(Self.frames(Self.pytdx)).events("tdx").map(Self.timeless)
        let run = try Self.decode(Self.frames(Self.pytdx, mss: mss)).events("tdx").map(Self.timeless)
        #expect(run == reference)
    }

    @Test("--protocols fix,ctp leaves TDX flows undecoded; --protocols tdx decodes them; every decoder together still finds them")
    func protocolSelection() throws {
        let frames = Self.frames(Self.pytdx)
        #expect(try Self.decode(frames, protocols: ["fix", "ctp"]).events("tdx").isEmpty)
        #expect(try Self.decode(frames, protocols: nil).events("tdx").count == 10)
        #expect(InspectorConfiguration.protocolNames == ["fix", "ctp", "tdx"])
    }

    @Test("a connection to the trading port 7708 that nothing recognises is the opaque trading channel: one event, app_proto tdx, counters")
    func tradeChannel() throws {
        var hello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]
        hello += (0..<500).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let reply = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 91 &+ 7) }
        let frames = Self.frames([(true, hello), (false, reply), (true, Array(hello.prefix(200)))], server: Endpoint("10.30.100.8", 7708))
        let run = try EndToEnd.analyze(frames: frames) { configuration in
            configuration.detector.decoders = configuration.builtInDecoders
        }
        let events = run.events("tdx")
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event.string("trading", "kind") == "trade_channel")
        #expect(event.value(["tdx", "tls"]) as? Bool == true)
        #expect(event.int("tdx", "server_port") == 7708)
        #expect(run.flows.first?.string("app_proto") == "tdx")
        let stats = try #require(run.stats)
        #expect(stats.int(dotted: "tdx.trade_channel_flows") == 1)
        #expect(stats.int(dotted: "tdx.trade_channel_bytes") ?? 0 > 0)
        // Another port with the same bytes stays undecoded.
        let elsewhere = try EndToEnd.analyze(frames: Self.frames([(true, hello), (false, reply)], server: Endpoint("10.30.100.8", 7777))) { configuration in
            configuration.detector.decoders = configuration.builtInDecoders
        }
        #expect(elsewhere.events("tdx").isEmpty)
        #expect(elsewhere.flows.first?.string("app_proto") == nil)
    }
}
