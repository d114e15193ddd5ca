/// Which part of the TDX protocol a command belongs to.
package enum TDXFamily: String, Sendable {
    /// The standard market (port 7709, flag 0x0c).
    case standard
    /// The extended market: futures, Hong Kong, US (port 7727, flag 0x01).
    case extended
    /// The official client's new-generation frames (flag 0x00, commands 0x12xx; notes section 1.9).
    case newGeneration = "new_generation"

    /// The family as a bit of a set in a byte.
    var bit: UInt8 {
        switch self {
        case .standard: 1
        case .extended: 2
        case .newGeneration: 4
        }
    }
}

/// A TDX command code with its name (notes sections 1.6 and 1.9; names as in the ground truth of
/// `Captures/tdx/`, after pytdx's parsers, gotdx's and quant1x's constants).
struct TDXCommand {
    var code: UInt16
    var name: String
    var family: TDXFamily

    // The commands the decoder gives meaning to.
    static let officialLogin: UInt16 = 0x000B
    static let setup1: UInt16 = 0x000D
    static let setup3: UInt16 = 0x0FDB
    static let heartbeat: UInt16 = 0x0004
    static let ping: UInt16 = 0x0015
    static let securityCount: UInt16 = 0x044E
    static let securityList: UInt16 = 0x0450
    static let securityQuotes: UInt16 = 0x053E
    static let securityQuotesNew: UInt16 = 0x054C
    static let securityBars: UInt16 = 0x052D
    static let minuteData: UInt16 = 0x051D
    static let historyMinuteData: UInt16 = 0x0FB4
    static let transactions: UInt16 = 0x0FC5
    static let historyTransactions: UInt16 = 0x0FB5
    static let fileMeta: UInt16 = 0x02C5
    static let fileData: UInt16 = 0x06B9
    static let exSetup: UInt16 = 0x2454
    static let exMarkets: UInt16 = 0x23F4
    static let exInstrumentCount: UInt16 = 0x23F0
    static let exInstrumentInfo: UInt16 = 0x23F5
    static let exInstrumentQuote: UInt16 = 0x23FA
    static let ngLogin: UInt16 = 0x120F
    static let ngQuote: UInt16 = 0x122B
    static let ngMarketSnapshot: UInt16 = 0x122C
    static let ngMinute: UInt16 = 0x122D
    static let ngBars: UInt16 = 0x122E

    /// The log-on and set-up commands, whose events are logons and logon results, with the name
    /// `tdx.setup` gives each; nil for every other command.
    static func setupName(_ code: UInt16) -> String? {
        switch code {
        case setup3: "setup3"
        case officialLogin: "official_login"
        case exSetup: "extended_setup"
        case ngLogin: "new_generation_login"
        default: nil
        }
    }

    /// Every command named in the notes.
    static let all: [TDXCommand] = [
        TDXCommand(code: 0x0004, name: "heartbeat", family: .standard),
        TDXCommand(code: 0x000B, name: "official_login", family: .standard),
        TDXCommand(code: 0x000D, name: "setup1", family: .standard),
        TDXCommand(code: 0x000F, name: "xdxr_info", family: .standard),
        TDXCommand(code: 0x0010, name: "finance_info", family: .standard),
        TDXCommand(code: 0x0015, name: "ping", family: .standard),
        TDXCommand(code: 0x02C5, name: "file_meta", family: .standard),
        TDXCommand(code: 0x02CF, name: "company_info_category", family: .standard),
        TDXCommand(code: 0x02D0, name: "company_info_content", family: .standard),
        TDXCommand(code: 0x044D, name: "security_list_new", family: .standard),
        TDXCommand(code: 0x044E, name: "security_count", family: .standard),
        TDXCommand(code: 0x0450, name: "security_list", family: .standard),
        TDXCommand(code: 0x051A, name: "volume_profile", family: .standard),
        TDXCommand(code: 0x051B, name: "index_momentum", family: .standard),
        TDXCommand(code: 0x051C, name: "index_info", family: .standard),
        TDXCommand(code: 0x051D, name: "minute_time_data", family: .standard),
        TDXCommand(code: 0x0523, name: "security_bars_alt", family: .standard),
        TDXCommand(code: 0x052D, name: "security_bars", family: .standard),
        TDXCommand(code: 0x0537, name: "minute_time_data_alt", family: .standard),
        TDXCommand(code: 0x053E, name: "security_quotes", family: .standard),
        TDXCommand(code: 0x053F, name: "top_board", family: .standard),
        TDXCommand(code: 0x0547, name: "encrypted_quotes", family: .standard),
        TDXCommand(code: 0x054C, name: "security_quotes_new", family: .standard),
        TDXCommand(code: 0x0563, name: "unusual_moves", family: .standard),
        TDXCommand(code: 0x056A, name: "auction", family: .standard),
        TDXCommand(code: 0x06B9, name: "file_data", family: .standard),
        TDXCommand(code: 0x0FB4, name: "history_minute_time_data", family: .standard),
        TDXCommand(code: 0x0FB5, name: "history_transaction_data", family: .standard),
        TDXCommand(code: 0x0FC5, name: "transaction_data", family: .standard),
        TDXCommand(code: 0x0FDB, name: "setup3", family: .standard),
        TDXCommand(code: 0x0FEB, name: "history_minute_time_data_alt", family: .standard),
        TDXCommand(code: 0x120F, name: "ng_login", family: .newGeneration),
        TDXCommand(code: 0x122B, name: "ng_symbol_quote", family: .newGeneration),
        TDXCommand(code: 0x122C, name: "ng_market_snapshot", family: .newGeneration),
        TDXCommand(code: 0x122D, name: "ng_minute_data", family: .newGeneration),
        TDXCommand(code: 0x122E, name: "ng_symbol_bars", family: .newGeneration),
        TDXCommand(code: 0x23F0, name: "ex_instrument_count", family: .extended),
        TDXCommand(code: 0x23F4, name: "ex_markets", family: .extended),
        TDXCommand(code: 0x23F5, name: "ex_instrument_info", family: .extended),
        TDXCommand(code: 0x23FA, name: "ex_instrument_quote", family: .extended),
        TDXCommand(code: 0x23FB, name: "ex_instrument_quotes", family: .extended),
        TDXCommand(code: 0x23FC, name: "ex_transaction_data", family: .extended),
        TDXCommand(code: 0x23FF, name: "ex_instrument_bars", family: .extended),
        TDXCommand(code: 0x2400, name: "ex_instrument_quote_list", family: .extended),
        TDXCommand(code: 0x2406, name: "ex_history_transaction_data", family: .extended),
        TDXCommand(code: 0x240B, name: "ex_minute_time_data", family: .extended),
        TDXCommand(code: 0x240C, name: "ex_history_minute_time_data", family: .extended),
        TDXCommand(code: 0x240D, name: "ex_instrument_bars_range", family: .extended),
        TDXCommand(code: 0x2454, name: "ex_setup", family: .extended),
        TDXCommand(code: 0x2455, name: "ex_server_info", family: .extended),
        TDXCommand(code: 0x248A, name: "ex_instrument_quotes_batch", family: .extended),
    ]

    /// The command named `code`, if the notes name it.
    static func named(_ code: UInt16) -> TDXCommand? {
        index[code].map { all[$0] }
    }

    /// Whether the notes name `code` (the probe and resynchronisation accept only these).
    static func known(_ code: UInt16) -> Bool { index[code] != nil }

    /// The position of `code` in `all`.
    static func position(_ code: UInt16) -> Int? { index[code] }

    /// Each command's position in `all`.
    private static let index: [UInt16: Int] = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1.code, $0) })

    /// The family of a command code: the 0x23xx-0x24xx range is the extended market, 0x12xx the
    /// new generation, the rest standard.
    static func family(of code: UInt16, flag: UInt8) -> TDXFamily {
        if code >= 0x2300 && code < 0x2500 { return .extended }
        if code & 0xFF00 == 0x1200 { return .newGeneration }
        if flag == 0x01 { return .extended }
        if flag == 0x00 { return .newGeneration }
        return .standard
    }

    /// The sequence id pytdx sends with each command (FINDINGS.md section 2, little-endian), or
    /// nil for commands it has no fixed id for.
    static func pytdxSequence(_ code: UInt16) -> UInt32? {
        switch code {
        case 0x000D: 0x0093_1802  // 02 18 93 00 (setup 1) and 02 18 94 00 (setup 2): either
        case 0x0FDB: 0x0099_1803
        case 0x044E: 0x006C_180C
        case 0x0450: 0x0164_1801
        case 0x053E: 0x0063_2001
        case 0x052D: 0x0164_0801
        case 0x051D: 0x0100_081B
        case 0x0FB4: 0x0100_3001
        case 0x0FC5: 0x0101_0817
        case 0x0FB5: 0x0001_3001
        case 0x02C5: 0x0069_1839
        case 0x2454: 0x0065_4801
        case 0x23F4: 0x0069_4802
        case 0x23F0: 0x0066_4803
        case 0x23F5: 0x0067_4804
        case 0x23FA: 0x0202_0801
        default: nil
        }
    }

    /// Whether `sequence` is pytdx's fixed id for `code` (setup 2 has its own).
    static func isPytdxSequence(_ sequence: UInt32, for code: UInt16) -> Bool {
        if code == 0x000D && sequence == 0x0094_1802 { return true }
        return pytdxSequence(code) == sequence
    }
}
