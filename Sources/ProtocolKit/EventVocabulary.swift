/// The names rules may use: event kinds, protocols and fields, with the type of each field's
/// values. The one list of the shared vocabulary (ARCHITECTURE.md, "The event model"): decoders
/// emit these names, rules match on them, and the rule loader refuses a name not listed here, so
/// that a misspelt field is an error instead of a rule that never matches.
///
/// A decoder that adds a field adds it here, with its type and a line of description.
package enum EventVocabulary {
    /// What a field's values are, for checking the operators a rule applies to it.
    package enum ValueType: String, Sendable {
        /// Text.
        case string
        /// An integer or a decimal number (sometimes sent as text, compared as a number).
        case number
        /// `true` or `false`.
        case bool
        /// An IP address (connection fields, or address text a client reported).
        case ip
        /// A list of texts; a predicate holds when it holds for any element.
        case list
        /// Nested objects (reported, not matched on).
        case object
    }

    /// One field name.
    package struct Field: Sendable {
        /// The dotted name (`app_id`, `ctp.front`, `src_ip`).
        package var name: String
        /// The type of its values.
        package var type: ValueType
        /// Whether the engine computes it from the flow rather than the decoder sending it.
        package var connection: Bool
        /// One line on what it holds.
        package var summary: String

        /// A field with every part given.
        package init(_ name: String, _ type: ValueType, connection: Bool = false, _ summary: String) {
            self.name = name
            self.type = type
            self.connection = connection
            self.summary = summary
        }
    }

    /// The event kinds decoders emit.
    package static let kinds: [EventKind] = [
        .logon, .logonResult, .authenticate, .authenticateResult, .relayClientInfo, .orderNew, .orderCancel,
        .execution, .mdSubscribe, .mdQuote, .heartbeat, .logout, .anomaly, .reject, .message, .tradeChannel,
    ]

    /// The protocol names (`app_proto`) of the decoders, present and planned.
    package static let protocols = ["fix", "ctp", "tdx"]

    /// Fields the engine computes from the event's flow, direction, protocol and kind.
    package static let connectionFields: [Field] = [
        Field("src_ip", .ip, connection: true, "sender of this message"),
        Field("src_port", .number, connection: true, "sender's port"),
        Field("dest_ip", .ip, connection: true, "receiver of this message"),
        Field("dest_port", .number, connection: true, "receiver's port"),
        Field("src_net24", .string, connection: true, "the sender's /24 (IPv6: /64), as 10.1.2.0/24"),
        Field("src_net16", .string, connection: true, "the sender's /16 (IPv6: /48)"),
        Field("dest_net24", .string, connection: true, "the receiver's /24 (IPv6: /64)"),
        Field("client_ip", .ip, connection: true, "the side that opened the connection"),
        Field("client_port", .number, connection: true, "the client's port"),
        Field("server_ip", .ip, connection: true, "the side that accepted the connection"),
        Field("server_port", .number, connection: true, "the server's port"),
        Field("client_net24", .string, connection: true, "the client's /24 (IPv6: /64)"),
        Field("client_net16", .string, connection: true, "the client's /16 (IPv6: /48)"),
        Field("flow_id", .number, connection: true, "the flow's id (as in flow_id of the EVE records)"),
        Field("direction", .string, connection: true, "to_server or to_client"),
        Field("protocol", .string, connection: true, "the decoder's name (fix, ctp, tdx)"),
        Field("kind", .string, connection: true, "the event kind"),
    ]

    /// Fields decoders send, shared across protocols unless prefixed (`fix.`, `ctp.`, `tdx.`).
    package static let eventFields: [Field] = [
        // Identities.
        Field("broker_id", .string, "CTP BrokerID"),
        Field("user_id", .string, "the login user (CTP UserID, FIX Username 553)"),
        Field("account", .string, "the account traded for (CTP InvestorID, FIX Account 1)"),
        Field("app_id", .string, "CTP AppID (authentication) or ClientAppID (relay client info)"),
        Field("app_type", .string, "AppType granted: direct, relay_many_to_many, relay_one_to_many, unknown"),
        Field("app_type_code", .string, "AppType as sent ('1'..'4')"),
        Field("client_product", .string, "UserProductInfo"),
        Field("interface_product", .string, "InterfaceProductInfo"),
        Field("protocol_info", .string, "ProtocolInfo"),
        Field("client_id", .string, "exchange client id (CTP ClientID, FIX ClientID 109)"),
        Field("invest_unit", .string, "CTP InvestUnitID"),
        // FIX routing.
        Field("sender", .string, "FIX SenderCompID (49)"),
        Field("target", .string, "FIX TargetCompID (56)"),
        Field("sender_sub", .string, "FIX SenderSubID (50)"),
        Field("target_sub", .string, "FIX TargetSubID (57)"),
        Field("sender_location", .string, "FIX SenderLocationID (142)"),
        Field("target_location", .string, "FIX TargetLocationID (143)"),
        Field("on_behalf_of", .string, "FIX OnBehalfOfCompID (115)"),
        Field("on_behalf_of_sub", .string, "FIX OnBehalfOfSubID (116)"),
        Field("on_behalf_of_location", .string, "FIX OnBehalfOfLocationID (144)"),
        Field("deliver_to", .string, "FIX DeliverToCompID (128)"),
        Field("deliver_to_sub", .string, "FIX DeliverToSubID (129)"),
        Field("deliver_to_location", .string, "FIX DeliverToLocationID (145)"),
        Field("hops", .list, "FIX HopCompID (628) values"),
        // Logons and sessions.
        Field("password_present", .bool, "a password was sent (never its value)"),
        Field("one_time_password_present", .bool, "a one-time password was sent"),
        Field("auth_code_present", .bool, "a CTP AuthCode was sent (never its value)"),
        Field("auth_info_present", .bool, "a CTP AuthInfo answer was sent"),
        Field("authenticated", .bool, "RspAuthenticate IsResult = 1"),
        Field("challenge", .bool, "RspAuthenticate carried a challenge"),
        Field("heartbeat_interval", .number, "FIX HeartBtInt (108)"),
        Field("heartbeat_timeout", .number, "CTP heartbeat timeout announced on the link"),
        Field("reset_seq_num", .bool, "FIX ResetSeqNumFlag (141) = Y"),
        Field("result_code", .string, "result of a request: 0 / accepted for success, else the error code"),
        Field("text", .string, "the error or reject text"),
        Field("trading_day", .string, "CTP TradingDay"),
        Field("login_time", .string, "CTP LoginTime"),
        Field("system_name", .string, "CTP SystemName"),
        Field("front_id", .number, "CTP FrontID"),
        Field("session_id", .number, "CTP SessionID"),
        Field("login_remark", .string, "CTP LoginRemark / ClientLoginRemark"),
        // Terminal information.
        Field("reported_ip", .ip, "an IP address the client or relay wrote into the message"),
        Field("reported_port", .number, "a port the client or relay wrote into the message"),
        Field("reported_mac", .string, "a MAC address the client wrote into the message"),
        Field("terminal_info", .string, "a plain-text terminal information string"),
        Field("terminal_info_length", .number, "length of the encrypted CTP terminal blob"),
        Field("terminal_info_hash", .string, "hash of the encrypted CTP terminal blob (equality only)"),
        Field("report_type", .string, "CTP UserSystemInfo call: register, submit or direct"),
        Field("relay_app_id", .string, "the AppID the relay authenticated with"),
        Field("session_app_type", .string, "the AppType granted to the connection that sent the report"),
        Field("client_login_time", .string, "CTP ClientLoginTime reported by a relay"),
        // Orders and executions.
        Field("order_id", .string, "client order id (FIX ClOrdID 11, CTP OrderRef)"),
        Field("orig_order_id", .string, "FIX OrigClOrdID (41)"),
        Field("order_sys_id", .string, "CTP OrderSysID"),
        Field("instrument", .string, "the instrument (FIX Symbol 55, CTP InstrumentID)"),
        Field("exchange", .string, "the exchange"),
        Field("side", .string, "buy / sell (FIX Side 54 as sent)"),
        Field("price", .number, "limit or quote price"),
        Field("quantity", .number, "order quantity"),
        Field("order_price_type", .string, "CTP OrderPriceType"),
        Field("offset", .string, "CTP CombOffsetFlag"),
        Field("hedge", .string, "CTP CombHedgeFlag"),
        Field("time_condition", .string, "CTP TimeCondition"),
        Field("action", .string, "order action: cancel or modify"),
        Field("parties", .object, "FIX Parties (id, source, role)"),
        Field("exec_type", .string, "FIX ExecType (150)"),
        Field("order_status", .string, "order status"),
        Field("status_msg", .string, "CTP StatusMsg"),
        Field("last_price", .number, "price of a fill"),
        Field("last_quantity", .number, "quantity of a fill"),
        Field("trade_id", .string, "CTP TradeID"),
        Field("trade_time", .string, "CTP TradeTime"),
        // Market data.
        Field("md_req_id", .string, "FIX MDReqID (262)"),
        Field("subscription_type", .string, "subscribe / unsubscribe (FIX 263 as sent)"),
        Field("instruments", .list, "instruments of a subscription or a multi-instrument quote"),
        Field("instrument_count", .number, "how many instruments a subscription names"),
        Field("market_depth", .number, "FIX MarketDepth (264)"),
        Field("entry_count", .number, "entries in a quote message"),
        Field("volume", .number, "traded volume of a quote"),
        Field("open_interest", .number, "open interest of a quote"),
        Field("bid_price", .number, "best bid"),
        Field("bid_quantity", .number, "best bid size"),
        Field("ask_price", .number, "best ask"),
        Field("ask_quantity", .number, "best ask size"),
        Field("update_time", .string, "exchange update time of a quote (HH:MM:SS.mmm)"),
        Field("action_day", .string, "CTP ActionDay"),
        // Rejects and anomalies.
        Field("ref_seq_num", .string, "FIX RefSeqNum (45)"),
        Field("ref_msg_type", .string, "FIX RefMsgType (372)"),
        Field("anomaly", .string, "the anomaly of an anomaly event (stable name)"),
        Field("anomalies", .list, "anomalies found in a decoded message (stable names)"),
        Field("length", .number, "bytes concerned by an anomaly event"),
        // Protocol-specific.
        Field("fix.msg_type", .string, "FIX MsgType (35)"),
        Field("ctp.tid", .string, "CTP transaction id (0x3010)"),
        Field("ctp.front", .string, "CTP front kind the connection talks to: trader or md"),
        Field("ctp.api_version", .string, "CTP API version announced"),
        Field("ctp.recognised_by_length", .bool, "CTP field recognised by its length only"),
        Field("tdx.command", .string, "TDX request command code"),
        Field("tdx.command_name", .string, "TDX command name (security_quotes, security_list, ...)"),
        Field("tdx.family", .string, "TDX command family: standard, extended or new_generation"),
        Field("tdx.compressed", .bool, "TDX reply body was zlib-compressed"),
        Field("tdx.records", .number, "TDX records in a reply (quotes, list entries, bars)"),
        Field("tdx.market", .number, "TDX market number of a request (0 Shenzhen, 1 Shanghai, 2 Beijing)"),
        Field("tdx.markets", .list, "TDX markets of the codes in a request"),
        Field("tdx.setup", .string, "TDX connection set-up style seen (pytdx three frames, official login, ...)"),
        Field("tdx.setup_step", .number, "TDX set-up frame number (1-3)"),
        Field("tdx.server_info", .string, "TDX server name from the set-up reply"),
        Field("tdx.broker_config", .string, "TDX broker-branded configuration file requested (0x02c5)"),
        Field("tdx.file_name", .string, "TDX file requested"),
        Field("tdx.fixed_sequence_ids", .bool, "TDX client reuses one sequence id per command (pytdx-style)"),
        Field("tdx.pytdx_heartbeat", .bool, "TDX client sends pytdx's security-count heartbeat"),
        Field("tdx.heartbeat_style", .string, "TDX heartbeat form (count_request, ...)"),
        Field("tdx.query_category", .number, "TDX bar or query category"),
        Field("tdx.channel", .string, "TDX channel: quote, extended, trade or http_wrapper"),
        Field("tdx.encrypted", .bool, "TdxTradeServer request body is AES-encrypted"),
        Field("tdx.ciphertext_length", .number, "TdxTradeServer encrypted body length"),
        Field("tdx.user_agent", .string, "HTTP User-Agent of a TdxTradeServer client"),
        Field("tdx.func", .string, "TdxTradeServer function called"),
        Field("tdx.trade_server", .string, "trading server named in a TdxTradeServer logon"),
        Field("tdx.client_id", .number, "TdxTradeServer client handle"),
        Field("client_fingerprint", .string, "what the connection set-up says the client is (pytdx_or_tradex, official_client, ...)"),
        Field("client_version", .string, "client version a logon reports"),
        Field("branch_id", .string, "broker branch a logon names"),
        Field("trade_account", .string, "trading account a logon names (TdxTradeServer)"),
        Field("pre_close", .number, "previous close of a quoted instrument"),
        Field("amount", .number, "traded amount (turnover) of a quoted instrument"),
        Field("quotes", .list, "the quotes of a market-data reply"),
    ]

    /// The number of each event field (its position in `eventFields`), for `EventField`.
    package static let eventFieldIDs: [String: Int] = {
        precondition(eventFields.count <= EventFieldSet.capacity, "more event fields than EventFieldSet holds")
        var table: [String: Int] = [:]
        for (position, field) in eventFields.enumerated() where table[field.name] == nil { table[field.name] = position }
        return table
    }()

    /// Every field, by name.
    package static let fieldsByName: [String: Field] = {
        var table: [String: Field] = [:]
        for field in connectionFields + eventFields { table[field.name] = field }
        return table
    }()
}
