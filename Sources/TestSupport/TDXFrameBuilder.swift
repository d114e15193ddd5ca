/// Writes TDX frames for tests and benchmark captures, independently of the decoder (notes
/// section 1; the layouts of `Scripts/captures/tdx/tdx_wire.py`).
package enum TDXFrameBuilder {
    /// A request: flag, sequence id (little-endian), packet type, len1 = len2 = 2 + body, command, body.
    package static func request(flag: UInt8 = 0x0C, sequence: UInt32, type: UInt8 = 1, command: UInt16, body: [UInt8] = []) -> [UInt8] {
        let length = UInt16(2 + body.count)
        return [flag] + le32(sequence) + [type] + le16(length) + le16(length) + le16(command) + body
    }

    /// A reply with `body` (compressed with zlib when `compress`); the sizes can be overridden to lie.
    package static func reply(
        flag: UInt8 = 0x0C, sequence: UInt32, command: UInt16, body: [UInt8], compress: Bool = false, byte9: UInt8 = 0,
        wireSize: UInt16? = nil, rawSize: UInt16? = nil, flagOverride: UInt8? = nil
    ) -> [UInt8] {
        let wire = compress ? Zlib.compress(body) : body
        let echo = flagOverride ?? (compress ? flag | 0x10 : flag)
        return [0xB1, 0xCB, 0x74, 0x00, echo] + le32(sequence) + [byte9] + le16(command)
            + le16(wireSize ?? UInt16(wire.count)) + le16(rawSize ?? UInt16(body.count)) + wire
    }

    /// pytdx's three set-up frames (notes section 1.5).
    package static let pytdxSetup: [[UInt8]] = [
        hex("0c 02 18 93 00 01 03 00 03 00 0d 00 01"),
        hex("0c 02 18 94 00 01 03 00 03 00 0d 00 02"),
        hex("0c 03 18 99 00 01 20 00 20 00 db 0f d5 d0 c9 cc d6 a4 a8 af 00 00 00 8f c2 25 40 13 00 00 d5 00 c9 cc bd f0 d7 ea 00 00 00 02"),
    ]

    /// pytdx's quotes request for `codes` (market, 6-digit code): sequence `01 20 63 00`, type 2.
    package static func quotesRequest(_ codes: [(UInt8, String)], sequence: UInt32 = 0x0063_2001, command: UInt16 = 0x053E) -> [UInt8] {
        var body: [UInt8] = [0x05, 0x00, 0, 0, 0, 0, 0, 0] + le16(UInt16(codes.count))
        for (market, code) in codes { body += [market] + Array(code.utf8.prefix(6)) }
        return request(sequence: sequence, type: 2, command: command, body: body)
    }

    /// One security of a quotes reply, in 1/100 currency units.
    package struct Quote {
        package var market: UInt8
        package var code: String
        package var price: Int64
        package var lastClose: Int64
        package var open: Int64
        package var high: Int64
        package var low: Int64
        package var volume: Int64
        package var amount: Float
        package var bids: [(Int64, Int64)]
        package var asks: [(Int64, Int64)]
        package var active: UInt16 = 1

        package init(
            market: UInt8, code: String, price: Int64, lastClose: Int64, open: Int64, high: Int64, low: Int64, volume: Int64,
            amount: Float, bids: [(Int64, Int64)], asks: [(Int64, Int64)]
        ) {
            self.market = market
            self.code = code
            self.price = price
            self.lastClose = lastClose
            self.open = open
            self.high = high
            self.low = low
            self.volume = volume
            self.amount = amount
            self.bids = bids
            self.asks = asks
        }
    }

    /// A 0x053e reply body: `b1 cb`, u16 n, then each security's varint layout with five levels.
    package static func quotesBody(_ quotes: [Quote]) -> [UInt8] {
        var out: [UInt8] = [0xB1, 0xCB] + le16(UInt16(quotes.count))
        for quote in quotes { appendQuote(quote, to: &out) }
        return out
    }

    /// Appends one security of a 0x053e reply.
    package static func appendQuote(_ quote: Quote, to out: inout [UInt8]) {
        out.append(quote.market)
        out += Array(quote.code.utf8.prefix(6))
        out += le16(quote.active)
        varint(quote.price, into: &out)
        for value in [quote.lastClose, quote.open, quote.high, quote.low] { varint(value - quote.price, into: &out) }
        varint(14_300_500, into: &out)
        varint(-quote.price, into: &out)
        varint(quote.volume, into: &out)
        varint(17, into: &out)
        out += le32(quote.amount.bitPattern)
        varint(quote.volume / 2, into: &out)
        varint(quote.volume - quote.volume / 2, into: &out)
        varint(0, into: &out)
        varint(3, into: &out)
        for level in 0..<5 {
            let bid = level < quote.bids.count ? quote.bids[level] : (quote.price, 0)
            let ask = level < quote.asks.count ? quote.asks[level] : (quote.price, 0)
            varint(bid.0 - quote.price, into: &out)
            varint(ask.0 - quote.price, into: &out)
            varint(bid.1, into: &out)
            varint(ask.1, into: &out)
        }
        out += le16(0x1234)
        for value: Int64 in [1, -2, 3, -4] { varint(value, into: &out) }
        out += le16(UInt16(bitPattern: -123))
        out += le16(quote.active)
    }

    /// TDX's variable-length signed integer (notes section 1.4).
    package static func varint(_ value: Int64, into out: inout [UInt8]) {
        var magnitude = value.magnitude
        var first = UInt8(magnitude & 0x3F)
        if value < 0 { first |= 0x40 }
        magnitude >>= 6
        if magnitude == 0 {
            out.append(first)
            return
        }
        out.append(first | 0x80)
        while true {
            let group = UInt8(magnitude & 0x7F)
            magnitude >>= 7
            if magnitude == 0 {
                out.append(group)
                return
            }
            out.append(group | 0x80)
        }
    }

    package static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }

    package static func le32(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }

    /// Bytes from hex text with spaces (`"0c 02 18"`).
    package static func hex(_ text: String) -> [UInt8] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).flatMap { group -> [UInt8] in
            var bytes: [UInt8] = []
            var index = group.startIndex
            while index < group.endIndex {
                let next = group.index(index, offsetBy: 2, limitedBy: group.endIndex) ?? group.endIndex
                if let byte = UInt8(group[index..<next], radix: 16) { bytes.append(byte) }
                index = next
            }
            return bytes
        }
    }
}
