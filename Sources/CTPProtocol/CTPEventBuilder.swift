import ProtocolKit

/// Turns a decoded message into the output: the `ctp` record (header, fields by name) and the
/// normalised `trading` event in the shared vocabulary. Built only when someone wants it.
enum CTPEventBuilder {
    /// A message, read against what its connection said before it (`facts`); nil when the
    /// interest's demand needs no event of it (nobody reads it).
    static func message(
        _ message: CTPMessage, facts: CTPSessionFacts, flow: FlowInfo, direction: Direction, time: Timestamp,
        interest: EventInterest
    ) -> TradingEvent? {
        var kind = EventKind.message
        var fields = EventFieldBuilder(plan: .everything)
        if interest.tradingEvents {
            kind = Self.kind(message)
            let plan = interest.plan(protocolIndex: protocolIndex, kind: kind)
            if plan.skipsKind { return nil }
            fields = EventFieldBuilder(plan: plan)
            trading(message, kind: kind, facts: facts, into: &fields)
            guard fields.needed else { return nil }
        }
        var record: FieldValue?
        if interest.records {
            let transaction = CTPTransactions.named(message.header.tid)
            record = .object(self.record(message, transaction: transaction, front: facts.front))
        }
        return TradingEvent(
            time: time, flow: flow, direction: direction, protocolName: "ctp", kind: kind, built: fields, record: record)
    }

    /// A heartbeat (FTD Type 0 frame with a keep-alive or heartbeat-timeout tag).
    static func link(
        _ extension: CTPExtension, area: UnsafeRawBufferPointer, anomalies: CTPAnomalySet, front: CTPFront?,
        flow: FlowInfo, direction: Direction, time: Timestamp, interest: EventInterest
    ) -> TradingEvent {
        let isHeartbeat = `extension`.keepAlive || `extension`.heartbeatTimeout != nil
        var record: FieldValue?
        if interest.records {
            var top: [(String, FieldValue)] = [("ftd_type", .uint(0))]
            if `extension`.heartbeatTimeout != nil {
                top.append(("link", .string("heartbeat_timeout")))
            } else if `extension`.keepAlive {
                top.append(("link", .string("keep_alive")))
            }
            if let timeout = `extension`.heartbeatTimeout { top.append(("heartbeat_timeout", .uint(UInt64(timeout)))) }
            if let front { top.append(("front", .string(front.rawValue))) }
            let tags = CTPExtension.record(area)
            if !tags.isEmpty { top.append(("ext", .array(tags))) }
            if !anomalies.isEmpty { top.append(("anomalies", names(anomalies))) }
            record = .object(top)
        }
        var fields: [(String, FieldValue)] = []
        if interest.tradingEvents {
            if let front { fields.append(("ctp.front", .string(front.rawValue))) }
            if let timeout = `extension`.heartbeatTimeout { fields.append(("heartbeat_timeout", .uint(UInt64(timeout)))) }
            if !anomalies.isEmpty { fields.append(("anomalies", names(anomalies))) }
        }
        return TradingEvent(
            time: time, flow: flow, direction: direction, protocolName: "ctp", kind: isHeartbeat ? .heartbeat : .message,
            fields: fields, record: record)
    }

    // MARK: - The record

    private static func record(_ message: CTPMessage, transaction: CTPTransaction?, front: CTPFront?) -> [(String, FieldValue)] {
        let header = message.header
        var top: [(String, FieldValue)] = [("tid", .string(CTPFormat.hex(header.tid, digits: 4)))]
        if let transaction { top.append(("tid_name", .string(transaction.name))) }
        top.append(("version", .uint(UInt64(header.version))))
        top.append(("chain", .string(String(UnicodeScalar(header.chain)))))
        top.append(("series", .uint(UInt64(header.series))))
        top.append(("sequence", .uint(UInt64(header.sequence))))
        top.append(("request_id", .uint(UInt64(header.requestID))))
        top.append(("field_count", .uint(UInt64(message.fieldCount))))
        top.append(("content_length", .uint(UInt64(message.contentBytes))))
        if message.packets > 1 { top.append(("packets", .uint(UInt64(message.packets)))) }
        top.append(("compressed", .bool(message.compressed)))
        if message.ftdType != CTPFrameHeader.compressedType { top.append(("ftd_type", .uint(UInt64(message.ftdType)))) }
        if let front { top.append(("front", .string(front.rawValue))) }
        if let version = message.apiVersion { top.append(("api_version", .string(version))) }
        if !message.extensions.isEmpty { top.append(("ext", .array(message.extensions))) }
        var fields: [(String, FieldValue)] = []
        for field in message.fields {
            var value: [(String, FieldValue)]
            if field.members.isEmpty {
                value = [("length", .uint(UInt64(field.length)))]
            } else {
                value = field.members
            }
            if field.recognised {
                value.insert(("fid", .string(CTPFormat.hex(UInt32(field.fid), digits: 4))), at: 0)
                value.insert(("recognised_by", .string("length")), at: 1)
            }
            if let existing = fields.lastIndex(where: { $0.0 == field.name }) {
                // A repeated field (instruments of a subscription, dissemination entries) becomes a list.
                if case .array(var values) = fields[existing].1 {
                    values.append(.object(value))
                    fields[existing].1 = .array(values)
                } else {
                    fields[existing].1 = .array([fields[existing].1, .object(value)])
                }
            } else {
                fields.append((field.name, .object(value)))
            }
        }
        top.append(("fields", .object(fields)))
        if !message.anomalies.isEmpty { top.append(("anomalies", names(message.anomalies))) }
        return top
    }

    private static func names(_ anomalies: CTPAnomalySet) -> FieldValue {
        .array(anomalies.members.map { .string($0.rawValue) })
    }

    // MARK: - The trading event

    /// The AppType names of RspAuthenticate (`TThostFtdcAppTypeType`).
    static func appTypeName(_ code: String) -> String? {
        switch code {
        case "1": "direct"
        case "2": "relay_many_to_many"
        case "3": "relay_one_to_many"
        case "4": "unknown"
        default: nil
        }
    }

    /// `HH:MM:SS.mmm`: the time, a dot and the millisecond padded to three digits (a millisecond
    /// outside 0...999 as `String(millisecond + 1000).dropFirst()` gives it). Short results are
    /// written straight into a small string, with no interpolation buffer.
    static func updateTime(_ time: String, millisecond: Int64) -> String {
        var time = time
        let length = time.utf8.count
        guard (0...999).contains(millisecond), length <= 11 else {
            return "\(time).\(String(millisecond + 1000).dropFirst())"
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { buffer in
            var at = time.withUTF8 { bytes in
                for index in 0..<length { buffer[index] = bytes[index] }
                return length
            }
            let digits = Int(millisecond)
            buffer[at] = UInt8(ascii: ".")
            buffer[at + 1] = UInt8(ascii: "0") + UInt8(digits / 100)
            buffer[at + 2] = UInt8(ascii: "0") + UInt8(digits / 10 % 10)
            buffer[at + 3] = UInt8(ascii: "0") + UInt8(digits % 10)
            at += 4
            return String(utf8Bytes: UnsafeBufferPointer(rebasing: buffer[0..<at]))
        }
    }

    /// The index of "ctp" in `EventVocabulary.protocols`, for `EventInterest.plan`.
    static let protocolIndex = EventVocabulary.protocols.firstIndex(of: "ctp") ?? -1

    /// The event kind of `message`.
    static func kind(_ message: CTPMessage) -> EventKind {
        if let kind = kind(tid: message.header.tid) { return kind }
        let tid = message.header.tid
        if message.field(CTPFieldTable.userSystemInfoName) != nil { return .relayClientInfo }
        let failed = (message.field("RspInfo")?.int("ErrorID") ?? 0) != 0
        if failed || tid == CTPTransactions.rspError || tid == CTPTransactions.errRtnOrderInsert
            || tid == CTPTransactions.errRtnOrderAction
        {
            return .reject
        }
        return .message
    }

    /// The event kind of a message of transaction `tid` when the transaction alone tells it; nil
    /// when its fields do: then it is `relay_client_info` (a UserSystemInfo field), `reject` or
    /// `message`.
    static func kind(tid: UInt32) -> EventKind? {
        switch tid {
        case CTPTransactions.reqAuthenticate: .authenticate
        case CTPTransactions.rspAuthenticate: .authenticateResult
        case CTPTransactions.reqUserLogin: .logon
        case CTPTransactions.rspUserLogin: .logonResult
        case CTPTransactions.reqUserLogout, CTPTransactions.rspUserLogout: .logout
        case CTPTransactions.reqOrderInsert: .orderNew
        case CTPTransactions.reqOrderAction: .orderCancel
        case CTPTransactions.rtnTrade: .execution
        case CTPTransactions.subscribeMarketData, CTPTransactions.unsubscribeMarketData: .mdSubscribe
        case CTPTransactions.rtnDepthMarketData: .mdQuote
        default: nil
        }
    }

    /// Whether the demand needs an event of the kinds a message of transaction `tid` can have
    /// only when it carries anomalies (or, for a transaction whose kind its fields tell, a
    /// UserSystemInfo field, which makes it `relay_client_info`): then the message need not be
    /// decoded to be left out (`CTPSession.packet`). False with per-message records.
    static func neededOnlyForAnomalies(tid: UInt32, interest: EventInterest) -> Bool {
        guard interest.tradingEvents && !interest.records else { return false }
        func anomaliesOnly(_ kind: EventKind) -> Bool {
            interest.plan(protocolIndex: protocolIndex, kind: kind).needsOnlyWith(anyOf: .anomalyFields)
        }
        if let kind = kind(tid: tid) { return anomaliesOnly(kind) }
        return anomaliesOnly(.message) && anomaliesOnly(.reject)
    }

    /// The field of a transaction whose members the builder reads by name, with where each event
    /// field comes from: quotes, orders and trades, most of a front's traffic. Nil for the others
    /// (decoded whole).
    static func memberSources(tid: UInt32) -> (fid: UInt16, sources: [(EventField, [String])])? {
        switch tid {
        case CTPTransactions.rtnDepthMarketData: (CTPFieldTable.depthMarketData, Field.quoteSources)
        case CTPTransactions.reqOrderInsert: (CTPFieldTable.inputOrder, Field.orderSources)
        case CTPTransactions.rtnTrade: (CTPFieldTable.trade, Field.tradeSources)
        default: nil
        }
    }

    /// The members of the field of transaction `tid` (`memberSources`) that the fields `plan` asks
    /// for are read from; nil when the transaction has no such field or the plan is unrestricted
    /// (every member is then decoded).
    static func wantedMembers(tid: UInt32, _ plan: FieldPlan) -> (fid: UInt16, names: [String])? {
        guard !plan.unrestricted, let (fid, sources) = memberSources(tid: tid) else { return nil }
        var names: [String] = []
        for (field, members) in sources where plan.wants(field) {
            for member in members where !names.contains(member) { names.append(member) }
        }
        return (fid, names)
    }

    /// The event fields (names of the shared vocabulary) the builder writes: one object, fetched
    /// once per message (a `static let` per field cost a `swift_once` call at every use).
    final class Field: Sendable {
        /// The one instance.
        static let shared = Field()
        private init() {}

        let tid = EventField("ctp.tid")
        let front = EventField("ctp.front")
        let apiVersion = EventField("ctp.api_version")
        let reportedIP = EventField("reported_ip")
        let authCodePresent = EventField("auth_code_present")
        let authInfoPresent = EventField("auth_info_present")
        let authenticated = EventField("authenticated")
        let challenge = EventField("challenge")
        let brokerID = EventField("broker_id")
        let userID = EventField("user_id")
        let clientProduct = EventField("client_product")
        let interfaceProduct = EventField("interface_product")
        let protocolInfo = EventField("protocol_info")
        let reportedMAC = EventField("reported_mac")
        let reportedPort = EventField("reported_port")
        let loginRemark = EventField("login_remark")
        let passwordPresent = EventField("password_present")
        let oneTimePasswordPresent = EventField("one_time_password_present")
        let tradingDay = EventField("trading_day")
        let loginTime = EventField("login_time")
        let systemName = EventField("system_name")
        let frontID = EventField("front_id")
        let sessionID = EventField("session_id")
        let subscriptionType = EventField("subscription_type")
        let instruments = EventField("instruments")
        let instrumentCount = EventField("instrument_count")
        let entryCount = EventField("entry_count")
        let orderSysID = EventField("order_sys_id")
        let orderStatus = EventField("order_status")
        let statusMsg = EventField("status_msg")
        let anomalies = EventField("anomalies")
        let appType = EventField("app_type")
        let appTypeCode = EventField("app_type_code")
        let resultCode = EventField("result_code")
        let text = EventField("text")
        let side = EventField("side")
        let appID = EventField("app_id")
        let account = EventField("account")
        let instrument = EventField("instrument")
        let exchange = EventField("exchange")
        let price = EventField("price")
        let quantity = EventField("quantity")
        let orderID = EventField("order_id")
        let orderPriceType = EventField("order_price_type")
        let offset = EventField("offset")
        let hedge = EventField("hedge")
        let timeCondition = EventField("time_condition")
        let clientID = EventField("client_id")
        let investUnit = EventField("invest_unit")
        let action = EventField("action")
        let lastPrice = EventField("last_price")
        let lastQuantity = EventField("last_quantity")
        let tradeID = EventField("trade_id")
        let tradeTime = EventField("trade_time")
        let volume = EventField("volume")
        let openInterest = EventField("open_interest")
        let bidPrice = EventField("bid_price")
        let bidQuantity = EventField("bid_quantity")
        let askPrice = EventField("ask_price")
        let askQuantity = EventField("ask_quantity")
        let updateTime = EventField("update_time")
        let actionDay = EventField("action_day")
        let reportType = EventField("report_type")
        let relayAppID = EventField("relay_app_id")
        let sessionAppType = EventField("session_app_type")
        let clientLoginTime = EventField("client_login_time")
        let terminalInfoLength = EventField("terminal_info_length")
        let terminalInfoHash = EventField("terminal_info_hash")
        let recognisedByLength = EventField("ctp.recognised_by_length")

        /// The DepthMarketData members each quote field is made from (`addQuote`).
        static let quoteSources: [(EventField, [String])] = [
            (shared.instrument, ["InstrumentID"]), (shared.instruments, ["InstrumentID"]), (shared.exchange, ["ExchangeID"]),
            (shared.price, ["LastPrice"]), (shared.volume, ["Volume"]), (shared.openInterest, ["OpenInterest"]), (shared.bidPrice, ["BidPrice1"]),
            (shared.bidQuantity, ["BidVolume1"]), (shared.askPrice, ["AskPrice1"]), (shared.askQuantity, ["AskVolume1"]),
            (shared.updateTime, ["UpdateTime", "UpdateMillisec"]), (shared.tradingDay, ["TradingDay"]), (shared.actionDay, ["ActionDay"]),
        ]
        /// What `addParties` reads: whose and on what.
        private static let partySources: [(EventField, [String])] = [
            (shared.account, ["InvestorID"]), (shared.brokerID, ["BrokerID"]), (shared.userID, ["UserID"]),
            (shared.instrument, ["InstrumentID"]), (shared.exchange, ["ExchangeID"]),
        ]
        /// What `addOrder` reads of an InputOrder.
        static let orderSources: [(EventField, [String])] = partySources + [
            (shared.side, ["Direction"]), (shared.price, ["LimitPrice"]), (shared.quantity, ["VolumeTotalOriginal"]),
            (shared.orderID, ["OrderRef"]), (shared.orderPriceType, ["OrderPriceType"]), (shared.offset, ["CombOffsetFlag"]),
            (shared.hedge, ["CombHedgeFlag"]), (shared.timeCondition, ["TimeCondition"]), (shared.clientID, ["ClientID"]),
            (shared.investUnit, ["InvestUnitID"]), (shared.reportedIP, ["IPAddress"]), (shared.reportedMAC, ["MacAddress"]),
        ]
        /// What `addTrade` reads of a Trade.
        static let tradeSources: [(EventField, [String])] = partySources + [
            (shared.side, ["Direction"]), (shared.lastPrice, ["Price"]), (shared.lastQuantity, ["Volume"]),
            (shared.orderID, ["OrderRef"]), (shared.orderSysID, ["OrderSysID"]), (shared.tradeID, ["TradeID"]),
            (shared.tradeTime, ["TradeTime"]), (shared.offset, ["OffsetFlag"]), (shared.clientID, ["ClientID"]),
            (shared.investUnit, ["InvestUnitID"]),
        ]
    }

    private static func trading(_ message: CTPMessage, kind: EventKind, facts: CTPSessionFacts, into fields: inout EventFieldBuilder) {
        let vocabulary = Field.shared
        let tid = message.header.tid
        var builder = TradingFields(fields: EventFieldBuilder(plan: fields.plan))
        defer { fields = builder.fields }
        builder.fields.add(vocabulary.tid, .string(CTPFormat.hex(tid, digits: 4)))
        builder.fields.add(vocabulary.front, facts.front.map { .string($0.rawValue) })
        if builder.fields.wants(vocabulary.apiVersion) { builder.fields.add(vocabulary.apiVersion, message.apiVersion.map(FieldValue.string)) }
        switch tid {
        case CTPTransactions.reqAuthenticate:
            if let request = message.field("AuthenticationInfo") ?? message.field("ReqAuthenticate") {
                builder.addClient(request)
                builder.add(vocabulary.reportedIP, request, "ClientIPAddress")
                if request.name == "ReqAuthenticate" {
                    builder.fields.add(vocabulary.authCodePresent, .bool(request["AuthCode"] != nil))
                } else {
                    // The 6.7.11 library never sends the AuthCode; its answer to a challenge is AuthInfo.
                    builder.fields.add(vocabulary.authInfoPresent, .bool(request["AuthInfo"] != nil))
                }
            }
        case CTPTransactions.rspAuthenticate:
            if let response = message.field("AuthenticationInfo") ?? message.field("RspAuthenticate") {
                builder.addClient(response)
                builder.addAppType(response)
                if let result = response.int("IsResult") {
                    // IsResult 0 with AuthInfo: a challenge the client must answer; 1: authenticated.
                    builder.fields.add(vocabulary.authenticated, .bool(result == 1))
                    if result == 0 && response["AuthInfo"] != nil { builder.fields.add(vocabulary.challenge, .bool(true)) }
                }
            }
            builder.addResult(message.field("RspInfo"))
        case CTPTransactions.reqUserLogin:
            if let login = message.field("ReqUserLogin") {
                builder.add(vocabulary.brokerID, login, "BrokerID")
                builder.add(vocabulary.userID, login, "UserID")
                builder.add(vocabulary.clientProduct, login, "UserProductInfo")
                builder.add(vocabulary.interfaceProduct, login, "InterfaceProductInfo")
                builder.add(vocabulary.protocolInfo, login, "ProtocolInfo")
                builder.add(vocabulary.reportedMAC, login, "MacAddress")
                builder.add(vocabulary.reportedIP, login, "ClientIPAddress")
                builder.addNumber(vocabulary.reportedPort, login, "ClientIPPort", skipZero: true)
                builder.add(vocabulary.loginRemark, login, "LoginRemark")
                builder.fields.add(vocabulary.passwordPresent, .bool(login["Password"] != nil))
                if login["OneTimePassword"] != nil { builder.fields.add(vocabulary.oneTimePasswordPresent, .bool(true)) }
            }
        case CTPTransactions.rspUserLogin:
            if let login = message.field("RspUserLogin") {
                builder.add(vocabulary.brokerID, login, "BrokerID")
                builder.add(vocabulary.userID, login, "UserID")
                builder.add(vocabulary.tradingDay, login, "TradingDay")
                builder.add(vocabulary.loginTime, login, "LoginTime")
                builder.add(vocabulary.systemName, login, "SystemName")
                builder.addNumber(vocabulary.frontID, login, "FrontID")
                builder.addNumber(vocabulary.sessionID, login, "SessionID")
            }
            builder.addResult(message.field("RspInfo"))
        case CTPTransactions.reqUserLogout, CTPTransactions.rspUserLogout:
            if let logout = message.field("UserLogout") {
                builder.add(vocabulary.brokerID, logout, "BrokerID")
                builder.add(vocabulary.userID, logout, "UserID")
            }
            if let result = message.field("RspInfo") { builder.addResult(result) }
        case CTPTransactions.reqOrderInsert:
            if let order = message.field("InputOrder") { builder.addOrder(order) }
        case CTPTransactions.reqOrderAction:
            if let action = message.field("InputOrderAction") { builder.addOrderAction(action) }
        case CTPTransactions.rtnTrade:
            if let trade = message.field("Trade") { builder.addTrade(trade) }
        case CTPTransactions.subscribeMarketData, CTPTransactions.unsubscribeMarketData:
            builder.fields.add(vocabulary.subscriptionType, .string(tid == CTPTransactions.subscribeMarketData ? "subscribe" : "unsubscribe"))
            if builder.fields.wants(vocabulary.instruments) || builder.fields.wants(vocabulary.instrumentCount) {
                let instruments = message.fields.filter { $0.name == "SpecificInstrument" }.compactMap { $0.text("InstrumentID") }
                builder.fields.add(vocabulary.instruments, .array(instruments.map(FieldValue.string)))
                builder.fields.add(vocabulary.instrumentCount, .uint(UInt64(instruments.count)))
            }
        case CTPTransactions.rtnDepthMarketData:
            // By index: a decoded field is not copied (nor its members retained) to be read.
            var first = -1
            var count = 0
            for index in message.fields.indices where message.fields[index].name == "DepthMarketData" {
                if first < 0 { first = index }
                count += 1
            }
            if first >= 0 { builder.addQuote(message.fields[first]) }
            if count > 1 {
                builder.fields.add(vocabulary.entryCount, .uint(UInt64(count)))
                if builder.fields.wants(vocabulary.instruments) {
                    let instruments = message.fields.filter { $0.name == "DepthMarketData" }.compactMap(\.instrument)
                    builder.fields.add(vocabulary.instruments, .array(instruments.map(FieldValue.string)))
                }
            }
        default:
            if let info = message.field(CTPFieldTable.userSystemInfoName) {
                builder.addUserSystemInfo(info, facts: facts)
            } else if kind == .reject {
                if let order = message.field("InputOrder") { builder.addOrder(order) }
                if let action = message.field("InputOrderAction") ?? message.field("OrderAction") { builder.addOrderAction(action) }
                builder.addResult(message.field("RspInfo"))
            } else if tid == CTPTransactions.rtnOrder, let order = message.field("Order") {
                builder.addOrder(order)
                builder.add(vocabulary.orderSysID, order, "OrderSysID")
                builder.add(vocabulary.orderStatus, order, "OrderStatus")
                builder.add(vocabulary.statusMsg, order, "StatusMsg")
            }
        }
        if !message.anomalies.isEmpty { builder.fields.add(vocabulary.anomalies, names(message.anomalies)) }
    }
}

/// The shared-vocabulary fields of one trading event, filled from decoded CTP fields.
private struct TradingFields {
    typealias Field = CTPEventBuilder.Field
    var fields: EventFieldBuilder
    /// The event fields, fetched once.
    let vocabulary = Field.shared

    /// `field` = the text member `member` of `decoded`, when present.
    mutating func add(_ field: EventField, _ decoded: CTPDecodedField, _ member: String) {
        fields.add(field, decoded.text(member).map(FieldValue.string))
    }

    /// `field` = the numeric member `member` of `decoded`, when present (and not zero with `skipZero`).
    mutating func addNumber(_ field: EventField, _ decoded: CTPDecodedField, _ member: String, skipZero: Bool = false) {
        guard fields.wants(field), let value = decoded[member] else { return }
        if skipZero, case .int(0) = value { return }
        fields.add(field, value)
    }

    /// `app_type` (its name) and `app_type_code` from AppType.
    mutating func addAppType(_ field: CTPDecodedField) {
        guard let code = field.text("AppType") else { return }
        fields.add(vocabulary.appType, .string(CTPEventBuilder.appTypeName(code) ?? code))
        fields.add(vocabulary.appTypeCode, .string(code))
    }

    /// `result_code` (ErrorID) and `text` (ErrorMsg) of a RspInfo.
    mutating func addResult(_ result: CTPDecodedField?) {
        // A string, as in FIX (373, 380, 102, 281): one JSON type per field name across protocols.
        fields.add(vocabulary.resultCode, .string(String(result?.int("ErrorID") ?? 0)))
        if let result { add(vocabulary.text, result, "ErrorMsg") }
    }

    /// `buy` / `sell` from a Direction letter ('0' / '1').
    mutating func addSide(_ field: CTPDecodedField) {
        guard fields.wants(vocabulary.side), let direction = field.text("Direction") else { return }
        fields.add(vocabulary.side, .string(direction == "0" ? "buy" : direction == "1" ? "sell" : direction))
    }

    /// Who authenticates: `broker_id`, `user_id`, `client_product` (UserProductInfo), `app_id`.
    mutating func addClient(_ field: CTPDecodedField) {
        add(vocabulary.brokerID, field, "BrokerID")
        add(vocabulary.userID, field, "UserID")
        add(vocabulary.clientProduct, field, "UserProductInfo")
        add(vocabulary.appID, field, "AppID")
    }

    /// Whose and on what an order, an order action or a trade is: `account` (InvestorID),
    /// `broker_id`, `user_id`, `instrument`, `exchange`.
    mutating func addParties(_ field: CTPDecodedField) {
        add(vocabulary.account, field, "InvestorID")
        add(vocabulary.brokerID, field, "BrokerID")
        add(vocabulary.userID, field, "UserID")
        if fields.wants(vocabulary.instrument) { fields.add(vocabulary.instrument, field.instrument.map(FieldValue.string)) }
        add(vocabulary.exchange, field, "ExchangeID")
    }

    /// The fields InputOrder, Order and the order part of a reject share.
    mutating func addOrder(_ order: CTPDecodedField) {
        addParties(order)
        addSide(order)
        addNumber(vocabulary.price, order, "LimitPrice")
        addNumber(vocabulary.quantity, order, "VolumeTotalOriginal")
        add(vocabulary.orderID, order, "OrderRef")
        add(vocabulary.orderPriceType, order, "OrderPriceType")
        add(vocabulary.offset, order, "CombOffsetFlag")
        add(vocabulary.hedge, order, "CombHedgeFlag")
        add(vocabulary.timeCondition, order, "TimeCondition")
        add(vocabulary.clientID, order, "ClientID")
        add(vocabulary.investUnit, order, "InvestUnitID")
        add(vocabulary.reportedIP, order, "IPAddress")
        add(vocabulary.reportedMAC, order, "MacAddress")
    }

    mutating func addOrderAction(_ action: CTPDecodedField) {
        addParties(action)
        add(vocabulary.orderID, action, "OrderRef")
        add(vocabulary.orderSysID, action, "OrderSysID")
        addNumber(vocabulary.frontID, action, "FrontID")
        addNumber(vocabulary.sessionID, action, "SessionID")
        if fields.wants(vocabulary.action), let flag = action.text("ActionFlag") {
            fields.add(vocabulary.action, .string(flag == "0" ? "cancel" : flag == "3" ? "modify" : flag))
        }
        addNumber(vocabulary.price, action, "LimitPrice")
        add(vocabulary.investUnit, action, "InvestUnitID")
        add(vocabulary.reportedIP, action, "IPAddress")
        add(vocabulary.reportedMAC, action, "MacAddress")
    }

    mutating func addTrade(_ trade: CTPDecodedField) {
        addParties(trade)
        addSide(trade)
        addNumber(vocabulary.lastPrice, trade, "Price")
        addNumber(vocabulary.lastQuantity, trade, "Volume")
        add(vocabulary.orderID, trade, "OrderRef")
        add(vocabulary.orderSysID, trade, "OrderSysID")
        add(vocabulary.tradeID, trade, "TradeID")
        add(vocabulary.tradeTime, trade, "TradeTime")
        add(vocabulary.offset, trade, "OffsetFlag")
        add(vocabulary.clientID, trade, "ClientID")
        add(vocabulary.investUnit, trade, "InvestUnitID")
    }

    /// The quote fields, read in the members' declaration order (DepthMarketData's, in which
    /// decoding lists them) so that each look-up is one comparison, and written in the event's.
    mutating func addQuote(_ quote: CTPDecodedField) {
        let v = vocabulary
        var cursor = CTPMemberCursor(quote)
        func text(_ field: EventField, _ member: String) -> String? { fields.wants(field) ? cursor.text(member) : nil }
        func number(_ field: EventField, _ member: String) -> FieldValue? { fields.wants(field) ? cursor.value(member) : nil }
        let tradingDay = text(v.tradingDay, "TradingDay")
        let exchange = text(v.exchange, "ExchangeID")
        let price = number(v.price, "LastPrice")
        let volume = number(v.volume, "Volume")
        let openInterest = number(v.openInterest, "OpenInterest")
        var updateTime: String?
        if let time = text(v.updateTime, "UpdateTime") {
            updateTime = CTPEventBuilder.updateTime(time, millisecond: cursor.int("UpdateMillisec") ?? 0)
        }
        let bidPrice = number(v.bidPrice, "BidPrice1")
        let bidQuantity = number(v.bidQuantity, "BidVolume1")
        let askPrice = number(v.askPrice, "AskPrice1")
        let askQuantity = number(v.askQuantity, "AskVolume1")
        let actionDay = text(v.actionDay, "ActionDay")
        let instrument = text(v.instrument, "InstrumentID")
        fields.add(v.instrument, instrument.map(FieldValue.string))
        fields.add(v.exchange, exchange.map(FieldValue.string))
        fields.add(v.price, price)
        fields.add(v.volume, volume)
        fields.add(v.openInterest, openInterest)
        fields.add(v.bidPrice, bidPrice)
        fields.add(v.bidQuantity, bidQuantity)
        fields.add(v.askPrice, askPrice)
        fields.add(v.askQuantity, askQuantity)
        fields.add(v.updateTime, updateTime.map(FieldValue.string))
        fields.add(v.tradingDay, tradingDay.map(FieldValue.string))
        fields.add(v.actionDay, actionDay.map(FieldValue.string))
    }

    /// The end client a UserSystemInfo describes, and which call sent it: `register` (a relay,
    /// before login), `submit` (a relay, after login) or `direct` (the library's own report for a
    /// direct client: AppType 1, or before login with no relay-filled members). One TID serves all
    /// three, so the call is told by the connection's AppType and login.
    mutating func addUserSystemInfo(_ info: CTPDecodedField, facts: CTPSessionFacts) {
        let relayFilled = info["ClientAppID"] != nil || info["ClientPublicIP"] != nil
        let reportType: String
        if facts.loggedIn {
            reportType = "submit"
        } else if facts.appType == "1" || (facts.appType == nil && !relayFilled) {
            reportType = "direct"
        } else {
            reportType = "register"
        }
        fields.add(vocabulary.reportType, .string(reportType))
        if reportType != "direct" { fields.add(vocabulary.relayAppID, facts.appID.map(FieldValue.string)) }
        if let appType = facts.appType { fields.add(vocabulary.sessionAppType, .string(CTPEventBuilder.appTypeName(appType) ?? appType)) }
        add(vocabulary.brokerID, info, "BrokerID")
        add(vocabulary.userID, info, "UserID")
        add(vocabulary.appID, info, "ClientAppID")
        add(vocabulary.reportedIP, info, "ClientPublicIP")
        addNumber(vocabulary.reportedPort, info, "ClientIPPort", skipZero: true)
        add(vocabulary.clientLoginTime, info, "ClientLoginTime")
        add(vocabulary.loginRemark, info, "ClientLoginRemark")
        if case .object(let blob)? = info["ClientSystemInfo"] {
            for (name, value) in blob {
                fields.add(name == "length" ? vocabulary.terminalInfoLength : vocabulary.terminalInfoHash, value)
            }
        }
        if info.recognised { fields.add(vocabulary.recognisedByLength, .bool(true)) }
    }
}

extension CTPDecodedField {
    /// The instrument: InstrumentID, or in 6.5.1+ bodies cut before it, nothing (the old slot is hidden).
    var instrument: String? { text("InstrumentID") }
}
