import ProtocolKit
import TestSupport
import Testing

@testable import CTPProtocol

/// Every string anywhere in a value (to look for secrets).
private func strings(_ value: FieldValue?) -> [String] {
    switch value {
    case .string(let text)?: [text]
    case .object(let members)?: members.flatMap { [$0.0] + strings($0.1) }
    case .array(let values)?: values.flatMap { strings($0) }
    default: []
    }
}

@Suite("CTP sessions")
struct CTPSessionTests {
    /// Kinds and TIDs of a run, one line per event.
    static func summary(_ sink: CollectingEventSink) -> [String] {
        sink.events.map { "\($0.direction) \($0.kind) \($0.tid ?? "-")" }
    }

    @Test("the same conversation fed 1, 2, 3, 7, 64 or 1460 bytes at a time gives the same messages", arguments: [1, 2, 3, 7, 64, 1460])
    func chunkSweep(chunk: Int) {
        for conversation in [CTPConversations.trader, CTPConversations.marketData] {
            let whole = decode(conversation)
            let chunked = decode(conversation, chunk: chunk)
            #expect(Self.summary(chunked) == Self.summary(whole))
            #expect(chunked.events.map(\.fields.count) == whole.events.map(\.fields.count))
            #expect(chunked.events.map(\.ctp.count) == whole.events.map(\.ctp.count))
            #expect(chunked.counters == whole.counters)
            #expect(whole.events.allSatisfy { $0.anomalyNames.isEmpty }, "\(whole.events.map(\.anomalyNames))")
        }
    }

    @Test("a relay's trading session becomes trading events in the shared vocabulary")
    func traderEvents() throws {
        // In the order the frames travel, so that the relay report follows the granted AppType.
        let sink = run(CTPSampleSessions.trader.map { StreamStep.data($0.0 == .client ? .toServer : .toClient, $0.1) })
        let toServer = sink.events.filter { $0.direction == .toServer }
        #expect(toServer.map(\.kind) == [
            .heartbeat, .message, .message, .authenticate, .relayClientInfo, .logon, .orderNew, .heartbeat, .orderCancel,
            .message, .logout,
        ])
        let toClient = sink.events.filter { $0.direction == .toClient }
        #expect(toClient.map(\.kind) == [.message, .message, .authenticateResult, .logonResult, .execution, .reject, .heartbeat, .message, .logout])

        let authenticate = toServer[3]
        #expect(authenticate[field: "broker_id"] == .string("9999"))
        #expect(authenticate[field: "user_id"] == .string("00012345"))
        #expect(authenticate[field: "app_id"] == .string("client_relay_1.0"))
        #expect(authenticate[field: "client_product"] == .string("relay1"))
        #expect(authenticate[field: "auth_info_present"] == .bool(false))
        #expect(authenticate[field: "ctp.api_version"] == .string("6.5.1+"))
        #expect(authenticate.field("AuthenticationInfo", "AuthInfo") == nil)
        #expect(authenticate.field("AuthenticationInfo", "AppType") == .string("4"))

        let result = toClient[2]
        #expect(result[field: "app_type"] == .string("relay_many_to_many"))
        #expect(result[field: "app_type_code"] == .string("2"))
        #expect(result[field: "result_code"] == .string("0"))
        #expect(result[field: "authenticated"] == .bool(true))

        let relay = toServer[4]
        #expect(relay[field: "user_id"] == .string("00012345"))
        #expect(relay[field: "reported_ip"] == .string("203.0.113.77"))
        #expect(relay[field: "reported_port"] == .int(50123))
        #expect(relay[field: "app_id"] == .string("client_enduser_2.1"))
        #expect(relay[field: "client_login_time"] == .string("09:12:01"))
        #expect(relay[field: "terminal_info_length"] == .uint(270))
        #expect(relay[field: "report_type"] == .string("register"))
        #expect(relay[field: "relay_app_id"] == .string("client_relay_1.0"))
        #expect(relay[field: "session_app_type"] == .string("relay_many_to_many"))
        #expect(relay[field: "ctp.recognised_by_length"] == nil)
        #expect(relay.ctp("tid") == .string("0x3024"))
        #expect(relay.ctp("tid_name") == .string("SubmitUserSystemInfo"))
        #expect(relay.ctp("request_id") == .uint(1000))

        let logon = toServer[5]
        #expect(logon[field: "password_present"] == .bool(true))
        #expect(logon[field: "reported_ip"] == .string("192.168.7.21"))
        #expect(logon[field: "reported_mac"] == .string("02:42:ac:11:00:02"))
        #expect(logon[field: "interface_product"] == .string("THOST User"))
        if case .array(let entries)? = logon.ctpFields.first(where: { $0.0 == "Dissemination" })?.1 {
            #expect(entries.count == 4)
        } else {
            Issue.record("the four Dissemination fields are not a list")
        }

        let order = toServer[6]
        #expect(order[field: "account"] == .string("00012345"))
        #expect(order[field: "instrument"] == .string("rb2605"))
        #expect(order[field: "side"] == .string("sell"))
        #expect(order[field: "price"] == .double(3561.5))
        #expect(order[field: "quantity"] == .int(3))
        #expect(order[field: "reported_ip"] == .string("192.168.7.21"))
        #expect(order[field: "reported_mac"] == .string("02:42:ac:11:00:02"))
        #expect(order[field: "exchange"] == .string("SHFE"))
        #expect(order.ctp("series") == .uint(1))
        #expect(order.ctp("request_id") == .uint(4))
        #expect(order[field: "ctp.api_version"] == .string("6.7.7+"))

        let cancel = toServer[8]
        #expect(cancel[field: "action"] == .string("cancel"))
        #expect(cancel[field: "order_sys_id"] == .string("      123456"))
        #expect(cancel[field: "session_id"] == .int(77))

        let fill = toClient[4]
        #expect(fill[field: "last_price"] == .double(3561))
        #expect(fill[field: "last_quantity"] == .int(3))
        #expect(fill[field: "trade_id"] == .string("     9001"))

        let reject = toClient[5]
        #expect(reject[field: "result_code"] == .string("25"))
        #expect(reject[field: "text"] == .string("撤单找不到相应报单"))

        let query = toClient[7]
        #expect(query.ctp("packets") == .uint(3))
        #expect(query.ctp("field_count") == .uint(6))
        #expect(query.ctp("chain") == .string("L"))
        if case .array(let positions)? = query.ctpFields.first(where: { $0.0 == "InvestorPosition" })?.1 {
            #expect(positions.count == 6)
        } else {
            Issue.record("the chained records are not one list")
        }

        // The front is known from the authentication on (the handshake and the first heartbeat come before).
        let fronts = sink.events.map { event -> String in
            if case .string(let front)? = event[field: "ctp.front"] { return front }
            return "-"
        }
        #expect(fronts.filter { $0 == "trader" }.count == 15)
        #expect(sink.counters["ctp.trader_flows"] == 1)
        #expect(sink.counters["ctp.messages"] == 17)
        #expect(sink.counters["ctp.multi_packet_messages"] == 1)
        #expect(sink.counters["ctp.heartbeats"] == 3)
    }

    @Test("secrets never appear: not the password, the AuthInfo or the handshake key material")
    func secrets() {
        let sink = decode(CTPConversations.trader)
        for event in sink.events {
            let texts = strings(event.record) + event.fields.flatMap { [$0.0] + strings($0.1) }
            #expect(!texts.contains { $0.contains("Secret#1") })
            #expect(!texts.contains { $0.contains("ZZZZ") || $0.unicodeScalars.contains { $0.value == 0xA5 } })
        }
        let handshake = sink.events.first { $0.tid == "0x3027" }
        #expect(handshake?.field("ReqVerifyApiKey", "ApiHandshakeDataLen") == .int(128))
        #expect(handshake?.field("ReqVerifyApiKey", "ApiHandshakeData") == nil)
        #expect(sink.events.first { $0.tid == "0x3025" }?.field("ReqApiHandshake", "CryptoKeyVersion") == .string("API_20171207_V1"))
    }

    @Test("a market-data session: subscription, answers and quotes of three layouts; the front is md")
    func marketData() {
        let sink = decode(CTPConversations.marketData)
        #expect(sink.events.map(\.kind) == [.heartbeat, .logon, .mdSubscribe, .logonResult, .message, .message, .mdQuote, .mdQuote, .mdQuote])
        let subscribe = sink.events[2]
        #expect(subscribe[field: "instruments"] == .array([.string("IF2601"), .string("au2606")]))
        #expect(subscribe[field: "instrument_count"] == .uint(2))
        #expect(subscribe[field: "subscription_type"] == .string("subscribe"))
        #expect(subscribe[field: "ctp.front"] == .string("md"))
        let first = sink.events[6]
        #expect(first[field: "instrument"] == .string("IF2601"))
        #expect(first[field: "price"] == .double(4000))
        #expect(first[field: "volume"] == .int(1000))
        #expect(first[field: "update_time"] == .string("09:30:00.500"))
        #expect(first[field: "bid_price"] == .double(3999.8))
        #expect(first[field: "ctp.api_version"] == .string("6.6.1+"))
        // DBL_MAX (no value) is left out.
        #expect(first.field("DepthMarketData", "ClosePrice") == nil)
        #expect(first.field("DepthMarketData", "CurrDelta") == nil)
        #expect(first.field("DepthMarketData", "BidPrice2") == nil)
        #expect(first.field("DepthMarketData", "BidVolume2") == .int(0))
        #expect(sink.events[7][field: "update_time"] == .string("09:30:01.000"))
        #expect(sink.events[7][field: "ctp.api_version"] == .string("6.5.1"))
        let batch = sink.events[8]
        #expect(batch[field: "ctp.api_version"] == .string("6.3.15-6.3.19"))
        #expect(batch[field: "entry_count"] == .uint(2))
        #expect(batch[field: "instruments"] == .array([.string("IF2601"), .string("au2606")]))
        #expect(batch[field: "price"] == .double(4000.4))
        #expect(sink.counters["ctp.md_flows"] == 1)
        #expect(sink.counters["ctp.trader_flows"] == 0)
    }

    @Test("terminal blobs show as a length and a short hash: equal blobs hash alike, others not")
    func terminalHash() {
        func report(user: String, blob: [UInt8]) -> TradingEvent? {
            let info = CTPStructs.userSystemInfo(
                broker: "9999", user: user, systemInfo: blob, publicIP: "198.51.100.9", port: 1, loginTime: "", appID: "x", length: 399)
            let frame = CTPFrameBuilder.message(tid: 0x3099, fields: [CTPFrameBuilder.Field(0x1099, info)])
            return decode([(.toServer, frame)]).events.first
        }
        let first = report(user: "A1", blob: CTPConversations.terminalBlob(7))
        let second = report(user: "B2", blob: CTPConversations.terminalBlob(7))
        let third = report(user: "C3", blob: CTPConversations.terminalBlob(8))
        #expect(first?.kind == .relayClientInfo)
        #expect(first?[field: "ctp.api_version"] == .string("6.5.1"))
        #expect(first?[field: "ctp.recognised_by_length"] == .bool(true))
        #expect(first?.field("UserSystemInfo", "fid") == .string("0x1099"))
        #expect(first?.field("UserSystemInfo", "recognised_by") == .string("length"))
        #expect(first?[field: "report_type"] == .string("register"))
        #expect(first?[field: "terminal_info_hash"] != nil)
        #expect(first?[field: "terminal_info_hash"] == second?[field: "terminal_info_hash"])
        #expect(first?[field: "terminal_info_hash"] != third?[field: "terminal_info_hash"])
        if case .string(let hash)? = first?[field: "terminal_info_hash"] { #expect(hash.count == 16) }
    }

    @Test("a 366/399/550-byte field that is not plausible UserSystemInfo stays an unknown field")
    func notUserSystemInfo() {
        let events = decode([(.toServer, CTPFrameBuilder.message(tid: 0x3099, fields: [
            CTPFrameBuilder.Field(0x1099, [UInt8](repeating: 0x41, count: 550)),
        ]))]).events
        #expect(events.first?.kind == .message)
        #expect(events.first?.ctpFields.first?.0 == "0x1099")
        #expect(events.first?.field("0x1099", "length") == .uint(550))
    }

    @Test("an unknown TID and field id give a message with their ids and length")
    func unknownIDs() {
        let events = decode([(.toClient, CTPFrameBuilder.message(tid: 0x7_7777, series: 9, sequence: 5, fields: [
            CTPFrameBuilder.Field(0xBEEF, [1, 2, 3, 4, 5]),
        ]))]).events
        #expect(events.count == 1)
        #expect(events[0].kind == .message)
        #expect(events[0].tid == "0x77777")
        #expect(events[0].ctp("tid_name") == nil)
        #expect(events[0].ctp("series") == .uint(9))
        #expect(events[0].field("0xBEEF", "length") == .uint(5))
        #expect(events[0].anomalyNames == [])
    }

    @Test("a known field of a length no release sends decodes the longest layout that fits, flagged")
    func unknownLength() {
        let body = CTPStructs.inputOrder(CTPConversations.order) + [0, 0, 0, 0]
        let events = decode([(.toServer, CTPFrameBuilder.message(tid: 0x4000, fields: [CTPFrameBuilder.Field(0x0400, body)]))]).events
        #expect(events.first?.anomalyNames == ["unknown_field_length"])
        #expect(events.first?[field: "instrument"] == .string("rb2605"))
        #expect(events.first?.ctp("api_version") == nil)
    }

    @Test("legacy 6.3.x orders carry the instrument in the old slot")
    func legacyOrder() {
        let body = CTPStructs.inputOrder(CTPConversations.order, legacy: true)
        let events = decode([(.toServer, CTPFrameBuilder.message(tid: 0x4000, version: 0x0C, fields: [CTPFrameBuilder.Field(0x0400, body)]))]).events
        #expect(events.first?[field: "instrument"] == .string("rb2605"))
        #expect(events.first?[field: "reported_ip"] == .string("192.168.7.21"))
        #expect(events.first?[field: "ctp.api_version"] == .string("6.3.15-6.3.19"))
    }

    @Test("uncompressed frames (CRP method 0, as clients often send) decode the same")
    func uncompressed() {
        let fields = [CTPFrameBuilder.Field(0x0400, CTPStructs.inputOrder(CTPConversations.order))]
        let plain = decode([(.toServer, CTPFrameBuilder.message(tid: 0x4000, fields: fields, compressed: false))]).events
        let packed = decode([(.toServer, CTPFrameBuilder.message(tid: 0x4000, fields: fields))]).events
        #expect(plain.first?.ctp("compressed") == .bool(false))
        #expect(plain.first?.fields.count == packed.first?.fields.count)
        #expect(plain.first?[field: "price"] == packed.first?[field: "price"])
    }

    @Test("with no interest nothing is built, and the counters are the same")
    func countOnly() {
        for conversation in [CTPConversations.trader, CTPConversations.marketData] {
            let everything = decode(conversation)
            let nothing = decode(conversation, interest: .none)
            #expect(nothing.events.isEmpty)
            #expect(nothing.counters == everything.counters)
        }
    }

    @Test("a message the rules read only for anomalies is left undecoded exactly when it has none")
    func anomalyOnlyMessagesSkipped() {
        typealias F = CTPFrameBuilder.Field
        let trade = CTPStructs.trade(CTPConversations.order, tradeID: "     9002", orderSysID: "      123457", price: 3562, volume: 1, time: "09:12:06")
        // A trade return and a subscription answer that do carry anomalies (a field count that
        // disagrees; a field running past the content); the answer's error code makes it a reject.
        let extra: [(Direction, [UInt8])] = [
            (.toClient, CTPFrameBuilder.frame(CTPFrameBuilder.packet(tid: 0xF002, fields: [F(0x0409, trade)], fieldCount: 2))),
            (.toClient, CTPFrameBuilder.message(tid: 0x4402, fields: [
                F(0x0000, CTPStructs.rspInfo(3)), F(0x2441, CTPStructs.specificInstrument("IF2601"), lengthOverride: 200),
            ])),
        ]
        let streams = CTPConversations.trader + CTPConversations.marketData + extra
        // The built-in rules' shape: client info and quotes always, the rest only with anomalies.
        var triggers = EventFieldSet()
        triggers.insert(EventField("anomaly").id)
        triggers.insert(EventField("anomalies").id)
        var fields = triggers
        for name in ["account", "user_id", "result_code", "app_id"] { fields.insert(EventField(name).id) }
        func plan(_ kindIndex: Int, always: Bool) -> FieldPlan {
            let kind = EventVocabulary.kinds[kindIndex]
            return FieldPlan(fields: fields, always: always || kind == .relayClientInfo || kind == .mdQuote, triggers: triggers)
        }
        func events(always: Bool) -> CollectingEventSink {
            let demand = EventDemand { _, kind in plan(kind, always: always) }
            return decode(streams, interest: EventInterest(records: false, tradingEvents: true, demand: demand))
        }
        let everything = events(always: true)
        // Heartbeats and anomaly events are not built under a plan (no `present`): always there.
        let expected = everything.events.filter { event in
            event.present.map { plan(event.kind.index, always: false).needs(present: $0) } ?? true
        }
        let built = events(always: false)
        #expect(built.events.map(\.kind) == expected.map(\.kind))
        #expect(built.events.map(\.present) == expected.map(\.present))
        #expect(built.events.map { $0[field: "anomalies"] } == expected.map { $0[field: "anomalies"] })
        #expect(built.counters == everything.counters)
        // Left out: the clean trade return, subscription answers and logouts; kept: the two above.
        #expect(expected.contains { $0.kind == .execution })
        #expect(expected.contains { $0.kind == .reject })
        #expect(expected.contains { $0.kind == .relayClientInfo })
        #expect(everything.events.count > expected.count + 4)
    }

    @Test("quotes, orders and trades decoded for the members the rules read give the fields a whole decode gives")
    func wantedMembersGiveTheSameFields() {
        let streams = CTPConversations.trader + CTPConversations.marketData
        let whole = decode(streams, interest: EventInterest(records: false, tradingEvents: true)).events
        let kinds: [EventKind] = [.orderNew, .execution, .mdQuote]
        func built(_ fields: EventFieldSet) -> [TradingEvent] {
            let demand = EventDemand { _, _ in FieldPlan(fields: fields, always: true, triggers: EventFieldSet()) }
            return decode(streams, interest: EventInterest(records: false, tradingEvents: true, demand: demand)).events
        }
        // Every field wanted, under a plan (the members are then chosen): the same events.
        let all = built(.all).filter { kinds.contains($0.kind) }
        let expected = whole.filter { kinds.contains($0.kind) }
        #expect(Set(all.map(\.kind)) == Set(kinds))
        #expect(all.map { $0.fields.map(\.0) } == expected.map { $0.fields.map(\.0) })
        #expect(all.map { $0.fields.map(\.1) } == expected.map { $0.fields.map(\.1) })
        // One field at a time: only its members are decoded, and it still has its value (a source
        // left out of the builder's table loses it).
        let names = Set(expected.flatMap { $0.fields.map(\.0) })
        for name in names.sorted() {
            var one = EventFieldSet()
            one.insert(EventField(name).id)
            let events = built(one).filter { kinds.contains($0.kind) }
            #expect(events.map(\.fields.count) == expected.map { $0.fields.filter { $0.0 == name }.count }, "\(name)")
            #expect(events.map { $0.fields.map(\.1) } == expected.map { $0.fields.filter { $0.0 == name }.map(\.1) }, "\(name)")
        }
    }

    @Test("records only, or trading events only")
    func partialInterest() {
        let records = decode(CTPConversations.trader, interest: EventInterest(records: true, tradingEvents: false)).events
        #expect(records.allSatisfy { $0.record != nil && $0.fields.isEmpty })
        let trading = decode(CTPConversations.trader, interest: EventInterest(records: false, tradingEvents: true)).events
        #expect(trading.allSatisfy { $0.record == nil })
        #expect(trading.map(\.kind) == decode(CTPConversations.trader).events.map(\.kind))
    }
}
