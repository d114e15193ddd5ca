import ProtocolKit

/// A security a request names or a reply quotes: its market byte and code.
struct TDXInstrument: Equatable {
    var market: UInt16
    var code: String
    var family: TDXFamily

    /// The exchange a standard-market byte stands for (0 Shenzhen, 1 Shanghai, 2 Beijing; notes
    /// section 1.4), as the exchanges' own abbreviations.
    static func exchange(_ market: UInt16) -> String? {
        switch market {
        case 0: "SZSE"
        case 1: "SSE"
        case 2: "BSE"
        default: nil
        }
    }

    /// The code qualified by its market where one code is used on two exchanges (000001 is Ping An
    /// Bank in Shenzhen and the SSE Composite in Shanghai): `000001.SZ`, `600519.SH`, `430047.BJ`;
    /// extended-market and new-generation codes as they are, other markets as `code.M<n>`.
    var qualified: String {
        guard family != .extended else { return code }
        switch market {
        case 0: return code + ".SZ"
        case 1: return code + ".SH"
        case 2: return code + ".BJ"
        default: return code + ".M\(market)"
        }
    }
}

/// One quote of a security-quotes reply (0x053e, 0x054c), an extended-market quote (0x23fa), or
/// the new generation's bars echo; prices in currency units.
struct TDXQuote {
    var instrument: TDXInstrument
    var price: Double
    var volume: Int64
    var lastClose: Double?
    var amount: Double?
    var bid: (price: Double, volume: Int64)?
    var ask: (price: Double, volume: Int64)?
}

/// Float32 values as what the sender meant: whole numbers exactly (amounts: 167172432), others as
/// the shortest decimal that reads back as the same float32 (11.52, not 11.520000457763672).
enum TDXNumber {
    static func float(_ value: Float) -> FieldValue {
        guard value.isFinite else { return .null }
        return .double(double(value))
    }

    static func double(_ value: Float) -> Double {
        guard value.isFinite, value.rounded() != value else { return Double(value) }
        return Double(value.description) ?? Double(value)
    }

    /// `value` hundredths (or `scale`ths) of a currency unit.
    static func price(_ value: Int64, scale: Double = 100) -> FieldValue {
        .double(Double(value) / scale)
    }
}

/// Codes already read, with their strings: a quotes request names tens of codes, mostly the same
/// ones request after request, and making each code's two strings (the code, and the code
/// qualified by its market) cost more than the rest of the request. Direct-mapped, a fixed 8,192
/// entries (a code takes the slot its bits pick, replacing what was there), shared by the sessions
/// of one decoder; not thread-safe, like the decoder's inflater (a decoder serves one pipeline
/// thread).
final class TDXCodeCache: @unchecked Sendable {
    /// 8,192 slots: on the benchmark capture (about 2,400 codes in use) 93 % of codes were found,
    /// against 78 % with 2,048.
    private static let slotBits = 13
    private static let slots = 1 << slotBits
    /// Per slot: the market byte and six code bytes (0: empty; a cached code has no zero byte),
    /// and the two strings.
    private var keys = [UInt64](repeating: 0, count: slots)
    private var codes = [String](repeating: "", count: slots)
    private var qualified = [String](repeating: "", count: slots)

    /// The standard-market security with market byte `market` and the six code bytes at the
    /// reader's position (the reader moves past them), and its qualified code. Codes of printable
    /// ASCII come from the cache; others are read as `TDXReader.code` reads them.
    func security(market: UInt8, _ reader: inout TDXReader) throws(TDXShortBody) -> (TDXInstrument, qualified: String) {
        let bytes = try reader.take(6)
        var key = UInt64(market) << 48
        var printable = true
        for index in 0..<6 {
            let byte = bytes[index]
            printable = printable && byte > 0x20 && byte < 0x7F
            key |= UInt64(byte) << (8 * UInt64(index))
        }
        guard printable else { return Self.security(market: market, code: bytes) }
        let slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - Self.slotBits))
        if keys[slot] == key {
            return (TDXInstrument(market: UInt16(market), code: codes[slot], family: .standard), qualified[slot])
        }
        let (instrument, name) = Self.security(market: market, code: bytes)
        keys[slot] = key
        codes[slot] = instrument.code
        qualified[slot] = name
        return (instrument, name)
    }

    /// The same security made from its code bytes, without the cache.
    static func security(market: UInt8, code bytes: UnsafeRawBufferPointer) -> (TDXInstrument, qualified: String) {
        let instrument = TDXInstrument(market: UInt16(market), code: TDXReader.text(bytes, as: .ascii), family: .standard)
        return (instrument, instrument.qualified)
    }
}
