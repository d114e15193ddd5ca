import EventOutput
import PacketCapture
import Testing

@Suite("EVE timestamps")
struct EVETimestampTests {
    private func text(seconds: Int64, nanos: Int64 = 0) -> String {
        EVETimestamp.format(Timestamp(seconds: seconds, nanoseconds: nanos))
    }

    @Test("known dates")
    func knownDates() {
        #expect(text(seconds: 0) == "1970-01-01T00:00:00.000000+0000")
        #expect(text(seconds: 1_709_210_096, nanos: 789_012_000) == "2024-02-29T12:34:56.789012+0000")
        #expect(text(seconds: 1_795_321_620, nanos: 123_456_000) == "2026-11-22T04:27:00.123456+0000")
        #expect(text(seconds: 951_782_400) == "2000-02-29T00:00:00.000000+0000")
        #expect(text(seconds: 1_709_251_199, nanos: 999_999_999) == "2024-02-29T23:59:59.999999+0000")
        #expect(text(seconds: 1_709_251_200) == "2024-03-01T00:00:00.000000+0000")
        #expect(EVETimestamp.format(Timestamp(nanoseconds: 1_795_321_620_123_456_000)).utf8.count == EVETimestamp.length)
    }

    @Test("nanoseconds are floored to microseconds")
    func flooring() {
        #expect(text(seconds: 0, nanos: 999) == "1970-01-01T00:00:00.000000+0000")
        #expect(text(seconds: 0, nanos: 1_000) == "1970-01-01T00:00:00.000001+0000")
        #expect(text(seconds: 0, nanos: 123_456_789) == "1970-01-01T00:00:00.123456+0000")
        #expect(text(seconds: 59, nanos: 999_999_999) == "1970-01-01T00:00:59.999999+0000")
    }

    @Test("before 1970")
    func negative() {
        #expect(EVETimestamp.format(Timestamp(nanoseconds: -1)) == "1969-12-31T23:59:59.999999+0000")
        #expect(EVETimestamp.format(Timestamp(nanoseconds: -1_000)) == "1969-12-31T23:59:59.999999+0000")
        #expect(EVETimestamp.format(Timestamp(nanoseconds: -1_001)) == "1969-12-31T23:59:59.999998+0000")
        #expect(text(seconds: -14_182_940) == "1969-07-20T20:17:40.000000+0000")
        #expect(text(seconds: -2_203_891_200) == "1900-03-01T00:00:00.000000+0000")
    }

    @Test("the ends of Int64 nanoseconds")
    func extremes() {
        #expect(EVETimestamp.format(Timestamp(nanoseconds: .max)) == "2262-04-11T23:47:16.854775+0000")
        #expect(EVETimestamp.format(Timestamp(nanoseconds: .min)) == "1677-09-21T00:12:43.145224+0000")
    }

    @Test("civil dates agree with day-by-day counting, 1677 to 2263")
    func civilDateSweep() {
        func isLeap(_ y: Int64) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
        func monthLength(_ y: Int64, _ m: Int64) -> Int64 {
            [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][Int(m - 1)]
        }
        // Count back from 1970-01-01 (day 0) to 1677-01-01, then forward day by day.
        var (y, m, d): (Int64, Int64, Int64) = (1970, 1, 1)
        var day: Int64 = 0
        while y > 1677 || m > 1 || d > 1 {  // walk back to 1677-01-01
            day -= 1
            d -= 1
            if d == 0 {
                m -= 1
                if m == 0 { m = 12; y -= 1 }
                d = monthLength(y, m)
            }
        }
        var mismatches = 0
        while y < 2263 {
            let civil = EVETimestamp.civilDate(daysSinceEpoch: day)
            if civil != (y, m, d) { mismatches += 1 }
            day += 1
            d += 1
            if d > monthLength(y, m) {
                d = 1
                m += 1
                if m == 13 { m = 1; y += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    @Test("one writer gives every timestamp the text a fresh writer gives it, in any order, across minutes, days and years")
    func oneWriterManyTimes() {
        var times: [Int64] = [0, -1, -1_000, 59_999_999_999, 60_000_000_000, .max, .min, 951_782_399_999_999_999]
        var state: UInt64 = 7
        for _ in 0..<3000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let base = times[Int(state >> 33) % times.count]
            // Near an earlier time (the same minute, the next, a day or a year off) or anywhere.
            let step: Int64 = [1, 999, 1_000_000, 59_000_000_000, 86_400_000_000_000, 31_536_000_000_000_000][Int(state >> 20) % 6]
            let sign: Int64 = state & 1 == 0 ? 1 : -1
            let (near, overflow) = base.addingReportingOverflow(sign * step * Int64(state >> 40 & 3))
            times.append(state & 8 == 0 && !overflow ? near : Int64(bitPattern: state))
        }
        var writer = JSONWriter()
        for time in times {
            writer.reset()
            writer.timestamp(Timestamp(nanoseconds: time))
            let fresh = "\"" + EVETimestamp.format(Timestamp(nanoseconds: time)) + "\""
            #expect(String(decoding: writer.bytes, as: UTF8.self) == fresh, "\(time)")
        }
    }

    @Test("as a JSON field")
    func field() {
        let output = render { $0.beginObject(); $0.field("timestamp", Timestamp(nanoseconds: 0)); $0.endObject() }
        #expect(output == #"{"timestamp":"1970-01-01T00:00:00.000000+0000"}"#)
    }
}
