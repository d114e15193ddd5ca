/// Where one FIX message sits in a buffer, as framing found it.
///
/// ```
///  8=FIX.4.4␁9=65␁35=A␁ ... ␁10=123␁
///  ^start     ^bodyStart   ^trailerStart  ^end
/// ```
/// `trailerStart` is the offset of `10=`; envelopes without a trailer (FIXCOMP, proprietary
/// tokens such as Interactive Brokers' `8=O`) have `trailerStart == end`.
package struct FIXFrame: Sendable, Equatable {
    /// Offset of `8=`.
    package var start: Int
    /// Offset of the BeginString value.
    package var beginStringStart: Int
    /// Length of the BeginString value.
    package var beginStringLength: Int
    /// The value of BodyLength (9) as written.
    package var bodyLength: Int
    /// Offset of the first byte after `9=...␁`.
    package var bodyStart: Int
    /// Offset of `10=` (or `end` when there is no trailer).
    package var trailerStart: Int
    /// Offset one past the last byte of the message.
    package var end: Int
    /// Whether BodyLength pointed exactly at the trailer.
    package var bodyLengthValid: Bool
    /// The CheckSum value written, if it is three digits or fewer and numeric.
    package var checksumWritten: Int?
    /// Whether the CheckSum field has exactly three digits.
    package var checksumThreeDigits: Bool
    /// The mod-256 sum of the bytes before `10=`.
    package var checksumComputed: Int

    /// Whether the message has a CheckSum trailer.
    package var hasTrailer: Bool { trailerStart < end }

    /// Whether the written CheckSum matches the computed one (true when there is no trailer).
    package var checksumValid: Bool { !hasTrailer || checksumWritten == checksumComputed }
}

/// What kind of envelope a BeginString announces.
package enum FIXEnvelope: Sendable, Equatable {
    /// FIX.4.x, FIXT.1.1, STEP.x: tag=value with a CheckSum trailer.
    case tagValue
    /// `FIXCOMP`: BodyLength bytes of zlib data, no trailer.
    case compressed
    /// Another token (for example Interactive Brokers' `O`): BodyLength bytes, shown raw.
    case proprietary

    /// The envelope of a BeginString value.
    package static func of(_ beginString: UnsafeRawBufferPointer) -> FIXEnvelope {
        let count = beginString.count
        if count >= 3 && beginString[0] == UInt8(ascii: "F") && beginString[1] == UInt8(ascii: "I") && beginString[2] == UInt8(ascii: "X") {
            if count == 7 && beginString[3] == UInt8(ascii: "C") && beginString[4] == UInt8(ascii: "O")
                && beginString[5] == UInt8(ascii: "M") && beginString[6] == UInt8(ascii: "P")
            {
                return .compressed
            }
            return .tagValue
        }
        if count >= 4 && beginString[0] == UInt8(ascii: "S") && beginString[1] == UInt8(ascii: "T")
            && beginString[2] == UInt8(ascii: "E") && beginString[3] == UInt8(ascii: "P")
        {
            return .tagValue
        }
        return .proprietary
    }
}
