import ProtocolKit

/// The header facts of one frame that the output needs.
struct TDXFrameInfo {
    var isRequest: Bool
    var flag: UInt8
    var sequence: UInt32
    var command: UInt16
    var family: TDXFamily
    var heartbeat: Bool
    var anomalies: TDXAnomalySet
    // Requests.
    var packetType: UInt8 = 0
    var length: Int = 0
    // Replies.
    var byte9: UInt8 = 0
    var wireSize = 0
    var rawSize = 0
    var compressed = false
    var paired = false
    var inflatedSize: Int?

    init(request header: TDXRequestHeader, family: TDXFamily, heartbeat: Bool, anomalies: TDXAnomalySet) {
        isRequest = true
        flag = header.flag
        sequence = header.sequence
        command = header.command
        self.family = family
        self.heartbeat = heartbeat
        self.anomalies = anomalies
        packetType = header.packetType
        length = Int(header.length1)
    }

    init(
        reply header: TDXReplyHeader, family: TDXFamily, heartbeat: Bool, paired: Bool, inflatedSize: Int?,
        anomalies: TDXAnomalySet
    ) {
        isRequest = false
        flag = header.flag
        sequence = header.sequence
        command = header.command
        self.family = family
        self.heartbeat = heartbeat
        self.anomalies = anomalies
        byte9 = header.byte9
        wireSize = Int(header.wireSize)
        rawSize = Int(header.rawSize)
        compressed = header.compressed
        self.paired = paired
        self.inflatedSize = inflatedSize
    }
}

/// Turns decoded frames into the output: the `tdx` record (header, sizes, the decoded body) and
/// the normalised `trading` event in the shared vocabulary. Built only when someone wants it.
enum TDXEventBuilder {
    // MARK: - Quote frames

    /// The index of "tdx" in `EventVocabulary.protocols`, for `EventInterest.plan`.
    static let protocolIndex = EventVocabulary.protocols.firstIndex(of: "tdx") ?? -1

    /// The event fields (names of the shared vocabulary) the builder writes.
    enum Field {
        static let command = EventField("tdx.command")
        static let commandName = EventField("tdx.command_name")
        static let family = EventField("tdx.family")
        static let setupStep = EventField("tdx.setup_step")
        static let setup = EventField("tdx.setup")
        static let heartbeatStyle = EventField("tdx.heartbeat_style")
        static let subscriptionType = EventField("subscription_type")
        static let instruments = EventField("instruments")
        static let instrumentCount = EventField("instrument_count")
        static let market = EventField("tdx.market")
        static let markets = EventField("tdx.markets")
        static let exchange = EventField("exchange")
        static let instrument = EventField("instrument")
        static let fileName = EventField("tdx.file_name")
        static let anomalies = EventField("anomalies")
        static let serverInfo = EventField("tdx.server_info")
        static let records = EventField("tdx.records")
        static let compressed = EventField("tdx.compressed")
        static let price = EventField("price")
        static let volume = EventField("volume")
        static let preClose = EventField("pre_close")
        static let amount = EventField("amount")
        static let bidPrice = EventField("bid_price")
        static let bidQuantity = EventField("bid_quantity")
        static let askPrice = EventField("ask_price")
        static let askQuantity = EventField("ask_quantity")
        static let entryCount = EventField("entry_count")
        static let quotes = EventField("quotes")
        static let clientFingerprint = EventField("client_fingerprint")
        static let brokerConfig = EventField("tdx.broker_config")
        static let fixedSequenceIDs = EventField("tdx.fixed_sequence_ids")
        static let pytdxHeartbeat = EventField("tdx.pytdx_heartbeat")
    }

    /// The kinds an event of a request for `command` can have, told before its body is read: the
    /// first when the body names no subscription, the second when it does.
    static func requestKinds(_ command: UInt16, heartbeat: Bool) -> (plain: EventKind, subscription: EventKind) {
        if command == TDXCommand.setup1 { return (.message, .message) }
        if TDXCommand.setupName(command) != nil { return (.logon, .logon) }
        return heartbeat ? (.heartbeat, .heartbeat) : (.message, .mdSubscribe)
    }

    /// The kind of the event of a request.
    static func requestKind(_ info: TDXFrameInfo, body: TDXRequestBody) -> EventKind {
        let kinds = requestKinds(info.command, heartbeat: info.heartbeat)
        return body.subscription != nil ? kinds.subscription : kinds.plain
    }

    /// The kinds an event of a reply to `command` can have, told before its body is inflated: the
    /// first when the body holds no quote, the second when it does.
    static func replyKinds(_ command: UInt16, heartbeat: Bool) -> (plain: EventKind, quotes: EventKind) {
        if TDXCommand.setupName(command) != nil { return (.logonResult, .logonResult) }
        return heartbeat ? (.heartbeat, .heartbeat) : (.message, .mdQuote)
    }

    /// The kind of the event of a reply.
    static func replyKind(_ info: TDXFrameInfo, body: TDXReplyBody?) -> EventKind {
        let kinds = replyKinds(info.command, heartbeat: info.heartbeat)
        return (body?.quoteCount ?? 0) > 0 ? kinds.quotes : kinds.plain
    }

    /// Whether an event of one of `kinds` may be needed: always with per-message records, else
    /// when the interest builds events of either kind from TDX.
    static func mayBeNeeded(_ kinds: (EventKind, EventKind), interest: EventInterest) -> Bool {
        guard interest.tradingEvents && !interest.records else { return interest.records }
        return reads(kinds.0, interest) || reads(kinds.1, interest)
    }

    /// Whether some reply's event may be needed, whatever its command (every kind `replyKinds`
    /// gives).
    static func anyReplyMayBeNeeded(_ interest: EventInterest) -> Bool {
        mayBeNeeded((.logonResult, .heartbeat), interest: interest) || mayBeNeeded((.message, .mdQuote), interest: interest)
    }

    /// Whether the interest builds events of `kind` from TDX at all.
    private static func reads(_ kind: EventKind, _ interest: EventInterest) -> Bool {
        !interest.plan(protocolIndex: protocolIndex, kind: kind).skipsKind
    }

    /// How many quotes of a reply the event of `plan` lists (the first alone, unless every
    /// quote's instrument or the quotes are wanted).
    static func quotesWanted(_ plan: FieldPlan) -> Int {
        plan.wants(Field.instruments) || plan.wants(Field.quotes) ? Int.max : 1
    }

    /// The event of a request; nil when the interest's demand needs none.
    static func request(
        _ info: TDXFrameInfo, body: TDXRequestBody, facts: TDXSessionFacts, flow: FlowInfo, direction: Direction,
        time: Timestamp, interest: EventInterest
    ) -> TradingEvent? {
        var kind = EventKind.message
        var fields = EventFieldBuilder(plan: .everything)
        if interest.tradingEvents {
            kind = requestKind(info, body: body)
            let plan = interest.plan(protocolIndex: protocolIndex, kind: kind)
            if plan.skipsKind { return nil }
            fields = EventFieldBuilder(plan: plan)
            common(info, facts: facts, into: &fields)
            if info.command == TDXCommand.setup1 {
                fields.add(Field.setupStep, body.fields.first { $0.0 == "step" }?.1 ?? .null)
            } else if let setup = TDXCommand.setupName(info.command) {
                fields.add(Field.setup, .string(setup))
            } else if info.heartbeat {
                if info.command == TDXCommand.securityCount { fields.add(Field.heartbeatStyle, .string("pytdx_security_count")) }
            } else if let subscription = body.subscription {
                fields.add(Field.subscriptionType, .string(subscription))
                fields.add(Field.instruments, .array(body.qualifiedCodes ?? body.single.map { [.string($0.qualified)] } ?? []))
                fields.add(Field.instrumentCount, .uint(UInt64(body.instrumentCount)))
                if body.markets.count == 1, let market = body.markets.first {
                    fields.add(Field.market, .uint(UInt64(market)))
                    if info.family != .extended, let exchange = TDXInstrument.exchange(market) { fields.add(Field.exchange, .string(exchange)) }
                } else if body.markets.count > 1 {
                    fields.add(Field.markets, .array(body.markets.map { .uint(UInt64($0)) }))
                }
                if body.instrumentCount == 1 {
                    fields.add(Field.instrument, body.single.map { .string($0.qualified) } ?? body.qualifiedCodes?.first)
                }
            }
            fields.add(Field.fileName, body.fileName.map(FieldValue.string))
            if !info.anomalies.isEmpty { fields.add(Field.anomalies, names(info.anomalies)) }
            guard fields.needed else { return nil }
        }
        var record: FieldValue?
        if interest.records {
            var top = header(info, facts: facts)
            top.append(("packet_type", .uint(UInt64(info.packetType))))
            top.append(("length", .uint(UInt64(info.length))))
            top.append(("body", .object(body.fields)))
            if !info.anomalies.isEmpty { top.append(("anomalies", names(info.anomalies))) }
            record = .object(top)
        }
        return TradingEvent(
            time: time, flow: flow, direction: direction, protocolName: "tdx", kind: kind, built: fields, record: record)
    }

    /// The event of a reply; nil when the interest's demand needs none.
    static func reply(
        _ info: TDXFrameInfo, body: TDXReplyBody?, request: TDXPendingRequest?, facts: TDXSessionFacts, flow: FlowInfo,
        direction: Direction, time: Timestamp, interest: EventInterest
    ) -> TradingEvent? {
        var kind = EventKind.message
        var fields = EventFieldBuilder(plan: .everything)
        if interest.tradingEvents {
            kind = replyKind(info, body: body)
            let plan = interest.plan(protocolIndex: protocolIndex, kind: kind)
            if plan.skipsKind { return nil }
            fields = EventFieldBuilder(plan: plan)
            common(info, facts: facts, into: &fields)
            if let setup = TDXCommand.setupName(info.command) {
                fields.add(Field.setup, .string(setup))
            } else if !info.heartbeat {
                if let body, body.quoteCount > 0 {
                    addQuotes(body, to: &fields)
                } else if let instrument = body?.instrument {
                    fields.add(Field.instrument, .string(instrument.qualified))
                }
            }
            if fields.wants(Field.serverInfo), let server = body?.fields.first(where: { $0.0 == "server_info" })?.1 {
                fields.add(Field.serverInfo, server)
            }
            fields.add(Field.records, body?.records.map { .uint(UInt64($0)) })
            fields.add(Field.compressed, .bool(info.compressed))
            if !info.anomalies.isEmpty { fields.add(Field.anomalies, names(info.anomalies)) }
            guard fields.needed else { return nil }
        }
        var record: FieldValue?
        if interest.records {
            var top = header(info, facts: facts)
            top.append(("compressed", .bool(info.compressed)))
            top.append(("wire_size", .uint(UInt64(info.wireSize))))
            top.append(("raw_size", .uint(UInt64(info.rawSize))))
            if let inflated = info.inflatedSize, inflated != info.rawSize { top.append(("inflated_size", .uint(UInt64(inflated)))) }
            if info.byte9 != 0 { top.append(("byte9", .uint(UInt64(info.byte9)))) }
            top.append(("paired", .bool(info.paired)))
            if let request, info.paired {
                top.append(("response_time_us", .int((time.nanoseconds - request.time.nanoseconds) / 1000)))
            }
            if let body { top.append(("body", .object(body.fields))) }
            if !info.anomalies.isEmpty { top.append(("anomalies", names(info.anomalies))) }
            record = .object(top)
        }
        return TradingEvent(
            time: time, flow: flow, direction: direction, protocolName: "tdx", kind: kind, built: fields, record: record)
    }

    /// `instrument`, `price`, `volume` ... of the first quote, and when there are several,
    /// `entry_count`, `instruments` and every quote's instrument, price and volume (`quotes`).
    private static func addQuotes(_ body: TDXReplyBody, to fields: inout EventFieldBuilder) {
        let quotes = body.quotes
        guard let first = quotes.first else { return }
        fields.add(Field.instrument, .string(first.instrument.qualified))
        if first.instrument.family != .extended, let exchange = TDXInstrument.exchange(first.instrument.market) {
            fields.add(Field.exchange, .string(exchange))
        } else {
            fields.add(Field.market, .uint(UInt64(first.instrument.market)))
        }
        fields.add(Field.price, .double(first.price))
        fields.add(Field.volume, .int(first.volume))
        fields.add(Field.preClose, first.lastClose.map(FieldValue.double))
        fields.add(Field.amount, first.amount.map(FieldValue.double))
        if let bid = first.bid {
            fields.add(Field.bidPrice, .double(bid.price))
            fields.add(Field.bidQuantity, .int(bid.volume))
        }
        if let ask = first.ask {
            fields.add(Field.askPrice, .double(ask.price))
            fields.add(Field.askQuantity, .int(ask.volume))
        }
        fields.add(Field.entryCount, .uint(UInt64(body.quoteCount)))
        if body.quoteCount > 1 {
            fields.add(Field.instruments, .array(quotes.map { .string($0.instrument.qualified) }))
            fields.add(Field.quotes, .array(quotes.map { quote in
                .object([("instrument", .string(quote.instrument.qualified)), ("price", .double(quote.price)), ("volume", .int(quote.volume))])
            }))
        }
    }

    /// What opens every frame's record.
    private static func header(_ info: TDXFrameInfo, facts: TDXSessionFacts) -> [(String, FieldValue)] {
        var top: [(String, FieldValue)] = [
            ("frame", .string(info.isRequest ? "request" : "reply")), ("family", .string(info.family.rawValue)),
            ("command", .string(TDXFormat.hex(UInt32(info.command), digits: 4))),
        ]
        if let command = TDXCommand.named(info.command) { top.append(("command_name", .string(command.name))) }
        top.append(("sequence", .string(TDXFormat.sequence(info.sequence))))
        top.append(("flag", .string(TDXFormat.hex(UInt32(info.flag), digits: 2))))
        if let fingerprint = facts.fingerprint { top.append(("client_fingerprint", .string(fingerprint))) }
        return top
    }

    /// The fields every quote-frame event has: the command and the session's fingerprints.
    private static func common(_ info: TDXFrameInfo, facts: TDXSessionFacts, into fields: inout EventFieldBuilder) {
        fields.add(Field.command, .string(TDXFormat.hex(UInt32(info.command), digits: 4)))
        if fields.wants(Field.commandName), let command = TDXCommand.named(info.command) { fields.add(Field.commandName, .string(command.name)) }
        fields.add(Field.family, .string(info.family.rawValue))
        fields.add(Field.clientFingerprint, facts.fingerprint.map(FieldValue.string))
        fields.add(Field.brokerConfig, facts.brokerConfig.map(FieldValue.string))
        if facts.fixedSequenceIDs { fields.add(Field.fixedSequenceIDs, .bool(true)) }
        if facts.pytdxHeartbeats > 0 { fields.add(Field.pytdxHeartbeat, .bool(true)) }
    }

    static func names(_ anomalies: TDXAnomalySet) -> FieldValue {
        .array(anomalies.members.map { .string($0.rawValue) })
    }

    // MARK: - Anomalies

    /// Bytes that gave no frame (junk, a cut frame, an unframed HTTP message).
    static func anomaly(
        _ kinds: [TDXAnomaly], bytes: Int, facts: TDXSessionFacts, flow: FlowInfo, direction: Direction, time: Timestamp,
        interest: EventInterest
    ) -> TradingEvent {
        let list = FieldValue.array(kinds.map { .string($0.rawValue) })
        var fields: [(String, FieldValue)] = [("anomaly", .string(kinds.first?.rawValue ?? "")), ("length", .uint(UInt64(bytes)))]
        if kinds.count > 1 { fields.append(("anomalies", list)) }
        fields += facts.tradingFields
        return TradingEvent(
            time: time, flow: flow, direction: direction, protocolName: "tdx", kind: .anomaly, fields: fields,
            record: interest.records ? .object([("anomalies", list), ("length", .uint(UInt64(bytes)))]) : nil)
    }

    // MARK: - The trading channel

    /// The first bytes of a connection on the trading port: whether they open TLS, and their hex.
    static func tradeChannel(
        first: UnsafeRawBufferPointer?, flow: FlowInfo, direction: Direction, time: Timestamp, interest: EventInterest
    ) -> TradingEvent {
        var facts: [(String, FieldValue)] = [("channel", .string("trade")), ("opaque", .bool(true)), ("server_port", .uint(UInt64(flow.serverPort)))]
        if let first, !first.isEmpty {
            let tls = first.count >= 3 && first[0] == 0x16 && first[1] == 0x03 && first[2] <= 0x04
            facts.append(("first_direction", .string(direction.description)))
            facts.append(("first_bytes", .string(TDXFormat.bytes(first.prefix(16)))))
            facts.append(("tls", .bool(tls)))
        }
        var fields: [(String, FieldValue)] = []
        if interest.tradingEvents { fields = facts.map { ("tdx." + $0.0, $0.1) } }
        return TradingEvent(
            time: time, flow: flow, direction: direction, protocolName: "tdx", kind: .tradeChannel, fields: fields,
            record: interest.records ? .object(facts) : nil)
    }
}
