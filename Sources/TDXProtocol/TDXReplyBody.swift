import ProtocolKit

/// A reply body (inflated) decoded by its command, read against its request (FINDINGS.md
/// section 5 for the layouts, checked against pytdx's parsers; notes sections 1.7 and 1.9).
struct TDXReplyBody {
    /// The members for the record's `body`.
    var fields: [(String, FieldValue)] = []
    /// The quotes it carries (security quotes, extended-market quote), at most `quoteLimit`.
    var quotes: [TDXQuote] = []
    /// How many quotes were read (`quotes` may list fewer).
    var quoteCount = 0
    /// The security it is about, when the layout or the request names one.
    var instrument: TDXInstrument?
    /// How many records (quotes, securities, bars, points, trades) it holds.
    var records: Int?
    var anomalies = TDXAnomalySet()

    /// The most rows a record lists (a security-list page has 1000; its count is always given).
    static let maxRows = 1000
    /// The rows listed: none when nobody wants the record (trading events need only the quotes).
    private let rowLimit: Int
    /// The quotes listed in `quotes` (every quote is still read and counted).
    private let quoteLimit: Int

    /// Decodes `body` of a reply to `command`; `request` is the paired request's context, if any.
    /// Without `rows`, the record's row lists are left out (the quotes are still read); `quoteLimit`
    /// caps the quotes listed.
    init(command: UInt16, body: UnsafeRawBufferPointer, request: TDXRequestContext?, rows: Bool = true, quoteLimit: Int = .max) {
        rowLimit = rows ? Self.maxRows : 0
        self.quoteLimit = quoteLimit
        var reader = TDXReader(body)
        var whole = true
        do throws(TDXShortBody) {
            switch command {
            case TDXCommand.setup1:
                // The server's name from offset 68 (gotdx `hello1.go`).
                fields.append(("body_length", .uint(UInt64(body.count))))
                if body.count > 68 {
                    var at = TDXReader(body, at: 68)
                    let name = try at.gbk(min(body.count - 68, 128))
                    if !name.isEmpty { fields.append(("server_info", .string(name))) }
                }
                whole = false
            case TDXCommand.securityCount:
                let count = try reader.u16()
                fields.append(("count", .uint(UInt64(count))))
            case TDXCommand.securityList:
                try securityList(&reader)
            case TDXCommand.securityQuotes:
                try quotes(&reader, levels: 5)
            case TDXCommand.securityQuotesNew:
                try quotes(&reader, levels: 1)
            case TDXCommand.securityBars:
                if let category = request?.category {
                    try bars(&reader, category: category, request: request)
                } else {
                    fields.append(("body_length", .uint(UInt64(body.count))))
                    fields.append(("note", .string("bars category unknown (no request seen)")))
                    whole = false
                }
            case TDXCommand.minuteData, TDXCommand.historyMinuteData:
                try minutes(&reader, head: command == TDXCommand.minuteData ? 2 : 4, request: request)
            case TDXCommand.transactions, TDXCommand.historyTransactions:
                try transactions(&reader, history: command == TDXCommand.historyTransactions, request: request)
            case TDXCommand.fileMeta:
                fields.append(("size", .uint(UInt64(try reader.u32()))))
                try reader.skip(1)
                fields.append(("hash", .string(try reader.code(32))))
                try reader.skip(1)
            case TDXCommand.fileData:
                let size = try reader.u32()
                fields.append(("chunk_size", .uint(UInt64(size))))
                whole = false
            case TDXCommand.exMarkets:
                try exMarkets(&reader)
            case TDXCommand.exInstrumentCount:
                var at = TDXReader(body)
                fields.append(("tag", .string(try at.code(11))))
                try at.skip(8)
                fields.append(("count", .uint(UInt64(try at.u32()))))
                whole = false
            case TDXCommand.exInstrumentInfo:
                try exInstruments(&reader)
            case TDXCommand.exInstrumentQuote:
                try exQuote(&reader)
            case TDXCommand.ngBars:
                try newGenerationBars(body)
                whole = false
            case TDXCommand.ngMinute:
                try newGenerationMinutes(body, request: request)
                whole = false
            case TDXCommand.ngQuote:
                fields.append(("body_length", .uint(UInt64(body.count))))
                if body.count >= 34 {
                    var at = TDXReader(body, at: 28)
                    let code = try at.code(6)
                    fields.append(("code", .string(code)))
                    instrument = TDXInstrument(market: request?.market ?? 0, code: code, family: .newGeneration)
                }
                whole = false
            default:
                fields.append(("body_length", .uint(UInt64(body.count))))
                if !body.isEmpty { fields.append(("body_hex", .string(TDXFormat.bytes(body.prefix(32))))) }
                whole = false
            }
        } catch {
            anomalies.insert(.bodyTruncated)
        }
        if whole && anomalies.isEmpty && reader.position < body.count { anomalies.insert(.bodyTrailingBytes) }
    }

    // MARK: - Standard market

    /// 0x0450: u16 n, then n x 29 bytes: 6s code, u16 volunit, 8s GBK name, u32 reserved,
    /// u8 decimal point, f32 previous close, u32 reserved.
    private mutating func securityList(_ reader: inout TDXReader) throws(TDXShortBody) {
        let count = Int(try reader.u16())
        records = count
        fields.append(("count", .uint(UInt64(count))))
        var rows: [FieldValue] = []
        for index in 0..<count {
            let code = try reader.code(6)
            let volumeUnit = try reader.u16()
            let name = try reader.gbk(8)
            try reader.skip(4)
            let decimals = try reader.u8()
            let previousClose = try reader.f32()
            try reader.skip(4)
            guard index < rowLimit else { continue }
            rows.append(.object([
                ("code", .string(code)), ("name", .string(name)), ("volunit", .uint(UInt64(volumeUnit))),
                ("decimal_point", .uint(UInt64(decimals))), ("pre_close", TDXNumber.float(previousClose)),
            ]))
        }
        fields.append(("securities", .array(rows)))
    }

    /// 0x053e (five levels) and 0x054c (one level and a 56-byte tail): 2 bytes, u16 n, then per
    /// security the varint layout of notes section 1.7.
    private mutating func quotes(_ reader: inout TDXReader, levels: Int) throws(TDXShortBody) {
        fields.append(("prefix", .string(TDXFormat.bytes(reader.peek(2)))))
        try reader.skip(2)
        let count = Int(try reader.u16())
        records = count
        fields.append(("count", .uint(UInt64(count))))
        var rows: [FieldValue] = []
        for _ in 0..<count {
            // A quote neither listed nor shown is only read through (its fields checked for length).
            let kept = quotes.count < quoteLimit || rows.count < rowLimit
            guard kept else {
                try skipQuote(&reader, levels: levels)
                quoteCount += 1
                continue
            }
            let market = UInt16(try reader.u8())
            let code = try reader.code(6)
            let active1 = try reader.u16()
            let price = try reader.varint()
            let lastClose = price + (try reader.varint())
            let open = price + (try reader.varint())
            let high = price + (try reader.varint())
            let low = price + (try reader.varint())
            let serverTime = try reader.varint()
            _ = try reader.varint()  // reserved, -price in every capture
            let volume = try reader.varint()
            let currentVolume = try reader.varint()
            let amount = try reader.f32()
            let sellVolume = try reader.varint()
            let buyVolume = try reader.varint()
            _ = try reader.varint()
            _ = try reader.varint()
            var book: [(bid: Int64, ask: Int64, bidVolume: Int64, askVolume: Int64)] = []
            for _ in 0..<levels {
                let bid = price + (try reader.varint())
                let ask = price + (try reader.varint())
                book.append((bid, ask, try reader.varint(), try reader.varint()))
            }
            let best = book.first.map { ((Double($0.bid) / 100, $0.bidVolume), (Double($0.ask) / 100, $0.askVolume)) }
            let speed: Int16
            let active2: UInt16
            if levels == 5 {
                try reader.skip(2)
                for _ in 0..<4 { _ = try reader.varint() }
                speed = try reader.i16()
                active2 = try reader.u16()
            } else {
                try reader.skip(2)
                speed = try reader.i16()
                try reader.skip(2 + 48)
                active2 = try reader.u16()
            }
            quoteCount += 1
            if quotes.count < quoteLimit {
                let instrument = TDXInstrument(market: market, code: code, family: .standard)
                quotes.append(TDXQuote(
                    instrument: instrument, price: Double(price) / 100, volume: volume, lastClose: Double(lastClose) / 100,
                    amount: TDXNumber.double(amount), bid: best?.0, ask: best?.1))
            }
            guard rows.count < rowLimit else { continue }
            let bids = book.map { FieldValue.array([TDXNumber.price($0.bid), .int($0.bidVolume)]) }
            let asks = book.map { FieldValue.array([TDXNumber.price($0.ask), .int($0.askVolume)]) }
            rows.append(.object([
                ("market", .uint(UInt64(market))), ("code", .string(code)), ("active1", .uint(UInt64(active1))),
                ("price", TDXNumber.price(price)), ("last_close", TDXNumber.price(lastClose)), ("open", TDXNumber.price(open)),
                ("high", TDXNumber.price(high)), ("low", TDXNumber.price(low)), ("server_time", .int(serverTime)),
                ("vol", .int(volume)), ("cur_vol", .int(currentVolume)), ("amount", TDXNumber.float(amount)),
                ("s_vol", .int(sellVolume)), ("b_vol", .int(buyVolume)), ("bids", .array(bids)), ("asks", .array(asks)),
                ("speed", .double(Double(speed) / 100)), ("active2", .uint(UInt64(active2))),
            ]))
        }
        fields.append(("quotes", .array(rows)))
    }

    /// Reads through one quote of the layout of `quotes(_:levels:)` without keeping anything.
    private func skipQuote(_ reader: inout TDXReader, levels: Int) throws(TDXShortBody) {
        try reader.skip(1 + 6 + 2)
        try reader.skipVarints(9)
        try reader.skip(4)
        try reader.skipVarints(4 + levels * 4)
        if levels == 5 {
            try reader.skip(2)
            try reader.skipVarints(4)
            try reader.skip(2 + 2)
        } else {
            try reader.skip(2 + 2 + 2 + 48 + 2)
        }
    }

    /// Whether bars of `category` carry a packed day and minutes rather than a u32 YYYYMMDD.
    static func minuteDated(_ category: UInt16) -> Bool { category < 4 || category == 7 || category == 8 }

    /// 0x052d: u16 n, then per bar the date, varint open (a delta from the previous close; the
    /// first absolute), varints close/high/low (deltas from open), in 1/1000, f32 vol, f32 amount.
    private mutating func bars(_ reader: inout TDXReader, category: UInt16, request: TDXRequestContext?) throws(TDXShortBody) {
        let count = Int(try reader.u16())
        records = count
        fields.append(("category", .uint(UInt64(category))))
        fields.append(("count", .uint(UInt64(count))))
        if let code = request?.code { instrument = TDXInstrument(market: request?.market ?? 0, code: code, family: .standard) }
        var rows: [FieldValue] = []
        var previousClose: Int64 = 0
        for _ in 0..<count {
            let date: String
            if Self.minuteDated(category) {
                let day = try reader.u16()
                let minutes = try reader.u16()
                let year = Int(day >> 11) + 2004
                let monthDay = Int(day) % 2048
                date = Self.date(year, monthDay / 100, monthDay % 100) + " " + Self.clock(Int(minutes))
            } else {
                let value = Int(try reader.u32())
                date = Self.date(value / 10000, value / 100 % 100, value % 100)
            }
            let open = previousClose + (try reader.varint())
            let close = open + (try reader.varint())
            let high = open + (try reader.varint())
            let low = open + (try reader.varint())
            let volume = try reader.f32()
            let amount = try reader.f32()
            previousClose = close
            guard rows.count < rowLimit else { continue }
            rows.append(.object([
                ("datetime", .string(date)), ("open", TDXNumber.price(open, scale: 1000)),
                ("close", TDXNumber.price(close, scale: 1000)), ("high", TDXNumber.price(high, scale: 1000)),
                ("low", TDXNumber.price(low, scale: 1000)), ("vol", TDXNumber.float(volume)), ("amount", TDXNumber.float(amount)),
            ]))
        }
        fields.append(("bars", .array(rows)))
    }

    /// 0x051d (2 head bytes) and 0x0fb4 (4): u16 n, the head, then n x (varint price delta,
    /// cumulative, the first absolute, in 1/100; varint reserved; varint volume).
    private mutating func minutes(_ reader: inout TDXReader, head: Int, request: TDXRequestContext?) throws(TDXShortBody) {
        let count = Int(try reader.u16())
        records = count
        try reader.skip(head)
        fields.append(("count", .uint(UInt64(count))))
        if let code = request?.code { instrument = TDXInstrument(market: request?.market ?? 0, code: code, family: .standard) }
        var rows: [FieldValue] = []
        var price: Int64 = 0
        for _ in 0..<count {
            price += try reader.varint()
            _ = try reader.varint()
            let volume = try reader.varint()
            guard rows.count < rowLimit else { continue }
            rows.append(.array([TDXNumber.price(price), .int(volume)]))
        }
        fields.append(("columns", .array([.string("price"), .string("vol")])))
        fields.append(("points", .array(rows)))
    }

    /// 0x0fc5: u16 n, then per trade u16 minutes, varint price delta (cumulative), varints vol,
    /// num, buy/sell flag and reserved. 0x0fb5: 4 more head bytes, and no num.
    private mutating func transactions(_ reader: inout TDXReader, history: Bool, request: TDXRequestContext?) throws(TDXShortBody) {
        let count = Int(try reader.u16())
        records = count
        if history { try reader.skip(4) }
        fields.append(("count", .uint(UInt64(count))))
        if let code = request?.code { instrument = TDXInstrument(market: request?.market ?? 0, code: code, family: .standard) }
        var rows: [FieldValue] = []
        var price: Int64 = 0
        for _ in 0..<count {
            let minutes = try reader.u16()
            price += try reader.varint()
            let volume = try reader.varint()
            var number: Int64?
            if !history { number = try reader.varint() }
            let side = try reader.varint()
            _ = try reader.varint()
            guard rows.count < rowLimit else { continue }
            var row: [FieldValue] = [.string(Self.clock(Int(minutes))), TDXNumber.price(price), .int(volume)]
            if let number { row.append(.int(number)) }
            row.append(.int(side))
            rows.append(.array(row))
        }
        let columns = history ? ["time", "price", "vol", "buyorsell"] : ["time", "price", "vol", "num", "buyorsell"]
        fields.append(("columns", .array(columns.map(FieldValue.string))))
        fields.append(("trades", .array(rows)))
    }

    // MARK: - Extended market (float32 and u32 structs)

    /// 0x23f4: u16 n, then n x 64 bytes: u8 category, 32s GBK name, u8 market, 2s short name.
    private mutating func exMarkets(_ reader: inout TDXReader) throws(TDXShortBody) {
        let count = Int(try reader.u16())
        records = count
        fields.append(("count", .uint(UInt64(count))))
        var rows: [FieldValue] = []
        for _ in 0..<count {
            let category = try reader.u8()
            let name = try reader.gbk(32)
            let market = try reader.u8()
            let short = try reader.gbk(2)
            try reader.skip(28)
            rows.append(.object([
                ("category", .uint(UInt64(category))), ("name", .string(name)), ("market", .uint(UInt64(market))),
                ("short_name", .string(short)),
            ]))
        }
        fields.append(("markets", .array(rows)))
    }

    /// 0x23f5: u32 start, u16 n, then n x 64 bytes: u8 category, u8 market, 3 bytes, 9s code,
    /// 17s GBK name, 9s GBK description, 24 bytes.
    private mutating func exInstruments(_ reader: inout TDXReader) throws(TDXShortBody) {
        fields.append(("start", .uint(UInt64(try reader.u32()))))
        let count = Int(try reader.u16())
        records = count
        fields.append(("count", .uint(UInt64(count))))
        var rows: [FieldValue] = []
        for _ in 0..<count {
            let category = try reader.u8()
            let market = try reader.u8()
            try reader.skip(3)
            let code = try reader.code(9)
            let name = try reader.gbk(17)
            let description = try reader.gbk(9)
            try reader.skip(24)
            guard rows.count < rowLimit else { continue }
            rows.append(.object([
                ("category", .uint(UInt64(category))), ("market", .uint(UInt64(market))), ("code", .string(code)),
                ("name", .string(name)), ("desc", .string(description)),
            ]))
        }
        fields.append(("instruments", .array(rows)))
    }

    /// 0x23fa, 150 bytes: u8 market, 9s code, 4 bytes, f32 pre_close/open/high/low/price, u32
    /// kaicang, reserved, zongliang, xianliang, reserved, neipan, waipan, reserved, chicang, f32
    /// bid1..5, u32 bid volumes, f32 ask1..5, u32 ask volumes.
    private mutating func exQuote(_ reader: inout TDXReader) throws(TDXShortBody) {
        let market = UInt16(try reader.u8())
        let code = try reader.code(9)
        try reader.skip(4)
        var prices: [Float] = []
        for _ in 0..<5 { prices.append(try reader.f32()) }
        var counts: [UInt32] = []
        for _ in 0..<9 { counts.append(try reader.u32()) }
        var bids: [Float] = [], bidVolumes: [UInt32] = [], asks: [Float] = [], askVolumes: [UInt32] = []
        for _ in 0..<5 { bids.append(try reader.f32()) }
        for _ in 0..<5 { bidVolumes.append(try reader.u32()) }
        for _ in 0..<5 { asks.append(try reader.f32()) }
        for _ in 0..<5 { askVolumes.append(try reader.u32()) }
        let current = TDXInstrument(market: market, code: code, family: .extended)
        instrument = current
        records = 1
        let names = ["pre_close", "open", "high", "low", "price"]
        fields.append(("market", .uint(UInt64(market))))
        fields.append(("code", .string(code)))
        for (name, value) in zip(names, prices) { fields.append((name, TDXNumber.float(value))) }
        let countNames = ["kaicang", "reserved1", "zongliang", "xianliang", "reserved2", "neipan", "waipan", "reserved3", "chicang"]
        for (name, value) in zip(countNames, counts) where !name.hasPrefix("reserved") { fields.append((name, .uint(UInt64(value)))) }
        fields.append(("bids", .array(zip(bids, bidVolumes).map { .array([TDXNumber.float($0), .uint(UInt64($1))]) })))
        fields.append(("asks", .array(zip(asks, askVolumes).map { .array([TDXNumber.float($0), .uint(UInt64($1))]) })))
        quoteCount += 1
        quotes.append(TDXQuote(
            instrument: current, price: TDXNumber.double(prices[4]), volume: Int64(counts[2]), lastClose: TDXNumber.double(prices[0]),
            amount: nil, bid: (TDXNumber.double(bids[0]), Int64(bidVolumes[0])), ask: (TDXNumber.double(asks[0]), Int64(askVolumes[0]))))
    }

    // MARK: - New generation (tdxrs `v2_client.py`; partly reversed)

    /// 0x122e: code echo at 2-8, 36-byte records from offset 33 up to the 120-byte name area at
    /// the end (u32 YYYYMMDD, u32 seconds, f32 open/high/low/close/amount/volume/float shares).
    private mutating func newGenerationBars(_ body: UnsafeRawBufferPointer) throws(TDXShortBody) {
        fields.append(("body_length", .uint(UInt64(body.count))))
        guard body.count >= 33 + 120 else { return }
        var echo = TDXReader(body, at: 2)
        let code = try echo.code(6)
        fields.append(("code", .string(code)))
        var name = TDXReader(body, at: body.count - 120)
        let text = try name.gbk(32)
        if !text.isEmpty { fields.append(("name", .string(text))) }
        var reader = TDXReader(body, at: 33)
        var rows: [FieldValue] = []
        var count = 0
        while reader.position + 36 <= body.count - 120 {
            count += 1
            let date = try reader.u32()
            let seconds = try reader.u32()
            var values: [FieldValue] = []
            for _ in 0..<7 { values.append(TDXNumber.float(try reader.f32())) }
            guard rows.count < rowLimit else { continue }
            rows.append(.array([.uint(UInt64(date)), .uint(UInt64(seconds))] + values))
        }
        records = count
        fields.append(("count", .uint(UInt64(count))))
        fields.append(("columns", .array(["date", "seconds", "open", "high", "low", "close", "amount", "vol", "float_shares"].map(FieldValue.string))))
        fields.append(("bars", .array(rows)))
        instrument = TDXInstrument(market: 0, code: code, family: .newGeneration)
    }

    /// 0x122d: 18-byte records from offset 37 (f32 price, f32 average, u32 volume, u32 reserved,
    /// u16 minutes since midnight) while the minute lies in the trading day.
    private mutating func newGenerationMinutes(_ body: UnsafeRawBufferPointer, request: TDXRequestContext?) throws(TDXShortBody) {
        fields.append(("body_length", .uint(UInt64(body.count))))
        var reader = TDXReader(body, at: min(37, body.count))
        var rows: [FieldValue] = []
        var count = 0
        while reader.remaining >= 18 {
            let price = try reader.f32()
            let average = try reader.f32()
            let volume = try reader.u32()
            try reader.skip(4)
            let minute = try reader.u16()
            guard minute >= 570 && minute <= 960 && price > 0 && price <= 1e6 else { break }
            count += 1
            guard rows.count < rowLimit else { continue }
            rows.append(.array([.string(Self.clock(Int(minute))), TDXNumber.float(price), TDXNumber.float(average), .uint(UInt64(volume))]))
        }
        records = count
        fields.append(("count", .uint(UInt64(count))))
        fields.append(("columns", .array(["time", "price", "avg_price", "vol"].map(FieldValue.string))))
        fields.append(("points", .array(rows)))
        if let code = request?.code { instrument = TDXInstrument(market: request?.market ?? 0, code: code, family: .newGeneration) }
    }

    // MARK: - Text

    static func date(_ year: Int, _ month: Int, _ day: Int) -> String {
        "\(year)-\(twoDigits(month))-\(twoDigits(day))"
    }

    static func clock(_ minutes: Int) -> String {
        "\(twoDigits(minutes / 60)):\(twoDigits(minutes % 60))"
    }

    private static func twoDigits(_ value: Int) -> String {
        value >= 0 && value < 10 ? "0\(value)" : "\(value)"
    }
}
