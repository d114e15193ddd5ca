import ProtocolKit

/// The TdxTradeServer wrapper's messages as output (notes section 2.3; FINDINGS.md section 8).
extension TDXEventBuilder {
    /// What a secret is written as when it holds anything.
    static let redacted = "<redacted>"

    /// Whether a parameter holds a secret (`jy_password`, `tx_password`, any password or PIN).
    static func isSecret(_ key: String) -> Bool {
        let lower = key.lowercased()
        return lower.contains("password") || lower.contains("passwd") || lower.contains("pwd") || lower.hasSuffix("pin")
            || lower.contains("secret") || lower == "enc_key" || lower == "enc_iv"
    }

    /// `value` with every secret member (at any depth) replaced by `<redacted>`, or removed when empty.
    static func redact(_ value: FieldValue) -> FieldValue {
        switch value {
        case .object(let members):
            return .object(members.map { key, member in
                guard isSecret(key) else { return (key, redact(member)) }
                if case .string(let text) = member, text.isEmpty { return (key, .string("")) }
                return (key, .string(redacted))
            })
        case .array(let elements):
            return .array(elements.map(redact))
        default:
            return value
        }
    }

    static func http(
        _ message: TDXHTTPMessage, json: FieldValue?, ciphertextLength: Int?, function: String?, anomalies: TDXAnomalySet,
        facts: TDXSessionFacts, flow: FlowInfo, direction: Direction, time: Timestamp, interest: EventInterest
    ) -> TradingEvent {
        let parts = message.parts
        let encrypted = json == nil && ciphertextLength != nil
        let params = message.isRequest ? json?[member: "params"] : nil
        var record: FieldValue?
        if interest.records {
            var httpFields: [(String, FieldValue)] = []
            if message.isRequest {
                httpFields.append(("method", .string(parts.count > 0 ? String(parts[0]) : "")))
                httpFields.append(("uri", .string(parts.count > 1 ? String(parts[1]) : "")))
                if parts.count > 2 { httpFields.append(("version", .string(String(parts[2])))) }
                if let host = message.header("Host") { httpFields.append(("host", .string(host))) }
                if let agent = message.header("User-Agent") { httpFields.append(("user_agent", .string(agent))) }
            } else {
                if parts.count > 0 { httpFields.append(("version", .string(String(parts[0])))) }
                if parts.count > 1, let status = UInt64(parts[1]) { httpFields.append(("status", .uint(status))) }
            }
            if let type = message.header("Content-Type") { httpFields.append(("content_type", .string(type))) }
            httpFields.append(("content_length", .uint(UInt64(message.body.count))))
            var top: [(String, FieldValue)] = [
                ("channel", .string("http_wrapper")), ("frame", .string(message.isRequest ? "request" : "reply")),
                ("http", .object(httpFields)), ("encrypted", .bool(encrypted)),
            ]
            if let ciphertextLength, encrypted { top.append(("ciphertext_length", .uint(UInt64(ciphertextLength)))) }
            if let function { top.append(("func", .string(function))) }
            if message.isRequest {
                if let params { top.append(("params", redact(params))) }
            } else if let json {
                if let success = json[member: "success"] { top.append(("success", success)) }
                if let error = json[member: "error"] { top.append(("error", redact(error))) }
                if let data = json[member: "data"] { top.append(contentsOf: summary(of: data)) }
            }
            if !anomalies.isEmpty { top.append(("anomalies", names(anomalies))) }
            record = .object(top)
        }
        var kind = EventKind.message
        var fields: [(String, FieldValue)] = []
        if interest.tradingEvents {
            fields.append(("tdx.channel", .string("http_wrapper")))
            if let function { fields.append(("tdx.func", .string(function))) }
            fields.append(("tdx.encrypted", .bool(encrypted)))
            if let ciphertextLength, encrypted { fields.append(("tdx.ciphertext_length", .uint(UInt64(ciphertextLength)))) }
            if message.isRequest {
                if let agent = message.header("User-Agent") { fields.append(("tdx.user_agent", .string(agent))) }
                kind = requestKind(function)
                if let params { addParams(params, function: function, to: &fields) }
            } else {
                let success = json?[member: "success"]
                if case .bool(let ok)? = success {
                    fields.append(("result_code", .int(ok ? 0 : 1)))
                    if !ok { kind = .reject }
                }
                if let error = json?[member: "error"]?.text { fields.append(("text", .string(error))) }
                if function == "logon" {
                    kind = .logonResult
                    if let client = json?[member: "data"]?[member: "client_id"] { fields.append(("tdx.client_id", client)) }
                }
                // trade.dll's order reply names the order in its first row (委托编号, the order number).
                if function == "send_order", case .array(let rows)? = json?[member: "data"], let order = rows.first?[member: "委托编号"]?.text {
                    fields.append(("order_id", .string(order)))
                }
            }
            if !anomalies.isEmpty { fields.append(("anomalies", names(anomalies))) }
        }
        return TradingEvent(time: time, flow: flow, direction: direction, protocolName: "tdx", kind: kind, fields: fields, record: record)
    }

    /// The shared kind of a wrapper call.
    private static func requestKind(_ function: String?) -> EventKind {
        switch function {
        case "ping": .heartbeat
        case "logon": .logon
        case "logoff": .logout
        case "send_order", "send_orders": .orderNew
        case "cancel_order", "cancel_orders": .orderCancel
        case "get_quote", "get_quotes": .mdSubscribe
        default: .message
        }
    }

    /// A reply's `data`: its row count when it is a table, or the value when it is small.
    private static func summary(of data: FieldValue) -> [(String, FieldValue)] {
        switch data {
        case .array(let rows):
            var out: [(String, FieldValue)] = [("data_rows", .uint(UInt64(rows.count)))]
            if case .object(let columns)? = rows.first { out.append(("data_columns", .array(columns.map { .string($0.0) }))) }
            return out
        case .object(let members):
            if let rows = members.first(where: { $0.0 == "data" })?.1, case .array = rows { return summary(of: rows) }
            return [("data", redact(data))]
        default:
            return [("data", data)]
        }
    }

    /// The parameters of a wrapper call in the shared vocabulary (pytdx `trade.py`).
    private static func addParams(_ params: FieldValue, function: String?, to fields: inout [(String, FieldValue)]) {
        func text(_ key: String) -> String? { params[member: key]?.text }
        switch function {
        case "logon":
            if let account = text("account_no") ?? text("account_id") { fields.append(("account", .string(account))) }
            if let trade = text("trade_account") { fields.append(("trade_account", .string(trade))) }
            if let version = text("version") { fields.append(("client_version", .string(version))) }
            if let branch = text("yyb_id") { fields.append(("branch_id", .string(branch))) }
            if let ip = text("ip") {
                fields.append(("tdx.trade_server", .string(text("port").map { "\(ip):\($0)" } ?? ip)))
            }
            let secrets = ["jy_password", "tx_password"].filter { (text($0) ?? "").isEmpty == false }
            fields.append(("password_present", .bool(!secrets.isEmpty)))
        case "send_order", "send_orders":
            if let code = text("zqdm") { fields.append(("instrument", .string(code))) }
            if let account = text("gddm") { fields.append(("account", .string(account))) }
            if case .int(let category)? = params[member: "category"] {
                fields.append(("side", .string(category == 0 ? "buy" : category == 1 ? "sell" : "category_\(category)")))
            }
            if let price = params[member: "price"] { fields.append(("price", price)) }
            if let quantity = params[member: "quantity"] { fields.append(("quantity", quantity)) }
            if let type = text("price_type") { fields.append(("order_price_type", .string(type))) }
        case "cancel_order", "cancel_orders":
            if let order = text("hth") { fields.append(("order_id", .string(order))) }
            if let exchange = text("exchange_id") { fields.append(("exchange", .string(exchange))) }
        case "get_quote", "get_quotes":
            var codes: [FieldValue] = []
            for key in ["code", "zqdm"] {
                if let code = text(key) { codes.append(.string(code)) }
            }
            for key in ["codes", "zqdms"] {
                if case .array(let list)? = params[member: key] { codes += list.compactMap { $0.text.map(FieldValue.string) } }
            }
            fields.append(("subscription_type", .string("quotes")))
            fields.append(("instruments", .array(codes)))
            fields.append(("instrument_count", .uint(UInt64(codes.count))))
        case "query_data", "query_datas", "query_history_data":
            if let category = params[member: "category"] { fields.append(("tdx.query_category", category)) }
        default:
            break
        }
        if let client = params[member: "client_id"] { fields.append(("tdx.client_id", client)) }
    }
}
