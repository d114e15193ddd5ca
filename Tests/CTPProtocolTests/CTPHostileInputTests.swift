import ProtocolKit
import TestSupport
import Testing

@testable import CTPProtocol

@Suite("CTP malformed frames and hostile input")
struct CTPHostileInputTests {
    typealias F = CTPFrameBuilder.Field

    static let login = CTPFrameBuilder.message(tid: 0x3000, fields: [F(0x1002, CTPStructs.reqUserLogin(broker: "9999", user: "u1", password: []))])
    static let quote = CTPFrameBuilder.message(tid: 0xF101, fields: [F(0x0012, CTPStructs.depthMarketData(CTPStructs.Quote()))])

    /// The anomaly names of every event, in order (a message's list, or a stream anomaly's name).
    static func anomalies(_ sink: CollectingEventSink) -> [[String]] {
        sink.events.map(\.anomalyNames)
    }

    @Test("a frame start is found where a byte-by-byte scan finds it, from any offset")
    func candidatesAsScanned() {
        var random = SeededGenerator(seed: 23)
        let frames = [CTPFrameBuilder.heartbeat, CTPFrameBuilder.heartbeatTimeout(30), CTPFrameBuilder.message(tid: 0x0000_3001, fields: [])]
        let pattern = CTPFraming.patternLength
        for _ in 0..<300 {
            // The bytes frame headers are made of, real frames, and anything.
            let bytes = random.framesAndBytes(
                length: random.int(in: 0...400), frames: frames, alphabet: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x10, 0xFF])
            bytes.withUnsafeBytes { buffer in
                for start in 0...buffer.count {
                    let scanned = (start..<max(start, buffer.count - pattern + 1)).first { CTPFraming.startsCandidate(buffer, at: $0) }
                    #expect(CTPFraming.nextCandidate(buffer, from: start) == scanned, "\(bytes) from \(start)")
                }
            }
        }
    }

    @Test("a frame whose length runs past the end of the stream: truncated_at_end, counted")
    func truncatedAtEnd() {
        let sink = decode([(.toServer, Self.login + Array(Self.quote.prefix(100)))])
        #expect(sink.events.map(\.kind) == [.logon, .anomaly])
        #expect(sink.events[1][field: "anomaly"] == .string("truncated_at_end"))
        #expect(sink.events[1][field: "length"] == .uint(100))
        #expect(sink.counters["ctp.anomalies.truncated_at_end"] == 1)
    }

    @Test("compression running past the frame (an escape as the last byte): compression_overrun")
    func compressionOverrun() {
        let packet = CTPFrameBuilder.packet(tid: 0x3000, fields: [F(0x1001, CTPStructs.dissemination(series: 1, sequence: 0))])
        var payload = [0x01, 0x03] + CTPFrameBuilder.compress(packet) + [0xE0]
        let frame = [0x02, 0x00, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
        payload.removeAll()
        let sink = decode([(.toServer, frame)])
        #expect(sink.events.count == 1)
        #expect(sink.events[0].anomalyNames == ["compression_overrun"])
        #expect(sink.events[0].kind == .logon)
    }

    @Test("a field running past the content, and a truncated field header: field_overrun and a field count mismatch")
    func fieldOverrun() {
        let long = CTPFrameBuilder.message(tid: 0x3000, fields: [F(0x1001, CTPStructs.dissemination(series: 1, sequence: 0), lengthOverride: 60)])
        #expect(decode([(.toServer, long)]).events.first?.anomalyNames == ["field_overrun", "field_count_mismatch"])
        // Two bytes of a field header at the end, counted in the content length.
        let fields = [F(0x1001, CTPStructs.dissemination(series: 1, sequence: 0))]
        let cut = CTPFrameBuilder.frame(CTPFrameBuilder.packet(tid: 0x3000, fields: fields, contentLength: 12) + [0x10, 0x01])
        #expect(decode([(.toServer, cut)]).events.first?.anomalyNames == ["field_overrun"])
    }

    @Test("FTDC content length and field count that disagree with the content are named")
    func headerMismatch() {
        let fields = [F(0x1001, CTPStructs.dissemination(series: 1, sequence: 0))]
        let wrongLength = CTPFrameBuilder.frame(CTPFrameBuilder.packet(tid: 0x3000, fields: fields, contentLength: 4))
        #expect(decode([(.toServer, wrongLength)]).events.first?.anomalyNames == ["ftdc_length_mismatch", "field_overrun", "field_count_mismatch"])
        let wrongCount = CTPFrameBuilder.frame(CTPFrameBuilder.packet(tid: 0x3000, fields: fields, fieldCount: 5))
        #expect(decode([(.toServer, wrongCount)]).events.first?.anomalyNames == ["field_count_mismatch"])
    }

    @Test("an unknown FTDC version and a bad chain byte are named; the message still decodes")
    func versionAndChain() {
        let fields = [F(0x1002, CTPStructs.reqUserLogin(broker: "9999", user: "u1", password: []))]
        let sink = decode([(.toServer, CTPFrameBuilder.message(tid: 0x3000, version: 0x63, fields: fields) + CTPFrameBuilder.message(tid: 0x3000, chain: "X", fields: fields))])
        #expect(Self.anomalies(sink) == [["unknown_version"], ["bad_chain"]])
        #expect(sink.events.allSatisfy { $0[field: "user_id"] == .string("u1") })
    }

    @Test("an unknown FTD type or extension length in step: named, the bytes skipped, the next frame decoded")
    func badHeaders() {
        let sink = decode([(.toServer, Self.login + [0x09, 0x00, 0x00, 0x04, 1, 2, 3, 4] + Self.quote + [0x02, 0x01, 0x00, 0x00] + Self.login)])
        #expect(sink.events.map(\.kind) == [.logon, .anomaly, .anomaly, .mdQuote, .anomaly, .anomaly, .logon])
        #expect(sink.events.compactMap { $0[field: "anomaly"] } == [
            .string("unknown_ftd_type"), .string("junk_skipped"), .string("bad_ext_length"), .string("junk_skipped"),
        ])
        #expect(sink.events[2][field: "length"] == .uint(8))
        #expect(sink.counters["ctp.anomalies.junk_skipped"] == 2)
    }

    @Test("bad extension tags, unknown CRP type and method, body on a link frame, content over 4096")
    func frameLevel() {
        let packet = CTPFrameBuilder.packet(tid: 0x3000, fields: [F(0x1001, CTPStructs.dissemination(series: 1, sequence: 0))])
        let badTag = CTPFrameBuilder.frame(packet, extensions: [0x07, 0x09, 0, 0])
        #expect(decode([(.toServer, badTag)]).events.first?.anomalyNames == ["bad_ext_tag"])
        let crp = CTPFrameBuilder.frame(packet, crpType: 0x05)
        #expect(decode([(.toServer, crp)]).events.first?.anomalyNames == ["unknown_crp_type"])
        let method = CTPFrameBuilder.frame(packet, method: 0x07)
        #expect(decode([(.toServer, method)]).events.first?.anomalyNames == ["unknown_compression"])
        let link: [UInt8] = [0x00, 0x02, 0x00, 0x03, 0x05, 0x00, 1, 2, 3]
        let linkEvents = decode([(.toServer, link)]).events
        #expect(linkEvents.first?.kind == .heartbeat)
        #expect(linkEvents.first?.anomalyNames == ["body_on_link_frame"])
        var big = CTPFrameBuilder.Body()
        big.raw(Array(repeating: 0x41, count: 5000), 5000)
        let large = CTPFrameBuilder.message(tid: 0x3099, fields: [F(0x7001, big.bytes)], compressed: false)
        let largeEvents = decode([(.toServer, large)]).events
        #expect(largeEvents.first?.anomalyNames == ["content_over_limit"])
        #expect(largeEvents.first?.field("0x7001", "length") == .uint(5000))
    }

    @Test("decompression past 20 + 65535 bytes stops: decompressed_too_large")
    func tooLarge() {
        let payload: [UInt8] = [0x01, 0x03] + [UInt8](repeating: 0xEF, count: 4400)
        let frame = [0x02, 0x00, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
        let sink = decode([(.toServer, frame)])
        #expect(sink.events.first?.anomalyNames == ["content_over_limit", "decompressed_too_large"])
        #expect(sink.counters["ctp.messages"] == 0)
    }

    @Test("fewer than 20 bytes of FTDC header: ftdc_header_truncated")
    func shortHeader() {
        let frame = CTPFrameBuilder.frame([0x0F, 0x4C, 0, 0, 0, 0, 0x30, 0])
        #expect(decode([(.toServer, frame)]).events.first?.anomalyNames == ["ftdc_header_truncated"])
    }

    @Test("a chain past its limit is reported with chain_too_long; one cut by another message with chain_interrupted")
    func chains() {
        var options = CTPOptions()
        options.maxChainPackets = 3
        var stream: [UInt8] = []
        for chain in ["C", "C", "C", "C", "L"] {
            stream += CTPFrameBuilder.message(tid: 0x8005, series: 4, requestID: 9, chain: Character(chain), fields: [F(0x000D, [1, 2, 3])])
        }
        let limited = decode([(.toClient, stream)], options: options).events
        #expect(limited.map(\.anomalyNames) == [["chain_too_long"], []])
        #expect(limited.map { $0.ctp("packets") } == [.uint(3), .uint(2)])

        let cut = CTPFrameBuilder.message(tid: 0x8005, series: 4, requestID: 9, chain: "C", fields: [F(0x000D, [1])]) + Self.login
        let interrupted = decode([(.toClient, cut)]).events
        #expect(interrupted.map(\.anomalyNames) == [["chain_interrupted"], []])
        #expect(interrupted.map(\.kind) == [.message, .logon])

        let open = decode([(.toClient, CTPFrameBuilder.message(tid: 0x8005, chain: "C", fields: [F(0x000D, [1])]))]).events
        #expect(open.map(\.anomalyNames) == [["chain_interrupted"]])
    }

    @Test("a TCP gap cuts a frame: truncated_at_gap, then the bytes up to the next frame are only counted")
    func gap() {
        let quotes = Self.quote + Self.quote + Self.quote
        let cutAt = Self.quote.count + 40
        let sink = run([
            .data(.toClient, Array(quotes[..<cutAt])),
            .gap(.toClient, 50),
            .data(.toClient, Array(quotes[(cutAt + 50)...]) + Self.quote),
        ])
        #expect(sink.events.map(\.kind) == [.mdQuote, .anomaly, .mdQuote, .mdQuote])
        #expect(sink.events[1][field: "anomaly"] == .string("truncated_at_gap"))
        #expect(sink.counters["ctp.resync_bytes_after_gap"] == UInt64(Self.quote.count - 40 - 50))
        #expect(sink.counters["ctp.anomalies.junk_skipped"] == nil)
    }

    @Test("a flow picked up mid-way starts at the first frame that checks out, without junk anomalies")
    func midstream() {
        let flow = FlowInfo(
            client: IPAddress(ipv4: 0x0A00_0001), clientPort: 40000, server: IPAddress(ipv4: 0x0A00_0002), serverPort: 41213,
            transport: .tcp, id: 8, start: .zero, orientation: .servicePort)
        for cut in [1, 5, 37, 100] {
            let sink = decode([(.toClient, Array(Self.quote[cut...]) + Self.quote + Self.quote)], chunk: 64, flow: flow)
            #expect(sink.events.map(\.kind) == [.mdQuote, .mdQuote], "cut \(cut)")
            #expect(sink.counters["ctp.resync_bytes_after_gap"] == UInt64(Self.quote.count - cut))
        }
    }

    @Test("random bytes, alone or between frames, never crash or hang the decoder", arguments: [1, 2, 3, 4])
    func randomBytes(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<60 {
            var stream: [UInt8] = []
            defer {
                let chunk = generator.int(in: 1...200)
                #expect(decode([(.toServer, stream)], chunk: chunk, interest: .none).counters == decode([(.toServer, stream)], chunk: chunk).counters)
            }
            for _ in 0..<generator.int(in: 1...6) {
                stream += generator.chance(0.5) ? generator.bytes(count: generator.int(in: 0...300)) : (generator.chance(0.5) ? Self.quote : Self.login)
            }
            let sink = decode([(.toServer, stream)], chunk: generator.int(in: 1...200))
            #expect(sink.counters["ctp.frames"] != nil)
        }
    }

    @Test("a conversation with random bytes changed decodes without crashing, and the probe never traps", arguments: [5, 6, 7])
    func mutations(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let streams = CTPConversations.trader
        for _ in 0..<80 {
            let mutated = streams.map { direction, bytes -> (Direction, [UInt8]) in
                var copy = bytes
                for _ in 0..<generator.int(in: 1...12) {
                    copy[generator.int(in: 0...(copy.count - 1))] = UInt8(truncatingIfNeeded: generator.next())
                }
                return (direction, copy)
            }
            let chunk = generator.int(in: 1...1500)
            let everything = decode(mutated, chunk: chunk)
            // Counting alone (the fast path) finds the same messages and anomalies.
            let counting = decode(mutated, chunk: chunk, interest: .none)
            #expect(counting.counters == everything.counters)
            _ = probe(Array(mutated[0].1.prefix(4096)))
        }
    }
}
