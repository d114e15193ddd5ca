import ProtocolKit

/// What a request asked for that its reply is read against (bars need the category for their
/// dates; a reply names nothing of its own for minute data).
struct TDXRequestContext {
    var market: UInt16 = 0
    var code: String?
    /// The bars category (0x052d, 0x122e).
    var category: UInt16?
    /// The date asked for (history minute data and transactions).
    var date: UInt32?
}

/// A request body decoded by its command (FINDINGS.md section 2; notes section 1.6).
struct TDXRequestBody {
    /// The members for the record's `body`.
    var fields: [(String, FieldValue)] = []
    /// How many securities it names (once the body is read whole).
    var instrumentCount: Int { qualifiedCodes?.count ?? (single == nil ? 0 : 1) }
    /// Their markets, each once, in ascending order.
    var markets: [UInt16] = []
    /// The security a request for one security's data names.
    var single: TDXInstrument?
    /// The qualified codes (`TDXInstrument.qualified`) of a body that lists securities (the
    /// record's `codes`), which the event's `instruments` reuses. Only these strings are made
    /// per listed code: a quotes request names a hundred or so.
    var qualifiedCodes: [FieldValue]?
    /// What the reply is read against.
    var context = TDXRequestContext()
    /// The subscription kind, for `md_subscribe` (`quotes`, `bars`, `minute`, ...), when it asks
    /// for one security's market data.
    var subscription: String?
    /// The file a file request names.
    var fileName: String?
    var anomalies = TDXAnomalySet()

    /// The pytdx/TradeX set-up frame 3 body (0x0fdb; notes section 1.5).
    static let pytdxSetup3: [UInt8] = [
        0xD5, 0xD0, 0xC9, 0xCC, 0xD6, 0xA4, 0xA8, 0xAF, 0x00, 0x00, 0x00, 0x8F, 0xC2, 0x25, 0x40, 0x13, 0x00, 0x00, 0xD5, 0x00,
        0xC9, 0xCC, 0xBD, 0xF0, 0xD7, 0xEA, 0x00, 0x00, 0x00, 0x02,
    ]
    /// pytdx's extended-market set-up body (0x2454; FINDINGS.md section 1): one 8-byte block eight
    /// times, then 16 other bytes.
    static let pytdxExtendedSetup: [UInt8] =
        Array([[UInt8]](repeating: [0x1F, 0x32, 0xC6, 0xE5, 0xD5, 0x3D, 0xFB, 0x41], count: 8).joined())
        + [0xCC, 0xE1, 0x6D, 0xFF, 0xD5, 0xBA, 0x3F, 0xB8, 0xCB, 0xC5, 0x7A, 0x05, 0x4F, 0x77, 0x48, 0xEA]

    /// Decodes `body` of a request for `command` (`flag` tells the family). The codes a quotes
    /// request lists (a hundred or so, each made into a string) are read only `forEvent`: the
    /// request's event lists them, its reply's context needs none of them.
    init(command: UInt16, flag: UInt8, body: UnsafeRawBufferPointer, forEvent: Bool = true) {
        var reader = TDXReader(body)
        do throws(TDXShortBody) {
            switch command {
            case TDXCommand.setup1:
                fields.append(("step", .uint(UInt64(try reader.u8()))))
            case TDXCommand.setup3:
                fields.append(("body_length", .uint(UInt64(body.count))))
                fields.append(("pytdx_bytes", .bool(body.elementsEqual(Self.pytdxSetup3))))
            case TDXCommand.officialLogin, TDXCommand.exSetup:
                fields.append(("body_length", .uint(UInt64(body.count))))
                // The repeated 8-byte block: from frame offset 32 in the official login (nDPI),
                // from the body's start in the extended set-up.
                let start = command == TDXCommand.officialLogin ? 20 : 0
                if let (block, repeats) = Self.repeatedBlock(body, from: start) {
                    fields.append(("repeated_block", .string(TDXFormat.bytes(block))))
                    fields.append(("block_repeats", .uint(UInt64(repeats))))
                }
                if command == TDXCommand.exSetup {
                    fields.append(("pytdx_bytes", .bool(body.elementsEqual(Self.pytdxExtendedSetup))))
                }
            case TDXCommand.securityCount:
                context.market = try reader.u16()
                fields.append(("market", .uint(UInt64(context.market))))
                fields.append(("tail", .uint(UInt64(try reader.u32()))))
            case TDXCommand.securityList:
                context.market = try reader.u16()
                fields.append(("market", .uint(UInt64(context.market))))
                fields.append(("start", .uint(UInt64(try reader.u16()))))
            case TDXCommand.securityQuotes, TDXCommand.securityQuotesNew:
                guard forEvent else { break }
                let prefix = reader.peek(8)
                try reader.skip(8)
                fields.append(("prefix", .string(TDXFormat.bytes(prefix))))
                let count = Int(try reader.u16())
                fields.append(("count", .uint(UInt64(count))))
                // Each code takes 7 bytes: room for no more than the body holds.
                let room = min(count, reader.remaining / 7)
                var codes: [FieldValue] = []
                codes.reserveCapacity(room)
                // The markets seen, a bit per market byte in four words.
                var seen: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
                for _ in 0..<count {
                    let market = try reader.u8()
                    codes.append(.string(TDXInstrument.qualifiedSecurity(market: market, code: try reader.take(6))))
                    withUnsafeMutableBytes(of: &seen) { $0.assumingMemoryBound(to: UInt64.self)[Int(market >> 6)] |= 1 << UInt64(market & 63) }
                }
                withUnsafeBytes(of: &seen) { raw in
                    for (word, bits) in raw.assumingMemoryBound(to: UInt64.self).enumerated() {
                        var rest = bits
                        while rest != 0 {
                            markets.append(UInt16(word * 64 + rest.trailingZeroBitCount))
                            rest &= rest - 1
                        }
                    }
                }
                fields.append(("codes", .array(codes)))
                qualifiedCodes = codes
                subscription = "quotes"
            case TDXCommand.securityBars:
                try security(&reader, market: .u16)
                let category = try reader.u16()
                context.category = category
                fields.append(("category", .uint(UInt64(category))))
                fields.append(("category_name", .string(Self.categoryName(category))))
                try reader.skip(2)
                fields.append(("start", .uint(UInt64(try reader.u16()))))
                fields.append(("count", .uint(UInt64(try reader.u16()))))
                subscription = "bars"
            case TDXCommand.minuteData:
                try security(&reader, market: .u16)
                subscription = "minute"
            case TDXCommand.historyMinuteData:
                let date = try reader.u32()
                context.date = date
                fields.append(("date", .uint(UInt64(date))))
                try security(&reader, market: .u8)
                subscription = "history_minute"
            case TDXCommand.transactions:
                try security(&reader, market: .u16)
                fields.append(("start", .uint(UInt64(try reader.u16()))))
                fields.append(("count", .uint(UInt64(try reader.u16()))))
                subscription = "transactions"
            case TDXCommand.historyTransactions:
                let date = try reader.u32()
                context.date = date
                fields.append(("date", .uint(UInt64(date))))
                try security(&reader, market: .u16)
                fields.append(("start", .uint(UInt64(try reader.u16()))))
                fields.append(("count", .uint(UInt64(try reader.u16()))))
                subscription = "history_transactions"
            case TDXCommand.fileMeta:
                let name = try reader.code(min(40, reader.remaining))
                fileName = name
                fields.append(("file_name", .string(name)))
            case TDXCommand.fileData:
                fields.append(("offset", .uint(UInt64(try reader.u32()))))
                fields.append(("size", .uint(UInt64(try reader.u32()))))
                let name = try reader.code(min(100, reader.remaining))
                fileName = name
                fields.append(("file_name", .string(name)))
            case TDXCommand.exInstrumentInfo:
                fields.append(("start", .uint(UInt64(try reader.u32()))))
                fields.append(("count", .uint(UInt64(try reader.u16()))))
            case TDXCommand.exInstrumentQuote:
                try security(&reader, market: .u8, codeLength: 9, family: .extended)
                subscription = "quotes"
            case TDXCommand.ngBars:
                try newGenerationSecurity(body, marketAt: 0, codeAt: 2)
                var at = TDXReader(body, at: 24)
                let category = try at.u16()
                context.category = category
                fields.append(("category", .uint(UInt64(category))))
                fields.append(("category_name", .string(Self.categoryName(category))))
                try at.skip(2)
                fields.append(("start", .uint(UInt64(try at.u32()))))
                fields.append(("count", .uint(UInt64(try at.u16()))))
                subscription = "bars"
            case TDXCommand.ngMinute:
                try newGenerationSecurity(body, marketAt: 0, codeAt: 2)
                subscription = "minute"
            case TDXCommand.ngQuote:
                try newGenerationSecurity(body, marketAt: 22, codeAt: 24)
                subscription = "quotes"
            default:
                fields.append(("body_length", .uint(UInt64(body.count))))
                if !body.isEmpty { fields.append(("body_hex", .string(TDXFormat.bytes(body.prefix(32))))) }
            }
        } catch {
            anomalies.insert(.bodyTruncated)
        }
        if reader.position < body.count && anomalies.isEmpty && Self.layoutIsWhole(command) {
            anomalies.insert(.bodyTrailingBytes)
        }
    }

    /// Whether the decoder reads the whole body of `command` (the others are read in part).
    private static func layoutIsWhole(_ command: UInt16) -> Bool {
        switch command {
        case TDXCommand.securityCount, TDXCommand.securityList, TDXCommand.securityQuotes, TDXCommand.securityQuotesNew,
            TDXCommand.historyMinuteData, TDXCommand.transactions, TDXCommand.historyTransactions, TDXCommand.exInstrumentInfo:
            true
        default:
            false
        }
    }

    private enum MarketWidth { case u8, u16 }

    /// A market (u8 or u16) and a code: the security most requests are about.
    private mutating func security(
        _ reader: inout TDXReader, market width: MarketWidth, codeLength: Int = 6, family: TDXFamily = .standard
    ) throws(TDXShortBody) {
        let market = width == .u8 ? UInt16(try reader.u8()) : try reader.u16()
        let code = try reader.code(codeLength)
        add(TDXInstrument(market: market, code: code, family: family))
    }

    /// The market byte and 6-byte code at fixed body offsets of a new-generation request (tdxrs
    /// `v2_client.py`: frame offsets 12/14 and 34/36).
    private mutating func newGenerationSecurity(_ body: UnsafeRawBufferPointer, marketAt: Int, codeAt: Int) throws(TDXShortBody) {
        var reader = TDXReader(body, at: marketAt)
        let market = UInt16(try reader.u8())
        var codeReader = TDXReader(body, at: codeAt)
        add(TDXInstrument(market: market, code: try codeReader.code(6), family: .newGeneration))
    }

    private mutating func add(_ instrument: TDXInstrument) {
        context.market = instrument.market
        context.code = instrument.code
        markets = [instrument.market]
        single = instrument
        fields.append(("market", .uint(UInt64(instrument.market))))
        fields.append(("code", .string(instrument.code)))
    }

    /// The bars category's name (pytdx's KLINE_TYPE constants).
    static func categoryName(_ category: UInt16) -> String {
        switch category {
        case 0: "5min"
        case 1: "15min"
        case 2: "30min"
        case 3: "1hour"
        case 4: "daily_alt"
        case 5: "weekly"
        case 6: "monthly"
        case 7: "1min_alt"
        case 8: "1min"
        case 9: "daily"
        case 10: "quarterly"
        case 11: "yearly"
        default: "category_\(category)"
        }
    }

    /// The 8-byte block that repeats from `start` (at least 3 times in a row), and how often.
    static func repeatedBlock(_ body: UnsafeRawBufferPointer, from start: Int) -> ([UInt8], Int)? {
        guard body.count >= start + 24 else { return nil }
        let block = Array(body[start..<(start + 8)])
        var repeats = 1
        var at = start + 8
        while at + 8 <= body.count && body[at..<(at + 8)].elementsEqual(block) {
            repeats += 1
            at += 8
        }
        return repeats >= 3 ? (block, repeats) : nil
    }

    /// The number of codes of a quotes request, read without decoding it (the counting path).
    @inline(__always)
    static func quoteCount(_ body: UnsafeRawBufferPointer) -> Int {
        guard body.count >= 10 else { return 0 }
        let count = Int(body.loadUnaligned(fromByteOffset: 8, as: UInt16.self).littleEndian)
        return min(count, (body.count - 10) / 7)
    }
}
