import ProtocolKit
import TestSupport
import Testing

@testable import TDXProtocol

/// Sessions written with TDXFrameBuilder: framing in any chunking, pairing, fingerprints, the
/// counting path, and one test per anomaly.
@Suite("TDX decoder")
struct TDXDecoderTests {
    /// An event without its time (chunking changes which packet completes a frame, not its content).
    static func summary(_ event: TradingEvent) -> String {
        "\(event.direction) \(event.kind) \(event.record.map { "\($0)" } ?? "") \(event.fields.map { "\($0.0)=\($0.1)" })"
    }

    @Test("a pytdx session gives the same events and counters fed 1, 2, 3, 7, 64 or 1460 bytes at a time", arguments: [1, 2, 3, 7, 64, 1460])
    func chunkSweep(chunk: Int) {
        let reference = run(TDXSessions.pytdx)
        let chunked = run(TDXSessions.pytdx, chunk: chunk)
        let mine = chunked.events.map(Self.summary), theirs = reference.events.map(Self.summary)
        #expect(mine.count == theirs.count)
        if let index = mine.indices.first(where: { $0 < theirs.count && mine[$0] != theirs[$0] }) {
            Issue.record("event \(index) differs: \(mine[index].prefix(300)) / \(theirs[index].prefix(300))")
        }
        #expect(chunked.counters == reference.counters)
        #expect(reference.events.count == 12)
        #expect(reference.anomalyNames == [])
    }

    @Test("the pytdx session: set-up fingerprint, quotes paired and decoded, the idle count request is pytdx's heartbeat")
    func pytdxSession() throws {
        let sink = run(TDXSessions.pytdx)
        let kinds = sink.events.map(\.kind.rawValue)
        #expect(kinds == [
            "message", "message", "message", "message", "logon", "logon_result", "message", "message", "md_subscribe", "md_quote",
            "heartbeat", "heartbeat",
        ])
        let subscribe = try #require(sink.events.first { $0.kind == .mdSubscribe })
        #expect(subscribe[field: "instrument_count"] == .uint(30))
        #expect(subscribe[field: "instruments"]?.elements.first == .string("600000.SZ"))
        #expect(subscribe[field: "client_fingerprint"] == .string("pytdx_or_tradex"))
        let quote = try #require(sink.events.first { $0.kind == .mdQuote })
        #expect(quote.tdx("compressed") == .bool(true))
        #expect(quote.tdx("paired") == .bool(true))
        #expect(quote[field: "price"] == .double(10.0))
        #expect(quote[field: "entry_count"] == .uint(30))
        #expect(quote[field: "quotes"]?.elements.count == 30)
        let heartbeats = sink.events.filter { $0.kind == .heartbeat }
        #expect(heartbeats.count == 2)
        #expect(heartbeats[0][field: "tdx.heartbeat_style"] == .string("pytdx_security_count"))
        #expect(sink.counter("pytdx_setup_flows") == 1)
        #expect(sink.counter("pytdx_heartbeat_flows") == 1)
        #expect(sink.counter("fixed_sequence_flows") == 1)
        #expect(sink.counter("codes_requested") == 30)
        #expect(sink.counter("compressed_replies") == 1)
        #expect(sink.counter("requests") == 6 && sink.counter("replies") == 6 && sink.counter("frames") == 12)
        #expect(sink.counter("heartbeats") == 2)
        #expect(sink.counter("quote_flows") == 1)
    }

    @Test("a subscription names its instruments, their count and their market (or markets), whatever the request")
    func subscriptionInstruments() throws {
        let bars = TDXFrameBuilder.request(
            sequence: 0x0070_180C, command: 0x052D,
            body: TDXFrameBuilder.le16(1) + Array("600519".utf8) + TDXFrameBuilder.le16(9) + TDXFrameBuilder.le16(1)
                + TDXFrameBuilder.le16(0) + TDXFrameBuilder.le16(10))
        let sink = run(TDXSessions.pytdx + [
            .data(.toServer, TDXFrameBuilder.quotesRequest([(2, "430047"), (2, "430090")])),
            .data(.toServer, TDXFrameBuilder.quotesRequest([(0, "000001")])),
            .data(.toServer, bars),
        ])
        let subscriptions = sink.events.filter { $0.kind == .mdSubscribe }
        try #require(subscriptions.count == 4)
        // Thirty codes on both exchange markets.
        #expect(subscriptions[0][field: "instruments"]?.elements.count == 30)
        #expect(subscriptions[0][field: "tdx.markets"] == .array([.uint(0), .uint(1)]))
        #expect(subscriptions[0][field: "tdx.market"] == nil && subscriptions[0][field: "instrument"] == nil)
        // Two codes on one market.
        #expect(subscriptions[1][field: "instruments"] == .array([.string("430047.BJ"), .string("430090.BJ")]))
        #expect(subscriptions[1][field: "instrument_count"] == .uint(2))
        #expect(subscriptions[1][field: "tdx.market"] == .uint(2) && subscriptions[1][field: "exchange"] == .string("BSE"))
        #expect(subscriptions[1][field: "tdx.markets"] == nil && subscriptions[1][field: "instrument"] == nil)
        // One code: it is also the instrument.
        #expect(subscriptions[2][field: "instrument"] == .string("000001.SZ"))
        #expect(subscriptions[2][field: "exchange"] == .string("SZSE"))
        // One security's bars.
        #expect(subscriptions[3][field: "subscription_type"] == .string("bars"))
        #expect(subscriptions[3][field: "instruments"] == .array([.string("600519.SH")]))
        #expect(subscriptions[3][field: "instrument"] == .string("600519.SH"))
        #expect(subscriptions[3][field: "instrument_count"] == .uint(1))
        #expect(subscriptions[3][field: "tdx.market"] == .uint(1) && subscriptions[3][field: "exchange"] == .string("SSE"))
    }

    @Test("the counters are the same with and without events, and nothing is emitted without them", arguments: [1, 1460])
    func countersWithoutEvents(chunk: Int) {
        let steps = TDXSessions.pytdx + Self.malformed
        let loud = run(steps, chunk: chunk)
        let quiet = run(steps, chunk: chunk, interest: .none)
        #expect(quiet.events.isEmpty)
        #expect(quiet.counters == loud.counters)
        // The plain body with the compression bit, and the plain body whose raw size lies (its sizes
        // then say compressed, its flag does not, and it has no zlib header).
        #expect(loud.counter("anomalies.compression_flag_mismatch") == 2)
        #expect(loud.counter("anomalies.zlib_bad_header") == 1)
        // Found only by inflating: an event, not a counter.
        #expect(loud.anomalyNames.contains("zlib_corrupt"))
        #expect(loud.counter("anomalies.zlib_corrupt") == 0)
    }

    @Test("trading events without records (what rules want): quotes still read, no record built")
    func tradingEventsOnly() throws {
        let sink = run(TDXSessions.pytdx, interest: EventInterest(records: false, tradingEvents: true))
        let quote = try #require(sink.events.first { $0.kind == .mdQuote })
        #expect(quote.record == nil)
        #expect(quote[field: "entry_count"] == .uint(30))
        #expect(quote[field: "quotes"]?.elements.count == 30)
        #expect(sink.counters == run(TDXSessions.pytdx).counters)
    }

    @Test("under a demand, a frame whose event nobody can need is not decoded (nor a reply inflated); the events read are the same")
    func demandLeavesUnreadFramesUndecoded() {
        let steps = TDXSessions.pytdx + Self.malformed
        /// Every field of the TDX events of `kinds`, nothing else.
        func reading(_ kinds: Set<EventKind>) -> EventInterest {
            let demand = EventDemand { protocolIndex, kindIndex in
                protocolIndex == TDXEventBuilder.protocolIndex && kinds.contains(EventVocabulary.kinds[kindIndex])
                    ? FieldPlan(fields: .all, always: true, triggers: EventFieldSet()) : .nothing
            }
            return EventInterest(records: false, tradingEvents: true, demand: demand)
        }
        let allDecoder = TDXDecoder()
        let all = run(steps, interest: EventInterest(records: false, tradingEvents: true), decoder: allDecoder)
        let replies = all.events.filter { $0.direction == .toClient }.count
        #expect(allDecoder.inflater.inflated > 0)

        for kinds: Set<EventKind> in [[.mdSubscribe], [.mdQuote], [.logon, .logonResult], []] {
            let decoder = TDXDecoder()
            let sink = run(steps, interest: reading(kinds), decoder: decoder)
            let expected = all.events.filter { kinds.contains($0.kind) }
            #expect(sink.events.map(\.kind) == expected.map(\.kind))
            #expect(sink.events.map { $0.fields.map(\.0) } == expected.map { $0.fields.map(\.0) })
            #expect(sink.events.map { $0[field: "anomalies"] } == expected.map { $0[field: "anomalies"] })
            #expect(sink.events.count + sink.skippedEvents == all.events.count)
            #expect(sink.counters == all.counters)
            // Only replies that may be quotes (or plain messages) are inflated, and only when quotes are read.
            #expect((decoder.inflater.inflated > 0) == kinds.contains(.mdQuote))
        }
        #expect(replies > 4)
        #expect(all.events.contains { $0.kind == .mdQuote && $0[field: "anomalies"] != nil })
    }

    /// Replies with problems only their header or body tells, after the pytdx session.
    static var malformed: [TDXStep] {
        let body = TDXFrameBuilder.quotesBody(TDXSessions.quotes(Array(TDXSessions.codes.prefix(3))))
        var corrupt = TDXFrameBuilder.reply(sequence: 0x0063_2001, command: 0x053E, body: body + body, compress: true)
        corrupt[16 + 10] ^= 0xFF
        corrupt[16 + 11] ^= 0x5A
        return [
            .data(.toServer, TDXFrameBuilder.quotesRequest(Array(TDXSessions.codes.prefix(3)))),
            .data(.toClient, TDXFrameBuilder.reply(sequence: 0x0063_2001, command: 0x053E, body: body, flagOverride: 0x1C)),
            .data(.toServer, TDXFrameBuilder.quotesRequest(Array(TDXSessions.codes.prefix(3)))),
            .data(.toClient, TDXFrameBuilder.reply(sequence: 0x0063_2001, command: 0x053E, body: body, rawSize: UInt16(body.count + 9))),
            .data(.toServer, TDXFrameBuilder.quotesRequest(Array(TDXSessions.codes.prefix(3)))),
            .data(.toClient, corrupt),
        ]
    }

    // MARK: - Anomalies, one by one

    static let request = TDXFrameBuilder.request(sequence: 0x006C_180C, command: 0x044E, body: hex("00 00 75 c7 33 01"))
    static let reply = TDXFrameBuilder.reply(sequence: 0x006C_180C, command: 0x044E, body: hex("7e 04"))

    /// A compressed 0x0450 reply body of `count` records.
    static func listBody(_ count: Int) -> [UInt8] {
        var body = TDXFrameBuilder.le16(UInt16(count))
        for index in 0..<count {
            body += Array(String(100_000 + index).utf8) + TDXFrameBuilder.le16(100) + Array("ABCD".utf8) + [0, 0, 0, 0]
            body += [0, 0, 0, 0, 2] + TDXFrameBuilder.le32(Float(11.5).bitPattern) + [0, 0, 0, 0]
        }
        return body
    }

    static let listRequest = TDXFrameBuilder.request(sequence: 0x0164_1801, command: 0x0450, body: hex("00 00 00 00"))

    @Test("corrupt zlib: the reply is reported with zlib_corrupt and its sizes, never a failure")
    func corruptZlib() throws {
        var frame = TDXFrameBuilder.reply(sequence: 0x0164_1801, command: 0x0450, body: Self.listBody(200), compress: true)
        for index in stride(from: 40, to: 80, by: 3) { frame[index] ^= 0xA5 }
        let sink = run([.data(.toServer, Self.listRequest), .data(.toClient, frame)])
        let event = try #require(sink.events.last)
        #expect(event.commandName == "security_list")
        #expect(event.anomalyNames.contains("zlib_corrupt"))
        #expect(event.tdx("body") == nil)
        #expect(event.tdx("raw_size") == .uint(UInt64(Self.listBody(200).count)))
    }

    @Test("a zlib stream cut short: zlib_truncated")
    func truncatedZlib() throws {
        let full = TDXFrameBuilder.reply(sequence: 0x0164_1801, command: 0x0450, body: Self.listBody(50), compress: true)
        let stream = Array(full[16...])
        let short = Array(stream.prefix(stream.count - 20))
        let frame = TDXFrameBuilder.reply(sequence: 0x0164_1801, command: 0x0450, body: short, wireSize: UInt16(short.count), rawSize: UInt16(Self.listBody(50).count), flagOverride: 0x1C)
        let sink = run([.data(.toServer, Self.listRequest), .data(.toClient, frame)])
        #expect(sink.events.last?.anomalyNames == ["zlib_truncated"])
    }

    @Test("a raw size that lies: inflated_size_mismatch (larger and smaller than the header says), the body still decoded")
    func lyingRawSize() throws {
        let body = Self.listBody(20)
        let stream = TDXFrameBuilder.reply(sequence: 0, command: 0, body: body, compress: true)[16...]
        for raw in [body.count + 100, body.count - 100] {
            let frame = TDXFrameBuilder.reply(
                sequence: 0x0164_1801, command: 0x0450, body: Array(stream), wireSize: UInt16(stream.count), rawSize: UInt16(raw), flagOverride: 0x1C)
            let sink = run([.data(.toServer, Self.listRequest), .data(.toClient, frame)])
            let event = try #require(sink.events.last)
            #expect(event.anomalyNames.contains("inflated_size_mismatch"))
            if raw > body.count {
                #expect(event.body("count") == .uint(20))
                #expect(event.tdx("inflated_size") == .uint(UInt64(body.count)))
            }
        }
    }

    @Test("a wire size that lies (too short): the rest of the body is junk until the next reply: bad_header, junk_skipped")
    func lyingWireSize() throws {
        var frame = Self.reply
        frame[12] = 1  // wire size 1 instead of 2: one body byte left over
        frame[14] = 1
        let sink = run([.data(.toServer, Self.request + Self.request), .data(.toClient, frame + Self.reply)])
        #expect(sink.anomalyNames.contains("bad_header"))
        #expect(sink.anomalyNames.contains("junk_skipped"))
        #expect(sink.counter("replies") == 2)
        #expect(sink.counter("anomalies.bad_header") == 1)
        #expect(sink.counter("anomalies.junk_skipped") == 1)
    }

    @Test("request lengths that differ: request_length_mismatch, then the next request is found")
    func requestLengths() {
        var bad = Self.request
        bad[8] = 9  // len2 9, len1 8
        let sink = run([.data(.toServer, bad + Self.request)])
        #expect(sink.anomalyNames.first == "request_length_mismatch")
        #expect(sink.events.filter { $0.commandName == "security_count" }.count == 1)
        #expect(sink.counter("anomalies.request_length_mismatch") == 1)
    }

    @Test("the compression bit disagreeing with the sizes: compression_flag_mismatch (both ways)")
    func compressionFlag() {
        let plainWithBit = TDXFrameBuilder.reply(sequence: 0x006C_180C, command: 0x044E, body: hex("7e 04"), flagOverride: 0x1C)
        let compressedWithout = TDXFrameBuilder.reply(
            sequence: 0x006C_180C, command: 0x044E, body: Self.listBody(3), compress: true, flagOverride: 0x0C)
        for frame in [plainWithBit, compressedWithout] {
            let sink = run([.data(.toServer, Self.request), .data(.toClient, frame)])
            #expect(sink.events.last?.anomalyNames.first == "compression_flag_mismatch")
            #expect(sink.counter("anomalies.compression_flag_mismatch") == 1)
        }
    }

    @Test("a body over the cap: body_over_cap, not inflated")
    func overCap() throws {
        var options = TDXOptions()
        options.maxBodyBytes = 1000
        let frame = TDXFrameBuilder.reply(sequence: 0x0164_1801, command: 0x0450, body: Self.listBody(100), compress: true)
        let sink = run([.data(.toServer, Self.listRequest), .data(.toClient, frame)], options: options)
        let event = try #require(sink.events.last)
        #expect(event.anomalyNames == ["body_over_cap"])
        #expect(event.tdx("body") == nil)
        #expect(sink.counter("anomalies.body_over_cap") == 1)
    }

    @Test("a compressed body without a zlib header: zlib_bad_header, counted without events too")
    func badZlibHeader() {
        let frame = TDXFrameBuilder.reply(
            sequence: 0x0164_1801, command: 0x0450, body: [0x12, 0x34, 0x56], rawSize: 900, flagOverride: 0x1C)
        let steps: [TDXStep] = [.data(.toServer, Self.listRequest), .data(.toClient, frame)]
        #expect(run(steps).events.last?.anomalyNames == ["zlib_bad_header"])
        #expect(run(steps, interest: .none).counter("anomalies.zlib_bad_header") == 1)
    }

    @Test("a reply nobody asked for: unpaired_reply on a flow seen from its start; not after a gap or mid-stream")
    func unpaired() {
        let other = TDXFrameBuilder.reply(sequence: 0x1111_1111, command: 0x044E, body: hex("7e 04"))
        let sink = run([.data(.toServer, Self.request), .data(.toClient, other)])
        #expect(sink.anomalyNames == ["unpaired_reply"])
        #expect(sink.counter("unanswered_requests") == 1)
        let afterGap = run([.data(.toServer, Self.request), .gap(.toServer, 100), .data(.toClient, Self.reply + other)])
        #expect(!afterGap.anomalyNames.contains("unpaired_reply"))
        var midStream = tdxFlow
        midStream.orientation = .servicePort
        #expect(run([.data(.toClient, other)], flow: midStream).anomalyNames == [])
    }

    @Test("one sequence id repeated: replies pair with requests by id, command and order")
    func pairingByOrder() {
        let first = TDXFrameBuilder.request(sequence: 7, command: 0x044E, body: hex("00 00 75 c7 33 01"))
        let second = TDXFrameBuilder.request(sequence: 7, command: 0x0450, body: hex("01 00 00 00"))
        let third = TDXFrameBuilder.request(sequence: 7, command: 0x044E, body: hex("01 00 75 c7 33 01"))
        let replies = TDXFrameBuilder.reply(sequence: 7, command: 0x0450, body: Self.listBody(1))
            + TDXFrameBuilder.reply(sequence: 7, command: 0x044E, body: hex("01 00"))
            + TDXFrameBuilder.reply(sequence: 7, command: 0x044E, body: hex("02 00"))
        let sink = run([.data(.toServer, first + second + third), .data(.toClient, replies)])
        #expect(sink.anomalyNames == [])
        #expect(sink.events.suffix(3).allSatisfy { $0.tdx("paired") == .bool(true) })
        #expect(sink.counter("unanswered_requests") == 0)
    }

    @Test("more requests outstanding than the limit: pending_overflow")
    func pendingOverflow() {
        var options = TDXOptions()
        options.maxPendingRequests = 2
        let sink = run([.data(.toServer, Self.request + Self.request + Self.request)], options: options)
        #expect(sink.anomalyNames == ["pending_overflow"])
        #expect(sink.counter("anomalies.pending_overflow") == 1)
    }

    @Test("junk between frames in step: junk_skipped with its length; the frames around it decode")
    func junk() throws {
        let sink = run([.data(.toServer, Self.request + [0xEE, 0xEE, 0xEE, 0xEE, 0xEE] + Self.request)])
        #expect(sink.events.filter { $0.commandName == "security_count" }.count == 2)
        let junk = try #require(sink.events.first { $0.kind == .anomaly && $0[field: "anomaly"] == .string("bad_header") })
        #expect(junk[field: "length"] != nil)
        let skipped = try #require(sink.events.first { $0[field: "anomaly"] == .string("junk_skipped") })
        #expect(skipped[field: "length"] == .uint(5))
    }

    @Test("a gap resynchronises on the next frame; the skipped bytes are counted, a cut frame is truncated_at_gap")
    func gap() {
        let quotes = TDXFrameBuilder.reply(
            sequence: 0x0063_2001, command: 0x053E, body: TDXFrameBuilder.quotesBody(TDXSessions.quotes(TDXSessions.codes)), compress: true)
        let sink = run([
            .data(.toServer, TDXFrameBuilder.quotesRequest(TDXSessions.codes) + Self.request),
            .data(.toClient, Array(quotes.prefix(300))), .gap(.toClient, UInt64(quotes.count - 300)),
            .data(.toClient, Array(quotes.suffix(40)) + Self.reply),
        ])
        #expect(sink.anomalyNames == ["truncated_at_gap"])
        #expect(sink.counter("resync_bytes_after_gap") == 40)
        #expect(sink.events.last?.commandName == "security_count")
        #expect(sink.counter("anomalies.truncated_at_gap") == 1)
    }

    @Test("a stream picked up mid-way starts at the first whole frame")
    func midStream() {
        var flow = tdxFlow
        flow.orientation = .servicePort
        let sink = run([.data(.toClient, Array(Self.reply.suffix(7)) + Self.reply + Self.reply)], flow: flow)
        #expect(sink.events.count == 2)
        #expect(sink.anomalyNames == [])
        #expect(sink.counter("resync_bytes_after_gap") == 7)
    }

    @Test("the stream ending inside a frame: truncated_at_end")
    func truncatedAtEnd() {
        let sink = run([.data(.toServer, Self.request + Array(Self.request.prefix(15)))])
        #expect(sink.anomalyNames == ["truncated_at_end"])
        #expect(sink.counter("anomalies.truncated_at_end") == 1)
    }

    @Test("an unknown command still gives an event with its code and sizes")
    func unknownCommand() throws {
        let request = TDXFrameBuilder.request(sequence: 5, command: 0x0777, body: [1, 2, 3])
        let reply = TDXFrameBuilder.reply(sequence: 5, command: 0x0777, body: [9, 8, 7, 6])
        let sink = run([.data(.toServer, TDXSessions.pytdxSetupBytes + request), .data(.toClient, reply)])
        let events = sink.events.filter { $0.tdx("command") == .string("0x0777") }
        #expect(events.count == 2)
        #expect(events[0].commandName == nil)
        #expect(events[0].body("body_length") == .uint(3))
        #expect(events[1].tdx("raw_size") == .uint(4))
        #expect(events[1].body("body_hex") == .string("09080706"))
        #expect(sink.counter("commands.unknown") == 1)
    }

    @Test("the official client: the 0x000b login, its block, and no pytdx fingerprint even after pytdx-like frames")
    func officialLogin() throws {
        let body = [UInt8](repeating: 0x11, count: 20) + Array([[UInt8]](repeating: hex("27 70 03 57 74 99 33 ae"), count: 8).joined())
            + [UInt8](repeating: 0x22, count: 196)
        let login = TDXFrameBuilder.request(sequence: 0x007B_1801, command: 0x000B, body: body)
        #expect(login.count == 292)
        let sink = run([.data(.toServer, login + Self.request)])
        let event = try #require(sink.events.first)
        #expect(event.kind == .logon)
        #expect(event[field: "client_fingerprint"] == .string("official_client"))
        #expect(event.body("repeated_block") == .string("27700357749933ae"))
        #expect(event.body("block_repeats") == .uint(8))
        #expect(sink.counter("official_login_flows") == 1 && sink.counter("pytdx_setup_flows") == 0)
    }

    @Test("the probe: requests at the start, replies anywhere, two requests in a row further in, not other protocols")
    func probes() {
        #expect(probe(Self.request) == .match)
        #expect(probe(Array(Self.request.prefix(5))) == .needMoreData)
        #expect(probe(Self.reply, direction: .toClient) == .match)
        #expect(probe([0x41, 0x42] + Self.reply, direction: .toClient) == .match)
        #expect(probe(Array(Self.request.suffix(4)) + Self.request + Self.request) == .match)
        #expect(probe(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) == .needMoreData)
        #expect(probe([UInt8](repeating: 0x41, count: 5000)) == .noMatch)
        #expect(probe(Array("8=FIX.4.4\u{1}9=5\u{1}35=0\u{1}10=000\u{1}".utf8) + [UInt8](repeating: 0x20, count: 4096)) == .noMatch)
        // A request with a command the notes do not name is not enough.
        #expect(probe(TDXFrameBuilder.request(sequence: 1, command: 0x0777)) == .needMoreData)
    }
}

extension TDXSessions {
    static var pytdxSetupBytes: [UInt8] { TDXFrameBuilder.pytdxSetup.flatMap { $0 } }
}
