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

    /// Appends the timestamp text, in quotes when `quoted`.
    mutating func appendTimestampText(_ value: Timestamp, quoted: Bool = false) {
        let micros = EVETimestamp.floorDivide(value.nanoseconds, 1000).quotient
        let (seconds, microFraction) = EVETimestamp.floorDivide(micros, 1_000_000)
        let (days, secondOfDay) = EVETimestamp.floorDivide(seconds, 86_400)
        let (year, month, day) = EVETimestamp.civilDate(daysSinceEpoch: days)
        // The whole text in one copy (Int64 nanoseconds span years 1677...2262: four digits).
        write(upTo: EVETimestamp.length + 8) { out in
            var at = 0
            if quoted {
                out[0] = UInt8(ascii: "\"")
                at = 1
            }
            if year < 0 {
                out[at] = UInt8(ascii: "-")
                at += 1
            }
            func put(_ value: Int64, _ width: Int, then separator: UInt8) {
                at += Self.padded(UInt64(value), width: width, into: out + at)
                out[at] = separator
                at += 1
            }
            put(Swift.abs(year), 4, then: UInt8(ascii: "-"))
            put(month, 2, then: UInt8(ascii: "-"))
            put(day, 2, then: UInt8(ascii: "T"))
            put(secondOfDay / 3600, 2, then: UInt8(ascii: ":"))
            put(secondOfDay / 60 % 60, 2, then: UInt8(ascii: ":"))
            put(secondOfDay % 60, 2, then: UInt8(ascii: "."))
            put(microFraction, 6, then: UInt8(ascii: "+"))
            for _ in 0..<4 {
                out[at] = UInt8(ascii: "0")
                at += 1
            }
            if quoted {
                out[at] = UInt8(ascii: "\"")
                at += 1
            }
            return at
        }
    }
}
