/// A length of packet time written in a rule: `500ms`, `1s`, `10m`, `1h`, `1d`, or a plain number
/// of seconds.
package struct RuleDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The length in nanoseconds.
    package var nanoseconds: Int64

    /// A duration of `nanoseconds`.
    package init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// A duration of whole seconds.
    package static func seconds(_ seconds: Int64) -> RuleDuration { RuleDuration(nanoseconds: seconds * 1_000_000_000) }

    private static let units: [(String, Int64)] = [
        ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000), ("d", 86_400_000_000_000),
    ]

    /// Parses `text`; nil when it is not a number followed by one of ms, s, m, h, d (or nothing,
    /// meaning seconds), or not positive.
    package init?(parsing text: String) {
        var number = Substring(text)
        var scale: Int64 = 1_000_000_000
        // "ms" before "m" and "s".
        for (suffix, unit) in Self.units where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            scale = unit
            break
        }
        guard let value = Double(number), value > 0, value.isFinite, value * Double(scale) < 9e18 else { return nil }
        nanoseconds = Int64((value * Double(scale)).rounded())
        guard nanoseconds > 0 else { return nil }
    }

    /// The shortest exact spelling: `1d`, `90m`, `1500ms`.
    package var description: String {
        for (suffix, unit) in Self.units.reversed() where nanoseconds % unit == 0 {
            return "\(nanoseconds / unit)\(suffix)"
        }
        return "\(Double(nanoseconds) / 1e9)s"
    }

    /// The length in seconds (for the JSON output).
    package var seconds: Double { Double(nanoseconds) / 1e9 }

    package static func < (lhs: RuleDuration, rhs: RuleDuration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}
