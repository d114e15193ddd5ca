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
            time: time, flow: flow, direction: direction, protocolName: "ctp", kind: kind, fields: fields.fields, record: record)
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

    /// The index of "ctp" in `EventVocabulary.protocols`, for `EventInterest.plan`.
    static let protocolIndex = EventVocabulary.protocols.firstIndex(of: "ctp") ?? -1

    /// The event kind of `message`.
    static func kind(_ message: CTPMessage) -> EventKind {
        switch message.header.tid {
        case CTPTransactions.reqAuthenticate: return .authenticate
        case CTPTransactions.rspAuthenticate: return .authenticateResult
        case CTPTransactions.reqUserLogin: return .logon
        case CTPTransactions.rspUserLogin: return .logonResult
        case CTPTransactions.reqUserLogout, CTPTransactions.rspUserLogout: return .logout
        case CTPTransactions.reqOrderInsert: return .orderNew
        case CTPTransactions.reqOrderAction: return .orderCancel
        case CTPTransactions.rtnTrade: return .execution
        case CTPTransactions.subscribeMarketData, CTPTransactions.unsubscribeMarketData: return .mdSubscribe
        case CTPTransactions.rtnDepthMarketData: return .mdQuote
        default:
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
    }

    /// The members of DepthMarketData that the quote fields `plan` asks for are read from
    /// (every member when nil: the plan wants them all, or a field not listed here).
    static func quoteMembers(_ plan: FieldPlan) -> [String]? {
        guard !plan.unrestricted else { return nil }
        var names: [String] = []
        for (field, members) in Field.quoteSources where plan.wants(field) { names += members }
        return names
    }

    /// The event fields (names of the shared vocabulary) the builder writes.
    enum Field {
        static let tid = EventField("ctp.tid")
        static let front = EventField("ctp.front")
        static let apiVersion = EventField("ctp.api_version")
        static let reportedIP = EventField("reported_ip")
        static let authCodePresent = EventField("auth_code_present")
        static let authInfoPresent = EventField("auth_info_present")
        static let authenticated = EventField("authenticated")
        static let challenge = EventField("challenge")
        static let brokerID = EventField("broker_id")
        static let userID = EventField("user_id")
        static let clientProduct = EventField("client_product")
        static let interfaceProduct = EventField("interface_product")
        static let protocolInfo = EventField("protocol_info")
        static let reportedMAC = EventField("reported_mac")
        static let reportedPort = EventField("reported_port")
        static let loginRemark = EventField("login_remark")
        static let passwordPresent = EventField("password_present")
        static let oneTimePasswordPresent = EventField("one_time_password_present")
        static let tradingDay = EventField("trading_day")
        static let loginTime = EventField("login_time")
        static let systemName = EventField("system_name")
        static let frontID = EventField("front_id")
        static let sessionID = EventField("session_id")
        static let subscriptionType = EventField("subscription_type")
        static let instruments = EventField("instruments")
        static let instrumentCount = EventField("instrument_count")
        static let entryCount = EventField("entry_count")
        static let orderSysID = EventField("order_sys_id")
        static let orderStatus = EventField("order_status")
        static let statusMsg = EventField("status_msg")
        static let anomalies = EventField("anomalies")
        static let appType = EventField("app_type")
        static let appTypeCode = EventField("app_type_code")
        static let resultCode = EventField("result_code")
        static let text = EventField("text")
        static let side = EventField("side")
        static let appID = EventField("app_id")
        static let account = EventField("account")
        static let instrument = EventField("instrument")
        static let exchange = EventField("exchange")
        static let price = EventField("price")
        static let quantity = EventField("quantity")
        static let orderID = EventField("order_id")
        static let orderPriceType = EventField("order_price_type")
        static let offset = EventField("offset")
        static let hedge = EventField("hedge")
        static let timeCondition = EventField("time_condition")
        static let clientID = EventField("client_id")
        static let investUnit = EventField("invest_unit")
        static let action = EventField("action")
        static let lastPrice = EventField("last_price")
        static let lastQuantity = EventField("last_quantity")
        static let tradeID = EventField("trade_id")
        static let tradeTime = EventField("trade_time")
        static let volume = EventField("volume")
        static let openInterest = EventField("open_interest")
        static let bidPrice = EventField("bid_price")
        static let bidQuantity = EventField("bid_quantity")
        static let askPrice = EventField("ask_price")
        static let askQuantity = EventField("ask_quantity")
        static let updateTime = EventField("update_time")
        static let actionDay = EventField("action_day")
        static let reportType = EventField("report_type")
        static let relayAppID = EventField("relay_app_id")
        static let sessionAppType = EventField("session_app_type")
        static let clientLoginTime = EventField("client_login_time")
        static let terminalInfoLength = EventField("terminal_info_length")
        static let terminalInfoHash = EventField("terminal_info_hash")
        static let recognisedByLength = EventField("ctp.recognised_by_length")

        /// The DepthMarketData members each quote field is made from (`addQuote`).
        static let quoteSources: [(EventField, [String])] = [
            (instrument, ["InstrumentID"]), (instruments, ["InstrumentID"]), (exchange, ["ExchangeID"]),
            (price, ["LastPrice"]), (volume, ["Volume"]), (openInterest, ["OpenInterest"]), (bidPrice, ["BidPrice1"]),
            (bidQuantity, ["BidVolume1"]), (askPrice, ["AskPrice1"]), (askQuantity, ["AskVolume1"]),
            (updateTime, ["UpdateTime", "UpdateMillisec"]), (tradingDay, ["TradingDay"]), (actionDay, ["ActionDay"]),
        ]
    }

    private static func trading(_ message: CTPMessage, kind: EventKind, facts: CTPSessionFacts, into fields: inout EventFieldBuilder) {
        let tid = message.header.tid
        var builder = TradingFields(fields: EventFieldBuilder(plan: fields.plan))
        defer { fields = builder.fields }
        builder.fields.add(Field.tid, .string(CTPFormat.hex(tid, digits: 4)))
        builder.fields.add(Field.front, facts.front.map { .string($0.rawValue) })
        if builder.fields.wants(Field.apiVersion) { builder.fields.add(Field.apiVersion, message.apiVersion.map(FieldValue.string)) }
        let result = message.field("RspInfo")
        switch tid {
        case CTPTransactions.reqAuthenticate:
            if let request = message.field("AuthenticationInfo") ?? message.field("ReqAuthenticate") {
                builder.addClient(request)
                builder.add(Field.reportedIP, request, "ClientIPAddress")
                if request.name == "ReqAuthenticate" {
                    builder.fields.add(Field.authCodePresent, .bool(request["AuthCode"] != nil))
                } else {
                    // The 6.7.11 library never sends the AuthCode; its answer to a challenge is AuthInfo.
                    builder.fields.add(Field.authInfoPresent, .bool(request["AuthInfo"] != nil))
                }
            }
        case CTPTransactions.rspAuthenticate:
            if let response = message.field("AuthenticationInfo") ?? message.field("RspAuthenticate") {
                builder.addClient(response)
                builder.addAppType(response)
                if let result = response.int("IsResult") {
                    // IsResult 0 with AuthInfo: a challenge the client must answer; 1: authenticated.
                    builder.fields.add(Field.authenticated, .bool(result == 1))
                    if result == 0 && response["AuthInfo"] != nil { builder.fields.add(Field.challenge, .bool(true)) }
                }
            }
            builder.addResult(result)
        case CTPTransactions.reqUserLogin:
            if let login = message.field("ReqUserLogin") {
                builder.add([
                    Field.brokerID: "BrokerID", Field.userID: "UserID", Field.clientProduct: "UserProductInfo",
                    Field.interfaceProduct: "InterfaceProductInfo", Field.protocolInfo: "ProtocolInfo", Field.reportedMAC: "MacAddress",
                    Field.reportedIP: "ClientIPAddress",
                ], login)
                builder.addNumber(Field.reportedPort, login, "ClientIPPort", skipZero: true)
                builder.add(Field.loginRemark, login, "LoginRemark")
                builder.fields.add(Field.passwordPresent, .bool(login["Password"] != nil))
                if login["OneTimePassword"] != nil { builder.fields.add(Field.oneTimePasswordPresent, .bool(true)) }
            }
        case CTPTransactions.rspUserLogin:
            if let login = message.field("RspUserLogin") {
                builder.add([
                    Field.brokerID: "BrokerID", Field.userID: "UserID", Field.tradingDay: "TradingDay", Field.loginTime: "LoginTime",
                    Field.systemName: "SystemName",
                ], login)
                builder.addNumber(Field.frontID, login, "FrontID")
                builder.addNumber(Field.sessionID, login, "SessionID")
            }
            builder.addResult(result)
        case CTPTransactions.reqUserLogout, CTPTransactions.rspUserLogout:
            if let logout = message.field("UserLogout") {
                builder.add([Field.brokerID: "BrokerID", Field.userID: "UserID"], logout)
            }
            if result != nil { builder.addResult(result) }
        case CTPTransactions.reqOrderInsert:
            if let order = message.field("InputOrder") { builder.addOrder(order) }
        case CTPTransactions.reqOrderAction:
            if let action = message.field("InputOrderAction") { builder.addOrderAction(action) }
        case CTPTransactions.rtnTrade:
            if let trade = message.field("Trade") { builder.addTrade(trade) }
        case CTPTransactions.subscribeMarketData, CTPTransactions.unsubscribeMarketData:
            builder.fields.add(Field.subscriptionType, .string(tid == CTPTransactions.subscribeMarketData ? "subscribe" : "unsubscribe"))
            if builder.fields.wants(Field.instruments) || builder.fields.wants(Field.instrumentCount) {
                let instruments = message.fields.filter { $0.name == "SpecificInstrument" }.compactMap { $0.text("InstrumentID") }
                builder.fields.add(Field.instruments, .array(instruments.map(FieldValue.string)))
                builder.fields.add(Field.instrumentCount, .uint(UInt64(instruments.count)))
            }
        case CTPTransactions.rtnDepthMarketData:
            var first: CTPDecodedField?
            var count = 0
            for field in message.fields where field.name == "DepthMarketData" {
                if first == nil { first = field }
                count += 1
            }
            if let first { builder.addQuote(first) }
            if count > 1 {
                builder.fields.add(Field.entryCount, .uint(UInt64(count)))
                if builder.fields.wants(Field.instruments) {
                    let instruments = message.fields.filter { $0.name == "DepthMarketData" }.compactMap(\.instrument)
                    builder.fields.add(Field.instruments, .array(instruments.map(FieldValue.string)))
                }
            }
        default:
            if let info = message.field(CTPFieldTable.userSystemInfoName) {
                builder.addUserSystemInfo(info, facts: facts)
            } else if kind == .reject {
                if let order = message.field("InputOrder") { builder.addOrder(order) }
                if let action = message.field("InputOrderAction") ?? message.field("OrderAction") { builder.addOrderAction(action) }
                builder.addResult(result)
            } else if tid == CTPTransactions.rtnOrder, let order = message.field("Order") {
                builder.addOrder(order)
                builder.add(Field.orderSysID, order, "OrderSysID")
                builder.add(Field.orderStatus, order, "OrderStatus")
                builder.add(Field.statusMsg, order, "StatusMsg")
            }
        }
        if !message.anomalies.isEmpty { builder.fields.add(Field.anomalies, names(message.anomalies)) }
    }
}

/// The shared-vocabulary fields of one trading event, filled from decoded CTP fields.
private struct TradingFields {
    typealias Field = CTPEventBuilder.Field
    var fields: EventFieldBuilder

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
        fields.add(Field.appType, .string(CTPEventBuilder.appTypeName(code) ?? code))
        fields.add(Field.appTypeCode, .string(code))
    }

    /// `result_code` (ErrorID) and `text` (ErrorMsg) of a RspInfo.
    mutating func addResult(_ result: CTPDecodedField?) {
        // A string, as in FIX (373, 380, 102, 281): one JSON type per field name across protocols.
        fields.add(Field.resultCode, .string(String(result?.int("ErrorID") ?? 0)))
        if let result { add(Field.text, result, "ErrorMsg") }
    }

    /// `buy` / `sell` from a Direction letter ('0' / '1').
    mutating func addSide(_ field: CTPDecodedField) {
        guard fields.wants(Field.side), let direction = field.text("Direction") else { return }
        fields.add(Field.side, .string(direction == "0" ? "buy" : direction == "1" ? "sell" : direction))
    }

    /// Text members `(field, member)` of `decoded`, each when present.
    mutating func add(_ pairs: KeyValuePairs<EventField, String>, _ decoded: CTPDecodedField) {
        for (field, member) in pairs where fields.wants(field) { add(field, decoded, member) }
    }

    /// Who authenticates: `broker_id`, `user_id`, `client_product` (UserProductInfo), `app_id`.
    mutating func addClient(_ field: CTPDecodedField) {
        add([Field.brokerID: "BrokerID", Field.userID: "UserID", Field.clientProduct: "UserProductInfo", Field.appID: "AppID"], field)
    }

    /// Whose and on what an order, an order action or a trade is: `account` (InvestorID),
    /// `broker_id`, `user_id`, `instrument`, `exchange`.
    mutating func addParties(_ field: CTPDecodedField) {
        add([Field.account: "InvestorID", Field.brokerID: "BrokerID", Field.userID: "UserID"], field)
        if fields.wants(Field.instrument) { fields.add(Field.instrument, field.instrument.map(FieldValue.string)) }
        add(Field.exchange, field, "ExchangeID")
    }

    /// The fields InputOrder, Order and the order part of a reject share.
    mutating func addOrder(_ order: CTPDecodedField) {
        addParties(order)
        addSide(order)
        addNumber(Field.price, order, "LimitPrice")
        addNumber(Field.quantity, order, "VolumeTotalOriginal")
        add([
            Field.orderID: "OrderRef", Field.orderPriceType: "OrderPriceType", Field.offset: "CombOffsetFlag",
            Field.hedge: "CombHedgeFlag", Field.timeCondition: "TimeCondition", Field.clientID: "ClientID",
            Field.investUnit: "InvestUnitID", Field.reportedIP: "IPAddress", Field.reportedMAC: "MacAddress",
        ], order)
    }

    mutating func addOrderAction(_ action: CTPDecodedField) {
        addParties(action)
        add([Field.orderID: "OrderRef", Field.orderSysID: "OrderSysID"], action)
        addNumber(Field.frontID, action, "FrontID")
        addNumber(Field.sessionID, action, "SessionID")
        if fields.wants(Field.action), let flag = action.text("ActionFlag") {
            fields.add(Field.action, .string(flag == "0" ? "cancel" : flag == "3" ? "modify" : flag))
        }
        addNumber(Field.price, action, "LimitPrice")
        add([Field.investUnit: "InvestUnitID", Field.reportedIP: "IPAddress", Field.reportedMAC: "MacAddress"], action)
    }

    mutating func addTrade(_ trade: CTPDecodedField) {
        addParties(trade)
        addSide(trade)
        addNumber(Field.lastPrice, trade, "Price")
        addNumber(Field.lastQuantity, trade, "Volume")
        add([
            Field.orderID: "OrderRef", Field.orderSysID: "OrderSysID", Field.tradeID: "TradeID", Field.tradeTime: "TradeTime",
            Field.offset: "OffsetFlag", Field.clientID: "ClientID", Field.investUnit: "InvestUnitID",
        ], trade)
    }

    mutating func addQuote(_ quote: CTPDecodedField) {
        if fields.wants(Field.instrument) { fields.add(Field.instrument, quote.instrument.map(FieldValue.string)) }
        add(Field.exchange, quote, "ExchangeID")
        addNumber(Field.price, quote, "LastPrice")
        addNumber(Field.volume, quote, "Volume")
        addNumber(Field.openInterest, quote, "OpenInterest")
        addNumber(Field.bidPrice, quote, "BidPrice1")
        addNumber(Field.bidQuantity, quote, "BidVolume1")
        addNumber(Field.askPrice, quote, "AskPrice1")
        addNumber(Field.askQuantity, quote, "AskVolume1")
        if fields.wants(Field.updateTime), let time = quote.text("UpdateTime") {
            let millisecond = quote.int("UpdateMillisec") ?? 0
            let padded = String(millisecond + 1000).dropFirst()
            fields.add(Field.updateTime, .string("\(time).\(padded)"))
        }
        add(Field.tradingDay, quote, "TradingDay")
        add(Field.actionDay, quote, "ActionDay")
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
        fields.add(Field.reportType, .string(reportType))
        if reportType != "direct" { fields.add(Field.relayAppID, facts.appID.map(FieldValue.string)) }
        if let appType = facts.appType { fields.add(Field.sessionAppType, .string(CTPEventBuilder.appTypeName(appType) ?? appType)) }
        add(Field.brokerID, info, "BrokerID")
        add(Field.userID, info, "UserID")
        add(Field.appID, info, "ClientAppID")
        add(Field.reportedIP, info, "ClientPublicIP")
        addNumber(Field.reportedPort, info, "ClientIPPort", skipZero: true)
        add(Field.clientLoginTime, info, "ClientLoginTime")
        add(Field.loginRemark, info, "ClientLoginRemark")
        if case .object(let blob)? = info["ClientSystemInfo"] {
            for (name, value) in blob {
                fields.add(name == "length" ? Field.terminalInfoLength : Field.terminalInfoHash, value)
            }
        }
        if info.recognised { fields.add(Field.recognisedByLength, .bool(true)) }
    }
}

extension CTPDecodedField {
    /// The instrument: InstrumentID, or in 6.5.1+ bodies cut before it, nothing (the old slot is hidden).
    var instrument: String? { text("InstrumentID") }
}
