/// A point in packet time: nanoseconds since the Unix epoch, as the capture recorded it.
///
/// TapSentry never reads the wall clock for anything that reaches the output; every timeout and
/// window is measured in this time, so replaying a capture gives the same output every time.
@usableFromInline
package struct Timestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    @usableFromInline package var nanoseconds: Int64

    /// A timestamp from nanoseconds since the epoch.
    @inlinable
    package init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// A timestamp from whole seconds and a nanosecond fraction.
    package init(seconds: Int64, nanoseconds fraction: Int64) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ fraction
    }

    /// The earliest representable time; used as "never".
    package static let zero = Timestamp(nanoseconds: 0)

    /// Whole seconds since the epoch (floor).
    package var seconds: Int64 {
        nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
    }

    /// The nanoseconds past `seconds`, in 0..<1_000_000_000.
    package var fraction: Int64 { nanoseconds - seconds * 1_000_000_000 }

    /// This time moved by a duration in nanoseconds.
    package func adding(nanoseconds delta: Int64) -> Timestamp {
        Timestamp(nanoseconds: nanoseconds &+ delta)
    }

    // All four, not `<` alone: the others would come from `Comparable`'s generic defaults, called
    // through the conformance from other modules (per packet, in a worker's flow-table clock).
    // Inlinable, with the type `@usableFromInline` (see `IPAddress`): otherwise each is a call.
    @inlinable package static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
    @inlinable package static func <= (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds <= rhs.nanoseconds }
    @inlinable package static func > (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds > rhs.nanoseconds }
    @inlinable package static func >= (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds >= rhs.nanoseconds }

    @usableFromInline package var description: String { "\(seconds).\(String(fraction).leftPadded(to: 9))" }
}

extension String {
    /// This string with leading zeros up to `width` characters.
    package func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
