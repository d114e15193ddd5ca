/// Where one direction of a stream stands against its decoder's framing: in step, or looking for
/// the next frame after junk or a gap; and the bytes skipped since the last frame, until they are
/// reported.
///
/// Skipping after a gap (or at the start of a stream picked up mid-way) is expected: those bytes
/// are only counted. Skipping in a stream that was in step is news: a junk anomaly.
package struct FrameSync: Sendable {
    /// Bytes skipped since the last frame, not yet reported.
    package var junk = 0
    /// Whether the stream is resynchronising after a gap (skipping is then expected).
    package var afterGap = false
    /// Whether frames are looked for by pattern and checked strictly (after junk or a gap).
    package var resyncing = false

    /// In step; or, `midStream`, picked up anywhere in a frame, so that the first frame is looked
    /// for strictly, as after a gap.
    package init(midStream: Bool = false) {
        if midStream { gap() }
    }

    /// A hole in the stream: the next frame is looked for strictly, and skipping is expected.
    package mutating func gap() {
        afterGap = true
        resyncing = true
    }

    /// What a framing says of the bytes where a frame may start.
    package enum Verdict {
        /// A frame starts here.
        case frame
        /// Not known until more bytes come.
        case needMore
        /// No frame starts here.
        case invalid
    }

    /// While resynchronising: skips (as junk) to the next place where `candidate` finds a frame's
    /// pattern, from `position` on, and `judge` accepts a frame there. Returns nil when the stream
    /// is in step at `position`, or else the bytes of `view` used until more come. With `final`
    /// no more will come; otherwise the last bytes that could begin a pattern of `patternLength`
    /// are kept.
    @inline(__always)
    package mutating func resync(
        _ view: UnsafeRawBufferPointer, at position: inout Int, final: Bool, patternLength: Int,
        candidate: (UnsafeRawBufferPointer, Int) -> Int?, judge: (UnsafeRawBufferPointer, Int) -> Verdict
    ) -> Int? {
        let count = view.count
        while resyncing {
            guard position < count, let found = candidate(view, position) else {
                let keep = final ? 0 : min(count - position, patternLength - 1)
                junk += count - keep - position
                return count - keep
            }
            junk += found - position
            position = found
            switch judge(view, position) {
            case .frame:
                resyncing = false
            case .needMore where !final:
                return position
            case .needMore, .invalid:
                junk += 1
                position += 1
            }
        }
        return nil
    }

    /// A header where a frame should start that is not one: the stream resynchronises from the
    /// next byte, and this one is junk. Returns whether it is news (the stream was in step, with
    /// nothing skipped) rather than part of the junk already being skipped.
    package mutating func badHeader() -> Bool {
        let news = !afterGap && junk == 0
        resyncing = true
        junk += 1
        return news
    }

    /// The bytes skipped since the last frame, taken for reporting (nil: none); `expected` when
    /// they followed a gap, so that they are only counted.
    package mutating func takeJunk() -> (bytes: Int, expected: Bool)? {
        guard junk > 0 else { return nil }
        defer { junk = 0 }
        return (junk, afterGap)
    }
}
