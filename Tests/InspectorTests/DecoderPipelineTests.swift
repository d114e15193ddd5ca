import FlowTracking
import Foundation
import Inspector
import PacketCapture
import ProtocolKit
import TestSupport
import Testing

/// The toy line protocol of TestSupport, run through the whole pipeline.
typealias TradingLineDecoder = LineProtocolDecoder

@Suite("Decoders and reassembly through the whole pipeline")
struct DecoderPipelineTests {
    static let client = Endpoint("10.20.0.1", 40000)
    static let server = Endpoint("10.20.0.2", 7777)

    /// The line conversation, segmented with `mss`.
    static func lineConversation(mss: Int) -> [TimedFrame] {
        var conversation = TCPConversation(client: client, server: server, maximumSegmentSize: mss)
        conversation.handshake()
        conversation.send(from: .client, Array("HELLO desk 7\nBUY 100 ESZ6 @ 5000.25\nCANCEL 42\n".utf8))
        conversation.send(from: .server, Array("HELLO trader\nFILLED 100 ESZ6\nREJECT 42 too late\n".utf8))
        conversation.send(from: .client, Array("BYE\n".utf8))
        conversation.close()
        return conversation.frames()
    }

    static func analyzeLines(mss: Int) throws -> AnalysisRun {
        try EndToEnd.analyze(frames: lineConversation(mss: mss)) { $0.detector = ProtocolDetector(decoders: [TradingLineDecoder()]) }
    }

    /// An event record without its timestamp (which depends on the segmentation).
    static func timeless(_ record: EVERecord) -> String {
        var object = record.object
        object["timestamp"] = nil
        let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data ?? Data(), as: UTF8.self)
    }

    @Test("the line decoder's events and app_proto come out of the whole pipeline")
    func lineEvents() throws {
        let run = try Self.analyzeLines(mss: 1460)
        #expect(run.outcome.exitStatus == 0)
        let events = run.events("lines")
        let summary = events.map { "\($0.string("direction") ?? "?") \($0.string("trading", "kind") ?? "?") \($0.string("trading", "line") ?? "")" }
        #expect(summary == [
            "to_server message HELLO desk 7",
            "to_server message BUY 100 ESZ6 @ 5000.25",
            "to_server message CANCEL 42",
            "to_client message HELLO trader",
            "to_client message FILLED 100 ESZ6",
            "to_client message REJECT 42 too late",
            "to_server message BYE",
            "to_server logout ",
            "to_client logout ",
        ])
        for event in events {
            #expect(event.string("app_proto") == "lines")
            #expect(event.string("proto") == "TCP")
            let toServer = event.string("direction") == "to_server"
            #expect(event.string("src_ip") == (toServer ? "10.20.0.1" : "10.20.0.2"))
            #expect(event.int("src_port") == (toServer ? 40000 : 7777))
            #expect(event.string("dest_ip") == (toServer ? "10.20.0.2" : "10.20.0.1"))
            #expect(event.int("dest_port") == (toServer ? 7777 : 40000))
        }
        let flow = try #require(run.flows.first)
        #expect(run.flows.count == 1)
        #expect(flow.string("app_proto") == "lines")
        #expect(flow.int("flow_id") == events.first?.int("flow_id"))
        #expect(flow.int("tcp", "stream_bytes_toserver") == 50)
        #expect(flow.int("tcp", "stream_bytes_toclient") == 48)
        #expect(run.stats?.int("output", "events") == 9)
        #expect(run.stats?.int("output", "records") == 10)
    }

    @Test("the same conversation cut into segments of any size gives the same events", arguments: [1, 2, 3, 7, 64, 1460])
    func chunkSizeSweep(mss: Int) throws {
        let reference = try Self.analyzeLines(mss: 1460)
        let run = try Self.analyzeLines(mss: mss)
        #expect(run.events("lines").count == 9)
        #expect(run.events("lines").map(Self.timeless) == reference.events("lines").map(Self.timeless))
        let flow = try #require(run.flows.first)
        #expect(flow.string("app_proto") == "lines")
        #expect(flow.int("tcp", "stream_bytes_toserver") == 50)
        #expect(flow.int("tcp", "stream_bytes_toclient") == 48)
    }

    // MARK: - Reassembly

    @Test("a mangled stream: delivered bytes are the original less the lost ranges, gaps are exactly those ranges",
          arguments: [1, 2, 3, 0xBEEF, 2026] as [UInt64])
    func mangledStream(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed ^ 0xDA7A)
        let data = random.bytes(count: 120_000)
        let reply = random.bytes(count: 5000)
        var conversation = TCPConversation(
            client: Endpoint("10.30.0.1", 41000), server: Endpoint("10.30.0.2", 9900),
            clientInitialSequence: 0xFFFF_0000 | UInt32(truncatingIfNeeded: seed & 0xFFFF))  // wraps within the stream
        conversation.handshake()
        let base = conversation.nextSequence(of: .client)
        var mangler = StreamMangler(
            seed: seed, pieceSizes: 1...1460, reorderWindow: 4, duplicateProbability: 0.1,
            overlapProbability: 0.1, dropCount: 3)
        let mangled = mangler.mangle(conversation.makeSegments(from: .client, data))
        conversation.append(mangled.segments, from: .client)
        conversation.acknowledge(from: .server)
        conversation.send(from: .server, reply)
        conversation.close()
        #expect(mangled.lost.count >= 1)

        let log = StreamLog()
        let run = try EndToEnd.analyze(frames: conversation.frames()) { $0.detector = ProtocolDetector(decoders: [StreamCollector(log: log)]) }

        var expected = data
        for range in mangled.lost.reversed() {
            let start = Int(range.sequence &- base)
            expected.removeSubrange(start..<(start + range.length))
        }
        let expectedGaps = mangled.lost.map { StreamLog.Gap(offset: Int($0.sequence &- base), length: $0.length) }
        let streams = try #require(log.all.first)
        #expect(log.all.count == 1)
        #expect(streams.toServer.bytes.count == expected.count)
        #expect(streams.toServer.bytes == expected)
        #expect(streams.toServer.gaps == expectedGaps)
        #expect(streams.toServer.bytes.count + mangled.lostBytes == data.count)
        #expect(streams.toServer.ended && streams.toClient.ended)
        #expect(streams.toClient.bytes == reply)
        #expect(streams.toClient.gaps.isEmpty)

        let flow = try #require(run.flows.first)
        #expect(flow.int("tcp", "stream_bytes_toserver") == data.count - mangled.lostBytes)
        #expect(flow.int("tcp", "gaps_toserver") == mangled.lost.count)
        #expect(flow.int("tcp", "stream_bytes_toclient") == reply.count)
        #expect(flow.int("tcp", "gaps_toclient") == 0)
        let stats = try #require(run.stats)
        #expect(stats.int("tcp", "gaps") == mangled.lost.count)
        #expect(stats.int("tcp", "gap_bytes") == mangled.lostBytes)
        #expect(stats.int("tcp", "conflicting_overlaps") == 0)
        #expect(stats.int("tcp", "buffer_limit_gaps") == 0)
    }

    @Test("the committed gap capture: one 1073-byte hole at client stream offset 26312, the rest delivered")
    func committedGap() throws {
        let log = StreamLog()
        let run = try EndToEnd.analyze([CommittedCaptures.path("synthetic-gap-reorder.pcap")]) {
            $0.detector = ProtocolDetector(decoders: [StreamCollector(log: log)])
        }
        let streams = try #require(log.all.first)
        #expect(log.all.count == 1)
        #expect(streams.toServer.gaps == [StreamLog.Gap(offset: 26312, length: 1073)])
        #expect(streams.toServer.bytes.count == 28927)
        #expect(streams.toClient.gaps.isEmpty && streams.toClient.bytes.count == 8000)
        #expect(run.flows.first?.string("app_proto") == "collect")
    }

    @Test("the snaplen-96 capture: the captured 42 bytes of each data packet delivered, the rest reported as gaps")
    func snapLengthGaps() throws {
        let path = CommittedCaptures.path("synthetic-snaplen-96.pcap")
        let log = StreamLog()
        _ = try EndToEnd.analyze([path]) { $0.detector = ProtocolDetector(decoders: [StreamCollector(log: log)]) }
        let streams = try #require(log.all.first)

        // The payload bytes the file holds, per direction, read straight from the records
        // (Ethernet, IPv4, TCP), so that no delivered byte can be invented.
        let capture = try ClassicPcap(path: path)
        var captured = [[UInt8](), [UInt8]()]
        for record in capture.records {
            let bytes = record.bytes
            let ip = 14
            let tcp = ip + Int(bytes[ip] & 0x0F) * 4
            let payload = tcp + Int(bytes[tcp + 12] >> 4) * 4
            guard payload < bytes.count else { continue }
            let fromClient = bytes[ip + 15] == 1  // 10.11.0.1
            captured[fromClient ? 0 : 1] += bytes[payload...]
        }
        #expect(captured[0].count == 42 && captured[1].count == 126)
        #expect(streams.toServer.bytes == captured[0])
        #expect(streams.toClient.bytes == captured[1])
        #expect(streams.toServer.gaps == [StreamLog.Gap(offset: 42, length: 958)])
        #expect(streams.toClient.gaps == [
            StreamLog.Gap(offset: 42, length: 1418), StreamLog.Gap(offset: 1502, length: 1418), StreamLog.Gap(offset: 2962, length: 38),
        ])
        #expect(streams.toServer.nextOffset == 1000 && streams.toClient.nextOffset == 3000)
    }
}
