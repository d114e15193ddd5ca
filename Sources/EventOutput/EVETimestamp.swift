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
        bytes.append(UInt8(ascii: "\""))
        appendTimestampText(value)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes `"key":"2026-11-22T04:27:00.123456+0000"`.
    package mutating func field(_ key: StaticString, _ value: Timestamp) {
        self.key(key)
        timestamp(value)
    }

    /// Appends the unquoted timestamp text.
    mutating func appendTimestampText(_ value: Timestamp) {
        let micros = EVETimestamp.floorDivide(value.nanoseconds, 1000).quotient
        let (seconds, microFraction) = EVETimestamp.floorDivide(micros, 1_000_000)
        let (days, secondOfDay) = EVETimestamp.floorDivide(seconds, 86_400)
        let (year, month, day) = EVETimestamp.civilDate(daysSinceEpoch: days)
        if year < 0 { bytes.append(UInt8(ascii: "-")) }
        appendPadded(Swift.abs(year), width: 4)  // Int64 nanoseconds span years 1677...2262
        bytes.append(UInt8(ascii: "-"))
        appendPadded(month, width: 2)
        bytes.append(UInt8(ascii: "-"))
        appendPadded(day, width: 2)
        bytes.append(UInt8(ascii: "T"))
        appendPadded(secondOfDay / 3600, width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay / 60 % 60, width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay % 60, width: 2)
        bytes.append(UInt8(ascii: "."))
        appendPadded(microFraction, width: 6)
        appendRaw("+0000")
    }
}
