/// The field ids the decoder knows, with their member layouts.
///
/// Two sources: the fields the events read, written here with every wire length and the releases
/// that send it (CTP notes section 5.3; the legacy 6.3.x layouts, where `InstrumentID` was
/// `char[31]` in place of today's `reserve` slots, from the 6.3.15/6.3.19 headers), and every
/// other field of the 6.7.11 library's own dictionary (`CTPFieldDictionary`), at its 6.7.11
/// length only. A shorter body is a prefix of its layout.
enum CTPFieldTable {
    static let rspInfo: UInt16 = 0x0000
    static let depthMarketData: UInt16 = 0x0012
    static let inputOrder: UInt16 = 0x0400
    static let order: UInt16 = 0x0401
    static let inputOrderAction: UInt16 = 0x0404
    static let trade: UInt16 = 0x0409
    static let dissemination: UInt16 = 0x1001
    static let reqUserLogin: UInt16 = 0x1002
    static let rspUserLogin: UInt16 = 0x1003
    static let userLogout: UInt16 = 0x1004
    static let reqAuthenticate: UInt16 = 0x1010
    static let rspAuthenticate: UInt16 = 0x1011
    static let authenticationInfo: UInt16 = 0x1012
    static let specificInstrument: UInt16 = 0x2441
    /// UserSystemInfo (RegisterUserSystemInfo, SubmitUserSystemInfo, the direct report), as the
    /// 6.7.11 library sends it; the same id is QrySecAgentTradeInfo at 24 bytes. Under another id
    /// the field is still recognised by its length and content.
    static let userSystemInfo: UInt16 = 0x4022

    /// The name given to a UserSystemInfo field, whether its id is known or it was recognised.
    static let userSystemInfoName = "UserSystemInfo"

    // MARK: Layouts

    static let rspInfoLayout = CTPLayout([("ErrorID", .int), ("ErrorMsg", .text(81))])

    static let disseminationLayout = CTPLayout([("SequenceSeries", .short), ("SequenceNo", .int)])

    static let reqUserLoginLayout = CTPLayout([
        ("TradingDay", .text(9)), ("BrokerID", .text(11)), ("UserID", .text(16)), ("Password", .secret(41)),
        ("UserProductInfo", .text(11)), ("InterfaceProductInfo", .text(11)), ("ProtocolInfo", .text(11)),
        ("MacAddress", .text(21)), ("OneTimePassword", .secret(41)), ("reserve1", .hidden(16)),
        ("LoginRemark", .text(36)), ("ClientIPPort", .int), ("ClientIPAddress", .text(33)),
    ])

    static let reqUserLoginLegacy = CTPLayout([
        ("TradingDay", .text(9)), ("BrokerID", .text(11)), ("UserID", .text(16)), ("Password", .secret(41)),
        ("UserProductInfo", .text(11)), ("InterfaceProductInfo", .text(11)), ("ProtocolInfo", .text(11)),
        ("MacAddress", .text(21)), ("OneTimePassword", .secret(41)), ("ClientIPAddress", .text(16)),
        ("LoginRemark", .text(36)), ("ClientIPPort", .int),
    ])

    static let rspUserLoginLayout = CTPLayout([
        ("TradingDay", .text(9)), ("LoginTime", .text(9)), ("BrokerID", .text(11)), ("UserID", .text(16)),
        ("SystemName", .text(41)), ("FrontID", .int), ("SessionID", .int), ("MaxOrderRef", .text(13)),
        ("SHFETime", .text(9)), ("DCETime", .text(9)), ("CZCETime", .text(9)), ("FFEXTime", .text(9)),
        ("INETime", .text(9)), ("SysVersion", .text(41)), ("GFEXTime", .text(9)), ("LoginDRIdentityID", .int),
        ("UserDRIdentityID", .int), ("LastLoginTime", .text(17)), ("ReserveInfo", .text(65)),
    ])

    static let userLogoutLayout = CTPLayout([("BrokerID", .text(11)), ("UserID", .text(16))])

    static let reqAuthenticateLayout = CTPLayout([
        ("BrokerID", .text(11)), ("UserID", .text(16)), ("UserProductInfo", .text(11)), ("AuthCode", .secret(17)),
        ("AppID", .text(33)),
    ])

    static let rspAuthenticateLayout = CTPLayout([
        ("BrokerID", .text(11)), ("UserID", .text(16)), ("UserProductInfo", .text(11)), ("AppID", .text(33)),
        ("AppType", .char),
    ])

    static let authenticationInfoLayout = CTPLayout([
        ("BrokerID", .text(11)), ("UserID", .text(16)), ("UserProductInfo", .text(11)), ("AuthInfo", .secret(129)),
        ("IsResult", .int), ("AppID", .text(33)), ("AppType", .char), ("reserve1", .hidden(16)),
        ("ClientIPAddress", .text(33)),
    ])

    static let authenticationInfoLegacy = CTPLayout([
        ("BrokerID", .text(11)), ("UserID", .text(16)), ("UserProductInfo", .text(11)), ("AuthInfo", .secret(129)),
        ("IsResult", .int), ("AppID", .text(33)), ("AppType", .char), ("ClientIPAddress", .text(16)),
    ])

    static let userSystemInfoLayout = CTPLayout([
        ("BrokerID", .text(11)), ("UserID", .text(16)), ("ClientSystemInfoLen", .int),
        ("ClientSystemInfo", .terminalInfo(273)), ("reserve1", .hidden(16)), ("ClientIPPort", .int),
        ("ClientLoginTime", .text(9)), ("ClientAppID", .text(33)), ("ClientPublicIP", .text(33)),
        ("ClientLoginRemark", .text(151)),
    ])

    static let userSystemInfoLegacy = CTPLayout([
        ("BrokerID", .text(11)), ("UserID", .text(16)), ("ClientSystemInfoLen", .int),
        ("ClientSystemInfo", .terminalInfo(273)), ("ClientPublicIP", .text(16)), ("ClientIPPort", .int),
        ("ClientLoginTime", .text(9)), ("ClientAppID", .text(33)),
    ])

    /// The members InputOrder and Order share up to BusinessUnit and RequestID.
    private static func orderHead(instrument: CTPMemberKind) -> [(String, CTPMemberKind)] {
        [
            ("BrokerID", .text(11)), ("InvestorID", .text(13)), (instrument == .hidden(31) ? "reserve1" : "InstrumentID", instrument),
            ("OrderRef", .text(13)), ("UserID", .text(16)), ("OrderPriceType", .char), ("Direction", .char),
            ("CombOffsetFlag", .text(5)), ("CombHedgeFlag", .text(5)), ("LimitPrice", .double),
            ("VolumeTotalOriginal", .int), ("TimeCondition", .char), ("GTDDate", .text(9)), ("VolumeCondition", .char),
            ("MinVolume", .int), ("ContingentCondition", .char), ("StopPrice", .double), ("ForceCloseReason", .char),
            ("IsAutoSuspend", .int), ("BusinessUnit", .text(21)), ("RequestID", .int),
        ]
    }

    static let inputOrderLayout = CTPLayout(orderHead(instrument: .hidden(31)) + [
        ("UserForceClose", .int), ("IsSwapOrder", .int), ("ExchangeID", .text(9)), ("InvestUnitID", .text(17)),
        ("AccountID", .text(13)), ("CurrencyID", .text(4)), ("ClientID", .text(11)), ("reserve2", .hidden(16)),
        ("MacAddress", .text(21)), ("InstrumentID", .text(81)), ("IPAddress", .text(33)), ("OrderMemo", .text(13)),
        ("SessionReqSeq", .int),
    ])

    static let inputOrderLegacy = CTPLayout(orderHead(instrument: .text(31)) + [
        ("UserForceClose", .int), ("IsSwapOrder", .int), ("ExchangeID", .text(9)), ("InvestUnitID", .text(17)),
        ("AccountID", .text(13)), ("CurrencyID", .text(4)), ("ClientID", .text(11)), ("IPAddress", .text(16)),
        ("MacAddress", .text(21)),
    ])

    private static func inputOrderActionLayout(legacy: Bool) -> CTPLayout {
        CTPLayout([
            ("BrokerID", .text(11)), ("InvestorID", .text(13)), ("OrderActionRef", .int), ("OrderRef", .text(13)),
            ("RequestID", .int), ("FrontID", .int), ("SessionID", .int), ("ExchangeID", .text(9)),
            ("OrderSysID", .text(21)), ("ActionFlag", .char), ("LimitPrice", .double), ("VolumeChange", .int),
            ("UserID", .text(16)), legacy ? ("InstrumentID", .text(31)) : ("reserve1", .hidden(31)),
            ("InvestUnitID", .text(17)), legacy ? ("IPAddress", .text(16)) : ("reserve2", .hidden(16)),
            ("MacAddress", .text(21)),
        ] + (legacy ? [] : [
            ("InstrumentID", .text(81)), ("IPAddress", .text(33)), ("OrderMemo", .text(13)), ("SessionReqSeq", .int),
        ]))
    }

    static let orderActionLayout = CTPLayout([
        ("BrokerID", .text(11)), ("InvestorID", .text(13)), ("OrderActionRef", .int), ("OrderRef", .text(13)),
        ("RequestID", .int), ("FrontID", .int), ("SessionID", .int), ("ExchangeID", .text(9)), ("OrderSysID", .text(21)),
        ("ActionFlag", .char), ("LimitPrice", .double), ("VolumeChange", .int), ("ActionDate", .text(9)),
        ("ActionTime", .text(9)), ("TraderID", .text(21)), ("InstallID", .int), ("OrderLocalID", .text(13)),
        ("ActionLocalID", .text(13)), ("ParticipantID", .text(11)), ("ClientID", .text(11)), ("BusinessUnit", .text(21)),
        ("OrderActionStatus", .char), ("UserID", .text(16)), ("StatusMsg", .text(81)), ("reserve1", .hidden(31)),
        ("BranchID", .text(9)), ("InvestUnitID", .text(17)), ("reserve2", .hidden(16)), ("MacAddress", .text(21)),
        ("InstrumentID", .text(81)), ("IPAddress", .text(33)), ("OrderMemo", .text(13)), ("SessionReqSeq", .int),
    ])

    private static func orderLayout(legacy: Bool) -> CTPLayout {
        CTPLayout(orderHead(instrument: legacy ? .text(31) : .hidden(31)) + [
            ("OrderLocalID", .text(13)), ("ExchangeID", .text(9)), ("ParticipantID", .text(11)), ("ClientID", .text(11)),
            legacy ? ("ExchangeInstID", .text(31)) : ("reserve2", .hidden(31)), ("TraderID", .text(21)),
            ("InstallID", .int), ("OrderSubmitStatus", .char), ("NotifySequence", .int), ("TradingDay", .text(9)),
            ("SettlementID", .int), ("OrderSysID", .text(21)), ("OrderSource", .char), ("OrderStatus", .char),
            ("OrderType", .char), ("VolumeTraded", .int), ("VolumeTotal", .int), ("InsertDate", .text(9)),
            ("InsertTime", .text(9)), ("ActiveTime", .text(9)), ("SuspendTime", .text(9)), ("UpdateTime", .text(9)),
            ("CancelTime", .text(9)), ("ActiveTraderID", .text(21)), ("ClearingPartID", .text(11)), ("SequenceNo", .int),
            ("FrontID", .int), ("SessionID", .int), ("UserProductInfo", .text(11)), ("StatusMsg", .text(81)),
            ("UserForceClose", .int), ("ActiveUserID", .text(16)), ("BrokerOrderSeq", .int),
            ("RelativeOrderSysID", .text(21)), ("ZCETotalTradedVolume", .int), ("IsSwapOrder", .int),
            ("BranchID", .text(9)), ("InvestUnitID", .text(17)), ("AccountID", .text(13)), ("CurrencyID", .text(4)),
            legacy ? ("IPAddress", .text(16)) : ("reserve3", .hidden(16)), ("MacAddress", .text(21)),
        ] + (legacy ? [] : [
            ("InstrumentID", .text(81)), ("ExchangeInstID", .text(81)), ("IPAddress", .text(33)),
            ("OrderMemo", .text(13)), ("SessionReqSeq", .int),
        ]))
    }

    private static func tradeLayout(legacy: Bool) -> CTPLayout {
        CTPLayout([
            ("BrokerID", .text(11)), ("InvestorID", .text(13)), legacy ? ("InstrumentID", .text(31)) : ("reserve1", .hidden(31)),
            ("OrderRef", .text(13)), ("UserID", .text(16)), ("ExchangeID", .text(9)), ("TradeID", .text(21)),
            ("Direction", .char), ("OrderSysID", .text(21)), ("ParticipantID", .text(11)), ("ClientID", .text(11)),
            ("TradingRole", .char), legacy ? ("ExchangeInstID", .text(31)) : ("reserve2", .hidden(31)),
            ("OffsetFlag", .char), ("HedgeFlag", .char), ("Price", .double), ("Volume", .int), ("TradeDate", .text(9)),
            ("TradeTime", .text(9)), ("TradeType", .char), ("PriceSource", .char), ("TraderID", .text(21)),
            ("OrderLocalID", .text(13)), ("ClearingPartID", .text(11)), ("BusinessUnit", .text(21)),
            ("SequenceNo", .int), ("TradingDay", .text(9)), ("SettlementID", .int), ("BrokerOrderSeq", .int),
            ("TradeSource", .char), ("InvestUnitID", .text(17)),
        ] + (legacy ? [] : [("InstrumentID", .text(81)), ("ExchangeInstID", .text(81))]))
    }

    private static func depthMarketDataLayout(legacy: Bool) -> CTPLayout {
        var members: [(String, CTPMemberKind)] = [
            ("TradingDay", .text(9)), legacy ? ("InstrumentID", .text(31)) : ("reserve1", .hidden(31)),
            ("ExchangeID", .text(9)), legacy ? ("ExchangeInstID", .text(31)) : ("reserve2", .hidden(31)),
            ("LastPrice", .double), ("PreSettlementPrice", .double), ("PreClosePrice", .double),
            ("PreOpenInterest", .double), ("OpenPrice", .double), ("HighestPrice", .double), ("LowestPrice", .double),
            ("Volume", .int), ("Turnover", .double), ("OpenInterest", .double), ("ClosePrice", .double),
            ("SettlementPrice", .double), ("UpperLimitPrice", .double), ("LowerLimitPrice", .double),
            ("PreDelta", .double), ("CurrDelta", .double), ("UpdateTime", .text(9)), ("UpdateMillisec", .int),
        ]
        for level in 1...5 {
            members += [
                ("BidPrice\(level)", .double), ("BidVolume\(level)", .int),
                ("AskPrice\(level)", .double), ("AskVolume\(level)", .int),
            ]
        }
        members += [("AveragePrice", .double), ("ActionDay", .text(9))]
        if !legacy {
            members += [
                ("InstrumentID", .text(81)), ("ExchangeInstID", .text(81)), ("BandingUpperPrice", .double),
                ("BandingLowerPrice", .double),
            ]
        }
        return CTPLayout(members)
    }

    // MARK: The table

    /// Every known field id.
    static let all: [CTPFieldSpec] = {
        let actionCurrent = inputOrderActionLayout(legacy: false)
        let actionLegacy = inputOrderActionLayout(legacy: true)
        let orderCurrent = orderLayout(legacy: false)
        let orderLegacy = orderLayout(legacy: true)
        let tradeCurrent = tradeLayout(legacy: false)
        let tradeLegacy = tradeLayout(legacy: true)
        let depthCurrent = depthMarketDataLayout(legacy: false)
        let depthLegacy = depthMarketDataLayout(legacy: true)
        func spec(_ fid: UInt16, _ name: String, _ variants: [(Int, String, CTPLayout)] = []) -> CTPFieldSpec {
            CTPFieldSpec(fid: fid, name: name, variants: variants.map { CTPFieldVariant(length: $0.0, version: $0.1, layout: $0.2) })
        }
        var list: [CTPFieldSpec] = [
            spec(rspInfo, "RspInfo", [(85, "", rspInfoLayout)]),
            spec(depthMarketData, "DepthMarketData", [
                (345, "6.3.6", depthLegacy), (354, "6.3.15-6.3.19", depthLegacy), (516, "6.5.1", depthCurrent), (532, "6.6.1+", depthCurrent),
            ]),
            spec(inputOrder, "InputOrder", [
                (170, "6.3.6", inputOrderLegacy), (261, "6.3.15-6.3.19", inputOrderLegacy),
                (375, "6.5.1-6.7.2", inputOrderLayout), (392, "6.7.7+", inputOrderLayout),
            ]),
            spec(order, "Order", [
                (555, "6.3.6", orderLegacy), (635, "6.3.15-6.3.19", orderLegacy), (830, "6.5.1-6.7.2", orderCurrent), (847, "6.7.7+", orderCurrent),
            ]),
            spec(inputOrderAction, "InputOrderAction", [
                (143, "6.3.6", actionLegacy), (197, "6.3.15-6.3.19", actionLegacy),
                (311, "6.5.1-6.7.2", actionCurrent), (328, "6.7.7+", actionCurrent),
            ]),
            spec(0x0405, "OrderAction", [(531, "6.7.7+", orderActionLayout)]),
            spec(trade, "Trade", [(312, "6.3.6", tradeLegacy), (329, "6.3.15-6.3.19", tradeLegacy), (491, "6.5.1+", tradeCurrent)]),
            spec(dissemination, "Dissemination", [(6, "", disseminationLayout)]),
            spec(reqUserLogin, "ReqUserLogin", [
                (188, "6.3.6", reqUserLoginLegacy), (224, "6.3.6", reqUserLoginLegacy), (228, "6.3.15-6.3.19", reqUserLoginLegacy),
                (261, "6.5.1+", reqUserLoginLayout),
            ]),
            spec(rspUserLogin, "RspUserLogin", [
                (143, "6.3.6", rspUserLoginLayout), (152, "6.3.15-6.6.1", rspUserLoginLayout), (193, "6.6.7", rspUserLoginLayout),
                (202, "6.6.9-6.7.7", rspUserLoginLayout), (210, "6.7.8", rspUserLoginLayout), (292, "6.7.11", rspUserLoginLayout),
            ]),
            spec(userLogout, "UserLogout", [(27, "", userLogoutLayout)]),
            spec(reqAuthenticate, "ReqAuthenticate", [(55, "6.3.6", reqAuthenticateLayout), (88, "6.3.15+", reqAuthenticateLayout)]),
            spec(rspAuthenticate, "RspAuthenticate", [(38, "6.3.6", rspAuthenticateLayout), (72, "6.3.15+", rspAuthenticateLayout)]),
            spec(authenticationInfo, "AuthenticationInfo", [
                (171, "6.3.6", authenticationInfoLegacy), (205, "6.3.15", authenticationInfoLegacy),
                (221, "6.3.19", authenticationInfoLegacy), (254, "6.5.1+", authenticationInfoLayout),
            ]),
            spec(specificInstrument, "SpecificInstrument", [
                (31, "6.3.6-6.3.19", CTPLayout([("InstrumentID", .text(31))])),
                (112, "6.5.1+", CTPLayout([("reserve1", .hidden(31)), ("InstrumentID", .text(81))])),
            ]),
            spec(0x4032, "ReqApiHandshake", [(31, "", CTPLayout([("CryptoKeyVersion", .text(31))]))]),
            spec(0x4033, "RspApiHandshake", [
                (309, "", CTPLayout([("FrontHandshakeDataLen", .int), ("FrontHandshakeData", .hidden(301)), ("IsApiAuthEnabled", .int)])),
            ]),
            spec(0x4034, "ReqVerifyApiKey", [
                (305, "", CTPLayout([("ApiHandshakeDataLen", .int), ("ApiHandshakeData", .hidden(301))])),
            ]),
        ]
        var reports = userSystemInfoSpec(userSystemInfo)
        reports.variants.insert(
            CTPFieldVariant(length: 24, version: "", layout: CTPLayout([("BrokerID", .text(11)), ("BrokerSecAgentID", .text(13))]),
                            name: "QrySecAgentTradeInfo"),
            at: 0)
        list.append(reports)
        let curated = Set(list.map(\.fid))
        return list + dictionary.filter { !curated.contains($0.fid) }
    }()

    /// UserSystemInfo's lengths: 6.3.15-6.3.19 (366), 6.5.1 (399), 6.6.1+ (550).
    static func userSystemInfoSpec(_ fid: UInt16) -> CTPFieldSpec {
        CTPFieldSpec(fid: fid, name: userSystemInfoName, variants: [
            CTPFieldVariant(length: 366, version: "6.3.15-6.3.19", layout: userSystemInfoLegacy),
            CTPFieldVariant(length: 399, version: "6.5.1", layout: userSystemInfoLayout),
            CTPFieldVariant(length: 550, version: "6.6.1+", layout: userSystemInfoLayout),
        ])
    }

    private static let byID: [UInt16: CTPFieldSpec] = Dictionary(all.map { ($0.fid, $0) }, uniquingKeysWith: { first, _ in first })

    /// The field `fid` names, if known.
    static func spec(_ fid: UInt16) -> CTPFieldSpec? { byID[fid] }

    /// The (id, length) pairs of the layouts whose every length is known, as `id << 16 | length`.
    private static let knownLengths: Set<UInt32> = Set(all.filter(\.lengthsComplete).flatMap { spec in
        spec.variants.map { UInt32(spec.fid) << 16 | UInt32($0.length) }
    })
    /// The ids whose every length is known.
    private static let laidOut: Set<UInt16> = Set(all.filter(\.lengthsComplete).map(\.fid))

    /// Whether a field of `length` bytes under `fid` has a length some release sends (true for
    /// ids whose lengths in other releases are not known).
    static func lengthKnown(_ fid: UInt16, _ length: Int) -> Bool {
        knownLengths.contains(UInt32(fid) << 16 | UInt32(truncatingIfNeeded: length)) || !laidOut.contains(fid)
    }
}

// MARK: - The 6.7.11 dictionary

extension CTPFieldTable {
    /// The fields of the 6.7.11 library's dictionary, one variant each (at other lengths decoded
    /// by prefix, with no anomaly: what other releases send for them is not known).
    static let dictionary: [CTPFieldSpec] = {
        var specs: [CTPFieldSpec] = []
        let table = CTPFieldDictionary.table
        // Byte by byte: the table is ASCII, and splitting it as `String`s (by characters) was
        // most of the start-up time of a run.
        let bytes = UnsafeBufferPointer(start: table.utf8Start, count: table.utf8CodeUnitCount)
        func text(_ range: Range<Int>) -> String { String(utf8Bytes: UnsafeBufferPointer(rebasing: bytes[range])) }
        func number(_ range: Range<Int>, radix: Int = 10) -> Int? { Int(text(range), radix: radix) }
        for line in pieces(bytes, 0..<bytes.count, separator: UInt8(ascii: "\n")) {
            let parts = pieces(bytes, line, separator: UInt8(ascii: " "))
            guard parts.count >= 3, parts[0].count > 2, let fid = number(parts[0].dropFirst(2), radix: 16).flatMap(UInt16.init(exactly:)),
                let length = number(parts[2])
            else { continue }
            let members = parts.dropFirst(3).compactMap { member -> (String, CTPMemberKind)? in
                let halves = pieces(bytes, member, separator: UInt8(ascii: ":"))
                guard halves.count == 2, let size = number(halves[1].dropFirst()) else { return nil }
                let name = text(halves[0])
                return (name, kind(of: name, code: Character(UnicodeScalar(bytes[halves[1].lowerBound])), size: size))
            }
            let layout = CTPLayout(members)
            guard layout.size == length else { continue }
            specs.append(CTPFieldSpec(
                fid: fid, name: text(parts[1]), variants: [CTPFieldVariant(length: length, version: "", layout: layout)],
                lengthsComplete: false))
        }
        return specs
    }()

    /// The non-empty runs of `range` in `bytes` between `separator`s (as `split` gives them).
    private static func pieces(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, separator: UInt8) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = range.lowerBound
        for index in range where bytes[index] == separator {
            if index > start { result.append(start..<index) }
            start = index + 1
        }
        if range.upperBound > start { result.append(start..<range.upperBound) }
        return result
    }

    /// How a dictionary member is shown, by its type and name: secrets (passwords, codes, keys,
    /// tokens) redacted, `Old...` slots (a repeat of a member kept elsewhere) and opaque blobs
    /// hidden, terminal information as its length and hash.
    static func kind(of name: String, code: Character, size: Int) -> CTPMemberKind {
        switch code {
        case "i": return .int
        case "d": return .double
        case "h": return .short
        default:
            if size == 1 { return .char }
            let secrets: [StaticString] = ["Password", "PassWord", "AuthCode", "AuthInfo", "PinKey", "MacKey", "CurrentKey", "Token", "Captcha", "Pwd"]
            if secrets.contains(where: { includes(name, $0) }) && !name.hasSuffix("Flag") && name != "CaptchaInfoLen" {
                return name == "CaptchaInfo" ? .hidden(size) : .secret(size)
            }
            if name == "ClientSystemInfo" || name == "WechatCltSysInfo" { return .terminalInfo(size) }
            if name.hasPrefix("Old") || name.hasSuffix("HandshakeData") { return .hidden(size) }
            return .text(size)
        }
    }

    /// Whether `part` occurs in `name`, byte by byte (`String.contains` allocates on every call, and
    /// this runs for each member of the dictionary when it loads).
    private static func includes(_ name: String, _ part: StaticString) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            let count = part.utf8CodeUnitCount
            guard bytes.count >= count else { return false }
            let needle = UnsafeBufferPointer(start: part.utf8Start, count: count)
            for start in 0...(bytes.count - count) where bytes[start] == needle[0] {
                var matched = 1
                while matched < count && bytes[start + matched] == needle[matched] { matched += 1 }
                if matched == count { return true }
            }
            return false
        }
    }
}
