/// Which front a CTP connection talks to, told by what it carries.
package enum CTPFront: String, Sendable {
    /// A trading front (`thosttraderapi`): authentication, orders, trades, queries.
    case trader
    /// A market-data front (`thostmduserapi`): subscriptions and depth market data.
    case marketData = "md"
}

/// One transaction id (TID): the message type of an FTDC packet.
struct CTPTransaction: Sendable {
    /// The TID.
    var tid: UInt32
    /// The name, in SFIT's own style (`ReqUserLogin`, `RtnDepthMarketData`).
    var name: String
    /// The front kind the message proves, if it belongs to only one kind.
    var front: CTPFront?

    init(_ tid: UInt32, _ name: String, _ front: CTPFront? = nil) {
        self.tid = tid
        self.name = name
        self.front = front
    }
}

/// The TIDs the decoder knows: the one table of them (CTP notes section 6.1; requests are even,
/// the response is the request + 1). Add a TID here and its name, front kind and events follow.
///
/// RegisterUserSystemInfo, SubmitUserSystemInfo and the direct client's automatic terminal-info
/// report are in no public source; recordings of the official 6.7.11 library show that all three
/// send TID 0x3024 with a UserSystemInfo field 0x4022 (`Scripts/captures/ctp/FINDINGS.md`).
enum CTPTransactions {
    static let rspError: UInt32 = 0x0001
    static let reqUserLogin: UInt32 = 0x3000
    static let rspUserLogin: UInt32 = 0x3001
    static let reqUserLogout: UInt32 = 0x3002
    static let rspUserLogout: UInt32 = 0x3003
    static let reqAuthenticate: UInt32 = 0x3010
    static let rspAuthenticate: UInt32 = 0x3011
    static let reqOrderInsert: UInt32 = 0x4000
    static let rspOrderInsert: UInt32 = 0x4001
    static let reqOrderAction: UInt32 = 0x4006
    static let rspOrderAction: UInt32 = 0x4007
    static let subscribeMarketData: UInt32 = 0x4401
    static let rspSubMarketData: UInt32 = 0x4402
    static let unsubscribeMarketData: UInt32 = 0x4403
    static let rtnOrder: UInt32 = 0xF001
    static let rtnTrade: UInt32 = 0xF002
    static let errRtnOrderInsert: UInt32 = 0xF003
    static let errRtnOrderAction: UInt32 = 0xF004
    static let rtnDepthMarketData: UInt32 = 0xF101
    /// RegisterUserSystemInfo (relay, many-to-many, before login), SubmitUserSystemInfo (relay,
    /// one-to-many, after login) and a direct client's automatic report share this TID.
    static let submitUserSystemInfo: UInt32 = 0x3024

    /// Every known TID.
    static let all: [CTPTransaction] = {
        [
            CTPTransaction(rspError, "RspError"),
            CTPTransaction(reqUserLogin, "ReqUserLogin"),
            CTPTransaction(rspUserLogin, "RspUserLogin"),
            CTPTransaction(reqUserLogout, "ReqUserLogout"),
            CTPTransaction(rspUserLogout, "RspUserLogout"),
            CTPTransaction(0x300A, "ReqUserPasswordUpdate", .trader),
            CTPTransaction(0x300B, "RspUserPasswordUpdate", .trader),
            CTPTransaction(0x300E, "ReqTradingAccountPasswordUpdate", .trader),
            CTPTransaction(0x300F, "RspTradingAccountPasswordUpdate", .trader),
            CTPTransaction(reqAuthenticate, "ReqAuthenticate", .trader),
            CTPTransaction(rspAuthenticate, "RspAuthenticate", .trader),
            CTPTransaction(submitUserSystemInfo, "SubmitUserSystemInfo", .trader),
            CTPTransaction(0x3025, "ReqApiHandshake"),
            CTPTransaction(0x3026, "RspApiHandshake"),
            CTPTransaction(0x3027, "ReqVerifyApiKey"),
            CTPTransaction(0x3028, "RspVerifyApiKey"),
            CTPTransaction(0x018658, "ReqApiHandshake"),
            CTPTransaction(reqOrderInsert, "ReqOrderInsert", .trader),
            CTPTransaction(rspOrderInsert, "RspOrderInsert", .trader),
            CTPTransaction(reqOrderAction, "ReqOrderAction", .trader),
            CTPTransaction(rspOrderAction, "RspOrderAction", .trader),
            CTPTransaction(0x4013, "ReqSettlementInfoConfirm", .trader),
            CTPTransaction(0x4014, "RspSettlementInfoConfirm", .trader),
            CTPTransaction(subscribeMarketData, "SubscribeMarketData", .marketData),
            CTPTransaction(rspSubMarketData, "RspSubMarketData", .marketData),
            CTPTransaction(unsubscribeMarketData, "UnSubscribeMarketData", .marketData),
            CTPTransaction(0x4404, "RspUnSubMarketData", .marketData),
            CTPTransaction(0x4409, "SubscribeForQuoteRsp", .marketData),
            CTPTransaction(0x440A, "RspSubForQuoteRsp", .marketData),
            CTPTransaction(0x440B, "UnSubscribeForQuoteRsp", .marketData),
            CTPTransaction(0x440C, "RspUnSubForQuoteRsp", .marketData),
            CTPTransaction(0x8000, "ReqQryOrder", .trader),
            CTPTransaction(0x8001, "RspQryOrder", .trader),
            CTPTransaction(0x8002, "ReqQryTrade", .trader),
            CTPTransaction(0x8003, "RspQryTrade", .trader),
            CTPTransaction(0x8004, "ReqQryInvestorPosition", .trader),
            CTPTransaction(0x8005, "RspQryInvestorPosition", .trader),
            CTPTransaction(0x8006, "ReqQryTradingAccount", .trader),
            CTPTransaction(0x8007, "RspQryTradingAccount", .trader),
            CTPTransaction(0x8008, "ReqQryInvestor", .trader),
            CTPTransaction(0x8009, "RspQryInvestor", .trader),
            CTPTransaction(0x802E, "ReqQryInstrument", .trader),
            CTPTransaction(0x802F, "RspQryInstrument", .trader),
            CTPTransaction(0x8030, "ReqQryDepthMarketData", .trader),
            CTPTransaction(0x8031, "RspQryDepthMarketData", .trader),
            CTPTransaction(0x803C, "ReqQrySettlementInfo", .trader),
            CTPTransaction(0x803D, "RspQrySettlementInfo", .trader),
            CTPTransaction(rtnOrder, "RtnOrder", .trader),
            CTPTransaction(rtnTrade, "RtnTrade", .trader),
            CTPTransaction(errRtnOrderInsert, "ErrRtnOrderInsert", .trader),
            CTPTransaction(errRtnOrderAction, "ErrRtnOrderAction", .trader),
            CTPTransaction(rtnDepthMarketData, "RtnDepthMarketData", .marketData),
            CTPTransaction(0xF102, "RtnDissemination"),
            CTPTransaction(0xF103, "RtnIncrementalMarketData", .marketData),
            CTPTransaction(0xF104, "RtnInstrumentStatus", .trader),
        ]
    }()

    private static let byTID: [UInt32: CTPTransaction] = Dictionary(all.map { ($0.tid, $0) }, uniquingKeysWith: { first, _ in first })

    /// The transaction `tid` names, if known.
    static func named(_ tid: UInt32) -> CTPTransaction? { byTID[tid] }

    /// The front kind a packet with `tid` proves, if any (looked up only until a flow's kind is known).
    static func front(of tid: UInt32) -> CTPFront? { byTID[tid]?.front }
}
