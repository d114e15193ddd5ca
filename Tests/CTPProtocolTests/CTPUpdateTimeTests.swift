import Testing

@testable import CTPProtocol

/// The quote's `update_time` is written without interpolation for the usual values; every value
/// must read as the interpolated form did.
@Test func updateTimeMatchesInterpolation() {
    for time in ["09:30:00", "", "23:59:59", "9:3:0", "十点", "12345678901", "123456789012", "HH:MM:SS:long text"] {
        for millisecond: Int64 in [0, 1, 9, 10, 99, 100, 500, 999, 1000, 1001, 9999, 12345, -1, -5, -999, -1000, -1001, .max - 1000] {
            let expected = "\(time).\(String(millisecond + 1000).dropFirst())"
            #expect(CTPEventBuilder.updateTime(time, millisecond: millisecond) == expected, "\(time) \(millisecond)")
        }
    }
}
