import PacketCapture

/// Suricata's EVE timestamp text: `2026-11-22T04:27:00.123456+0000` (UTC, microseconds).
///
/// The civil date is computed by hand (Howard Hinnant's days-from-civil inverse), with floor
/// division throughout so that times before 1970 come out right; nanoseconds are floored to
/// microseconds, never rounded (a record never appears later than its packet).
package enum EVETimestamp {
    /// The length of the formatted text in bytes (for years 0...9999).
    package static let length = 31

    /// The timestamp as text.
    package static func format(_ timestamp: Timestamp) -> String {
        var writer = JSONWriter(capacity: 40)
        writer.appendTimestampText(timestamp)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// `value / divisor` rounded toward negative infinity, and the non-negative remainder.
    @inline(__always)
    static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value / divisor
        let remainder = value % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    /// The proleptic Gregorian (year, month 1...12, day 1...31) of a day count since 1970-01-01.
    package static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468  // days since 0000-03-01
        let (era, dayOfEra) = floorDivide(shifted, 146_097)
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365  // 0...399
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // 0...365, from March 1
        let monthFromMarch = (5 * dayOfYear + 2) / 153  // 0...11
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}

extension JSONWriter {
    /// Writes a timestamp value in Suricata's format, quoted.
    package mutating func timestamp(_ value: Timestamp) {
        beforeValue()
        appendTimestampText(value, quoted: true)
    }

    /// Writes `"key":"2026-11-22T04:27:00.123456+0000"`.
    package mutating func field(_ key: StaticString, _ value: Timestamp) {
        self.key(key)
        timestamp(value)
    }

    /// Appends the timestamp text, in quotes when `quoted`. The date, hour and minute are
    /// formatted once a minute (`EVETimestamp.Minute`): a run's records come in time order, and
    /// the flow records take two timestamps each.
    mutating func appendTimestampText(_ value: Timestamp, quoted: Bool = false) {
        var minute = timestampMinute
        // The whole text in one copy (Int64 nanoseconds span years 1677...2262: four digits).
        write(upTo: EVETimestamp.length + 8) { out in Self.timestampText(value, minute: &minute, quoted: quoted, into: out) }
        timestampMinute = minute
    }

    /// Writes the text of `value` at `out` (at most `EVETimestamp.length + 8` bytes), in quotes
    /// when `quoted`, taking the text up to its seconds from `minute` (made anew when `value` falls
    /// in another minute); returns how many bytes.
    @inline(__always)
    static func timestampText(_ value: Timestamp, minute cache: inout EVETimestamp.Minute, quoted: Bool, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let micros = EVETimestamp.floorDivide(value.nanoseconds, 1000).quotient
        let (seconds, microFraction) = EVETimestamp.floorDivide(micros, 1_000_000)
        let (minute, second) = EVETimestamp.floorDivide(seconds, 60)
        if minute != cache.minute { cache = EVETimestamp.Minute(minute) }
        var at = 0
        if quoted {
            out[0] = UInt8(ascii: "\"")
            at = 1
        }
        let length = cache.length
        withUnsafeBytes(of: cache.text) { text in
            (out + at).initialize(from: text.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self), count: length)
        }
        at += length
        at += padded(UInt64(second), width: 2, into: out + at)
        out[at] = UInt8(ascii: ".")
        at += 1
        at += padded(UInt64(microFraction), width: 6, into: out + at)
        out[at] = UInt8(ascii: "+")
        for offset in 1...4 { out[at + offset] = UInt8(ascii: "0") }
        at += 5
        if quoted {
            out[at] = UInt8(ascii: "\"")
            at += 1
        }
        return at
    }
}

extension EVETimestamp {
    /// The text of a timestamp up to its seconds (`2026-11-22T04:27:`, with a `-` before a year
    /// before 0) for one minute since the epoch.
    struct Minute: Sendable {
        /// Minutes since 1970-01-01T00:00 (`Int64.min`: none yet).
        private(set) var minute = Int64.min
        /// The text, `length` bytes of it.
        private(set) var text: (UInt64, UInt64, UInt64) = (0, 0, 0)
        private(set) var length = 0

        /// No minute.
        init() {}

        /// The text of `minute`.
        init(_ minute: Int64) {
            self.minute = minute
            let (days, minuteOfDay) = EVETimestamp.floorDivide(minute, 1440)
            let (year, month, day) = EVETimestamp.civilDate(daysSinceEpoch: days)
            length = withUnsafeMutableBytes(of: &text) { raw in
                let out = raw.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self)
                var at = 0
                if year < 0 {
                    out[at] = UInt8(ascii: "-")
                    at += 1
                }
                func put(_ value: Int64, _ width: Int, then separator: UInt8) {
                    at += JSONWriter.padded(UInt64(value), width: width, into: out + at)
                    out[at] = separator
                    at += 1
                }
                put(Swift.abs(year), 4, then: UInt8(ascii: "-"))
                put(month, 2, then: UInt8(ascii: "-"))
                put(day, 2, then: UInt8(ascii: "T"))
                put(minuteOfDay / 60, 2, then: UInt8(ascii: ":"))
                put(minuteOfDay % 60, 2, then: UInt8(ascii: ":"))
                return at
            }
        }
    }
}
