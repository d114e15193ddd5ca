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

extension TDXInstrument {
    /// The qualified code (`qualified`) of the standard-market security with market byte
    /// `market` and code bytes `bytes`: what a quotes request's event lists, tens of codes per
    /// request. Six printable bytes on an exchange market (nearly all codes) are made into the
    /// string directly. (A cache of codes read before cost more: its lookups missed the
    /// processor's caches.)
    static func qualifiedSecurity(market: UInt8, code bytes: UnsafeRawBufferPointer) -> String {
        guard market < 3, bytes.count == 6, !bytes.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) else {
            return TDXInstrument(market: UInt16(market), code: TDXReader.text(bytes, as: .ascii), family: .standard).qualified
        }
        // Nine bytes: short enough to be kept in the string itself, nothing allocated.
        var qualified: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &qualified) { buffer in
            buffer.copyMemory(from: bytes)
            buffer[6] = UInt8(ascii: ".")
            buffer[7] = market == 2 ? UInt8(ascii: "B") : UInt8(ascii: "S")
            buffer[8] = market == 0 ? UInt8(ascii: "Z") : market == 1 ? UInt8(ascii: "H") : UInt8(ascii: "J")
        }
        return withUnsafeBytes(of: &qualified) { String(utf8Bytes: UnsafeRawBufferPointer(rebasing: $0[0..<9])) }
    }
}
