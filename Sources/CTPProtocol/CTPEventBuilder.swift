import ProtocolKit

/// Turns a decoded message into the output: the `ctp` record (header, fields by name) and the
/// normalised `trading` event in the shared vocabulary. Built only when someone wants it.
enum CTPEventBuilder {
    /// A message, read against what its connection said before it (`facts`).
    static func message(
        _ message: CTPMessage, facts: CTPSessionFacts, flow: FlowInfo, direction: Direction, time: Timestamp,
        interest: EventInterest
    ) -> TradingEvent {
        let transaction = CTPTransactions.named(message.header.tid)
        var record: FieldValue?
        if interest.records {
            record = .object(self.record(message, transaction: transaction, front: facts.front))
        }
        let (kind, fields) = interest.tradingEvents ? trading(message, facts: facts) : (EventKind.message, [])
        return TradingEvent(time: time, flow: flow, direction: direction, protocolName: "ctp", kind: kind, fields: fields, record: record)
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

    private static func trading(_ message: CTPMessage, facts: CTPSessionFacts) -> (EventKind, [(String, FieldValue)]) {
        let tid = message.header.tid
        var fields: [(String, FieldValue)] = [("ctp.tid", .string(CTPFormat.hex(tid, digits: 4)))]
        if let front = facts.front { fields.append(("ctp.front", .string(front.rawValue))) }
        if let version = message.apiVersion { fields.append(("ctp.api_version", .string(version))) }
        var builder = TradingFields(fields: fields)
        let result = message.field("RspInfo")
        let failed = (result?.int("ErrorID") ?? 0) != 0
        let kind: EventKind
        switch tid {
        case CTPTransactions.reqAuthenticate:
            kind = .authenticate
            if let request = message.field("AuthenticationInfo") ?? message.field("ReqAuthenticate") {
                builder.addClient(request)
                builder.add("reported_ip", request, "ClientIPAddress")
                if request.name == "ReqAuthenticate" {
                    builder.fields.append(("auth_code_present", .bool(request["AuthCode"] != nil)))
                } else {
                    // The 6.7.11 library never sends the AuthCode; its answer to a challenge is AuthInfo.
                    builder.fields.append(("auth_info_present", .bool(request["AuthInfo"] != nil)))
                }
            }
        case CTPTransactions.rspAuthenticate:
            kind = .authenticateResult
            if let response = message.field("AuthenticationInfo") ?? message.field("RspAuthenticate") {
                builder.addClient(response)
                builder.addAppType(response)
                if let result = response.int("IsResult") {
                    // IsResult 0 with AuthInfo: a challenge the client must answer; 1: authenticated.
                    builder.fields.append(("authenticated", .bool(result == 1)))
                    if result == 0 && response["AuthInfo"] != nil { builder.fields.append(("challenge", .bool(true))) }
                }
            }
            builder.addResult(result)
        case CTPTransactions.reqUserLogin:
            kind = .logon
            if let login = message.field("ReqUserLogin") {
                builder.add([
                    "broker_id": "BrokerID", "user_id": "UserID", "client_product": "UserProductInfo",
                    "interface_product": "InterfaceProductInfo", "protocol_info": "ProtocolInfo", "reported_mac": "MacAddress",
                    "reported_ip": "ClientIPAddress",
                ], login)
                builder.addNumber("reported_port", login, "ClientIPPort", skipZero: true)
                builder.add("login_remark", login, "LoginRemark")
                builder.fields.append(("password_present", .bool(login["Password"] != nil)))
                if login["OneTimePassword"] != nil { builder.fields.append(("one_time_password_present", .bool(true))) }
            }
        case CTPTransactions.rspUserLogin:
            kind = .logonResult
            if let login = message.field("RspUserLogin") {
                builder.add([
                    "broker_id": "BrokerID", "user_id": "UserID", "trading_day": "TradingDay", "login_time": "LoginTime",
                    "system_name": "SystemName",
                ], login)
                builder.addNumber("front_id", login, "FrontID")
                builder.addNumber("session_id", login, "SessionID")
            }
            builder.addResult(result)
        case CTPTransactions.reqUserLogout, CTPTransactions.rspUserLogout:
            kind = .logout
            if let logout = message.field("UserLogout") {
                builder.add(["broker_id": "BrokerID", "user_id": "UserID"], logout)
            }
            if result != nil { builder.addResult(result) }
        case CTPTransactions.reqOrderInsert:
            kind = .orderNew
            if let order = message.field("InputOrder") { builder.addOrder(order) }
        case CTPTransactions.reqOrderAction:
            kind = .orderCancel
            if let action = message.field("InputOrderAction") { builder.addOrderAction(action) }
        case CTPTransactions.rtnTrade:
            kind = .execution
            if let trade = message.field("Trade") { builder.addTrade(trade) }
        case CTPTransactions.subscribeMarketData, CTPTransactions.unsubscribeMarketData:
            kind = .mdSubscribe
            builder.fields.append(("subscription_type", .string(tid == CTPTransactions.subscribeMarketData ? "subscribe" : "unsubscribe")))
            let instruments = message.fields.filter { $0.name == "SpecificInstrument" }.compactMap { $0.text("InstrumentID") }
            builder.fields.append(("instruments", .array(instruments.map(FieldValue.string))))
            builder.fields.append(("instrument_count", .uint(UInt64(instruments.count))))
        case CTPTransactions.rtnDepthMarketData:
            kind = .mdQuote
            let quotes = message.fields.filter { $0.name == "DepthMarketData" }
            if let quote = quotes.first { builder.addQuote(quote) }
            if quotes.count > 1 {
                builder.fields.append(("entry_count", .uint(UInt64(quotes.count))))
                builder.fields.append(("instruments", .array(quotes.compactMap(\.instrument).map(FieldValue.string))))
            }
        default:
            if let info = message.field(CTPFieldTable.userSystemInfoName) {
                kind = .relayClientInfo
                builder.addUserSystemInfo(info, facts: facts)
            } else if failed || tid == CTPTransactions.rspError || tid == CTPTransactions.errRtnOrderInsert
                || tid == CTPTransactions.errRtnOrderAction
            {
                kind = .reject
                if let order = message.field("InputOrder") { builder.addOrder(order) }
                if let action = message.field("InputOrderAction") ?? message.field("OrderAction") { builder.addOrderAction(action) }
                builder.addResult(result)
            } else {
                kind = .message
                if tid == CTPTransactions.rtnOrder, let order = message.field("Order") {
                    builder.addOrder(order)
                    builder.add("order_sys_id", order, "OrderSysID")
                    builder.add("order_status", order, "OrderStatus")
                    builder.add("status_msg", order, "StatusMsg")
                }
            }
        }
        if !message.anomalies.isEmpty { builder.fields.append(("anomalies", names(message.anomalies))) }
        return (kind, builder.fields)
    }
}

/// The shared-vocabulary fields of one trading event, filled from decoded CTP fields.
private struct TradingFields {
    var fields: [(String, FieldValue)]

    /// `name` = the text member `member` of `field`, when present.
    mutating func add(_ name: String, _ field: CTPDecodedField, _ member: String) {
        if let value = field.text(member) { fields.append((name, .string(value))) }
    }

    /// `name` = the numeric member `member` of `field`, when present (and not zero with `skipZero`).
    mutating func addNumber(_ name: String, _ field: CTPDecodedField, _ member: String, skipZero: Bool = false) {
        guard let value = field[member] else { return }
        if skipZero, case .int(0) = value { return }
        fields.append((name, value))
    }

    /// `app_type` (its name) and `app_type_code` from AppType.
    mutating func addAppType(_ field: CTPDecodedField) {
        guard let code = field.text("AppType") else { return }
        fields.append(("app_type", .string(CTPEventBuilder.appTypeName(code) ?? code)))
        fields.append(("app_type_code", .string(code)))
    }

    /// `result_code` (ErrorID) and `text` (ErrorMsg) of a RspInfo.
    mutating func addResult(_ result: CTPDecodedField?) {
        // A string, as in FIX (373, 380, 102, 281): one JSON type per field name across protocols.
        fields.append(("result_code", .string(String(result?.int("ErrorID") ?? 0))))
        if let result { add("text", result, "ErrorMsg") }
    }

    /// `buy` / `sell` from a Direction letter ('0' / '1').
    mutating func addSide(_ field: CTPDecodedField) {
        guard let direction = field.text("Direction") else { return }
        fields.append(("side", .string(direction == "0" ? "buy" : direction == "1" ? "sell" : direction)))
    }

    /// Text members `(name, member)` of `field`, each when present.
    mutating func add(_ pairs: KeyValuePairs<String, String>, _ field: CTPDecodedField) {
        for (name, member) in pairs { add(name, field, member) }
    }

    /// Who authenticates: `broker_id`, `user_id`, `client_product` (UserProductInfo), `app_id`.
    mutating func addClient(_ field: CTPDecodedField) {
        add(["broker_id": "BrokerID", "user_id": "UserID", "client_product": "UserProductInfo", "app_id": "AppID"], field)
    }

    /// Whose and on what an order, an order action or a trade is: `account` (InvestorID),
    /// `broker_id`, `user_id`, `instrument`, `exchange`.
    mutating func addParties(_ field: CTPDecodedField) {
        add(["account": "InvestorID", "broker_id": "BrokerID", "user_id": "UserID"], field)
        if let instrument = field.instrument { fields.append(("instrument", .string(instrument))) }
        add("exchange", field, "ExchangeID")
    }

    /// The fields InputOrder, Order and the order part of a reject share.
    mutating func addOrder(_ order: CTPDecodedField) {
        addParties(order)
        addSide(order)
        addNumber("price", order, "LimitPrice")
        addNumber("quantity", order, "VolumeTotalOriginal")
        add([
            "order_id": "OrderRef", "order_price_type": "OrderPriceType", "offset": "CombOffsetFlag", "hedge": "CombHedgeFlag",
            "time_condition": "TimeCondition", "client_id": "ClientID", "invest_unit": "InvestUnitID", "reported_ip": "IPAddress",
            "reported_mac": "MacAddress",
        ], order)
    }

    mutating func addOrderAction(_ action: CTPDecodedField) {
        addParties(action)
        add(["order_id": "OrderRef", "order_sys_id": "OrderSysID"], action)
        addNumber("front_id", action, "FrontID")
        addNumber("session_id", action, "SessionID")
        if let flag = action.text("ActionFlag") {
            fields.append(("action", .string(flag == "0" ? "cancel" : flag == "3" ? "modify" : flag)))
        }
        addNumber("price", action, "LimitPrice")
        add(["invest_unit": "InvestUnitID", "reported_ip": "IPAddress", "reported_mac": "MacAddress"], action)
    }

    mutating func addTrade(_ trade: CTPDecodedField) {
        addParties(trade)
        addSide(trade)
        addNumber("last_price", trade, "Price")
        addNumber("last_quantity", trade, "Volume")
        add([
            "order_id": "OrderRef", "order_sys_id": "OrderSysID", "trade_id": "TradeID", "trade_time": "TradeTime",
            "offset": "OffsetFlag", "client_id": "ClientID", "invest_unit": "InvestUnitID",
        ], trade)
    }

    mutating func addQuote(_ quote: CTPDecodedField) {
        if let instrument = quote.instrument { fields.append(("instrument", .string(instrument))) }
        add("exchange", quote, "ExchangeID")
        addNumber("price", quote, "LastPrice")
        addNumber("volume", quote, "Volume")
        addNumber("open_interest", quote, "OpenInterest")
        addNumber("bid_price", quote, "BidPrice1")
        addNumber("bid_quantity", quote, "BidVolume1")
        addNumber("ask_price", quote, "AskPrice1")
        addNumber("ask_quantity", quote, "AskVolume1")
        if let time = quote.text("UpdateTime") {
            let millisecond = quote.int("UpdateMillisec") ?? 0
            let padded = String(millisecond + 1000).dropFirst()
            fields.append(("update_time", .string("\(time).\(padded)")))
        }
        add("trading_day", quote, "TradingDay")
        add("action_day", quote, "ActionDay")
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
        fields.append(("report_type", .string(reportType)))
        if reportType != "direct", let appID = facts.appID { fields.append(("relay_app_id", .string(appID))) }
        if let appType = facts.appType { fields.append(("session_app_type", .string(CTPEventBuilder.appTypeName(appType) ?? appType))) }
        add("broker_id", info, "BrokerID")
        add("user_id", info, "UserID")
        add("app_id", info, "ClientAppID")
        add("reported_ip", info, "ClientPublicIP")
        addNumber("reported_port", info, "ClientIPPort", skipZero: true)
        add("client_login_time", info, "ClientLoginTime")
        add("login_remark", info, "ClientLoginRemark")
        if case .object(let blob)? = info["ClientSystemInfo"] {
            for (name, value) in blob {
                fields.append((name == "length" ? "terminal_info_length" : "terminal_info_hash", value))
            }
        }
        if info.recognised { fields.append(("ctp.recognised_by_length", .bool(true))) }
    }
}

extension CTPDecodedField {
    /// The instrument: InstrumentID, or in 6.5.1+ bodies cut before it, nothing (the old slot is hidden).
    var instrument: String? { text("InstrumentID") }
}
