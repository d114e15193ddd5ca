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

    static func request(
        _ info: TDXFrameInfo, body: TDXRequestBody, facts: TDXSessionFacts, flow: FlowInfo, direction: Direction,
        time: Timestamp, interest: EventInterest
    ) -> TradingEvent {
        var record: FieldValue?
        if interest.records {
            var top = header(info, facts: facts)
            top.append(("packet_type", .uint(UInt64(info.packetType))))
            top.append(("length", .uint(UInt64(info.length))))
            top.append(("body", .object(body.fields)))
            if !info.anomalies.isEmpty { top.append(("anomalies", names(info.anomalies))) }
            record = .object(top)
        }
        var kind = EventKind.message
        var fields: [(String, FieldValue)] = []
        if interest.tradingEvents {
            fields = common(info, facts: facts)
            switch info.command {
            case TDXCommand.setup1:
                fields.append(("tdx.setup_step", body.fields.first { $0.0 == "step" }?.1 ?? .null))
            case TDXCommand.setup3, TDXCommand.officialLogin, TDXCommand.exSetup, TDXCommand.ngLogin:
                kind = .logon
                fields.append(("tdx.setup", .string(setupName(info.command))))
            default:
                if info.heartbeat {
                    kind = .heartbeat
                    if info.command == TDXCommand.securityCount { fields.append(("tdx.heartbeat_style", .string("pytdx_security_count"))) }
                } else if let subscription = body.subscription {
                    kind = .mdSubscribe
                    fields.append(("subscription_type", .string(subscription)))
                    fields.append(("instruments", .array(body.instruments.map { .string($0.qualified) })))
                    fields.append(("instrument_count", .uint(UInt64(body.instruments.count))))
                    let markets = Set(body.instruments.map(\.market))
                    if markets.count == 1, let market = markets.first {
                        fields.append(("tdx.market", .uint(UInt64(market))))
                        if info.family != .extended, let exchange = TDXInstrument.exchange(market) { fields.append(("exchange", .string(exchange))) }
                    } else if markets.count > 1 {
                        fields.append(("tdx.markets", .array(markets.sorted().map { .uint(UInt64($0)) })))
                    }
                    if body.instruments.count == 1, let only = body.instruments.first {
                        fields.append(("instrument", .string(only.qualified)))
                    }
                }
            }
            if let file = body.fileName { fields.append(("tdx.file_name", .string(file))) }
            if !info.anomalies.isEmpty { fields.append(("anomalies", names(info.anomalies))) }
        }
        return TradingEvent(time: time, flow: flow, direction: direction, protocolName: "tdx", kind: kind, fields: fields, record: record)
    }

    static func reply(
        _ info: TDXFrameInfo, body: TDXReplyBody?, request: TDXPendingRequest?, facts: TDXSessionFacts, flow: FlowInfo,
        direction: Direction, time: Timestamp, interest: EventInterest
    ) -> TradingEvent {
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
        var kind = EventKind.message
        var fields: [(String, FieldValue)] = []
        if interest.tradingEvents {
            fields = common(info, facts: facts)
            switch info.command {
            case TDXCommand.setup3, TDXCommand.officialLogin, TDXCommand.exSetup, TDXCommand.ngLogin:
                kind = .logonResult
                fields.append(("tdx.setup", .string(setupName(info.command))))
            default:
                if info.heartbeat {
                    kind = .heartbeat
                } else if let body, !body.quotes.isEmpty {
                    kind = .mdQuote
                    addQuotes(body.quotes, to: &fields)
                } else if let instrument = body?.instrument {
                    fields.append(("instrument", .string(instrument.qualified)))
                }
            }
            if let server = body?.fields.first(where: { $0.0 == "server_info" })?.1 { fields.append(("tdx.server_info", server)) }
            if let records = body?.records { fields.append(("tdx.records", .uint(UInt64(records)))) }
            fields.append(("tdx.compressed", .bool(info.compressed)))
            if !info.anomalies.isEmpty { fields.append(("anomalies", names(info.anomalies))) }
        }
        return TradingEvent(time: time, flow: flow, direction: direction, protocolName: "tdx", kind: kind, fields: fields, record: record)
    }

    /// `instrument`, `price`, `volume` ... of the first quote, and when there are several,
    /// `entry_count`, `instruments` and every quote's instrument, price and volume (`quotes`).
    private static func addQuotes(_ quotes: [TDXQuote], to fields: inout [(String, FieldValue)]) {
        guard let first = quotes.first else { return }
        fields.append(("instrument", .string(first.instrument.qualified)))
        if first.instrument.family != .extended, let exchange = TDXInstrument.exchange(first.instrument.market) {
            fields.append(("exchange", .string(exchange)))
        } else {
            fields.append(("tdx.market", .uint(UInt64(first.instrument.market))))
        }
        fields.append(("price", .double(first.price)))
        fields.append(("volume", .int(first.volume)))
        if let lastClose = first.lastClose { fields.append(("pre_close", .double(lastClose))) }
        if let amount = first.amount { fields.append(("amount", .double(amount))) }
        if let bid = first.bid {
            fields.append(("bid_price", .double(bid.price)))
            fields.append(("bid_quantity", .int(bid.volume)))
        }
        if let ask = first.ask {
            fields.append(("ask_price", .double(ask.price)))
            fields.append(("ask_quantity", .int(ask.volume)))
        }
        fields.append(("entry_count", .uint(UInt64(quotes.count))))
        if quotes.count > 1 {
            fields.append(("instruments", .array(quotes.map { .string($0.instrument.qualified) })))
            fields.append(("quotes", .array(quotes.map { quote in
                .object([("instrument", .string(quote.instrument.qualified)), ("price", .double(quote.price)), ("volume", .int(quote.volume))])
            })))
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
    private static func common(_ info: TDXFrameInfo, facts: TDXSessionFacts) -> [(String, FieldValue)] {
        var fields: [(String, FieldValue)] = [("tdx.command", .string(TDXFormat.hex(UInt32(info.command), digits: 4)))]
        if let command = TDXCommand.named(info.command) { fields.append(("tdx.command_name", .string(command.name))) }
        fields.append(("tdx.family", .string(info.family.rawValue)))
        fields += facts.tradingFields
        return fields
    }

    private static func setupName(_ command: UInt16) -> String {
        switch command {
        case TDXCommand.officialLogin: "official_login"
        case TDXCommand.exSetup: "extended_setup"
        case TDXCommand.ngLogin: "new_generation_login"
        default: "setup3"
        }
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
