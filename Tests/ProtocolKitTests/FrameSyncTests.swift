import ProtocolKit
import Testing

/// The framing state the CTP, TDX and FIX sessions share: when skipped bytes are news, and how a
/// resynchronising stream finds its next frame.
@Suite struct FrameSyncTests {
    /// A framing whose frames start with "FR" (pattern length 2) and are whole once 4 bytes are there.
    static func resync(_ text: String, _ sync: inout FrameSync, final: Bool) -> (used: Int?, position: Int) {
        var position = 0
        let bytes = Array(text.utf8)
        let used = bytes.withUnsafeBytes { view in
            sync.resync(
                view, at: &position, final: final, patternLength: 2,
                candidate: { view, from in
                    var at = from
                    while at < view.count {
                        if view[at] == UInt8(ascii: "F") && (at + 1 == view.count || view[at + 1] == UInt8(ascii: "R")) { return at }
                        at += 1
                    }
                    return nil
                },
                judge: { view, at in
                    guard view.count - at >= 4 else { return .needMore }
                    return view[at + 2] == UInt8(ascii: "!") ? .frame : .invalid
                })
        }
        return (used, position)
    }

    @Test("in step, a bad header is news; after a gap or amid junk it is part of the junk")
    func badHeaders() {
        var inStep = FrameSync()
        let first = inStep.badHeader()
        let second = inStep.badHeader()
        #expect(first)
        #expect(inStep.resyncing)
        #expect(!second)

        var afterGap = FrameSync()
        afterGap.gap()
        let afterGapNews = afterGap.badHeader()
        #expect(!afterGapNews)

        var midStream = FrameSync(midStream: true)
        #expect(midStream.resyncing && midStream.afterGap)
        let midStreamNews = midStream.badHeader()
        #expect(!midStreamNews)
    }

    @Test("junk is taken once, and is expected only after a gap")
    func junk() {
        var sync = FrameSync()
        let none = sync.takeJunk()
        #expect(none == nil)
        _ = sync.badHeader()
        let taken = sync.takeJunk()
        #expect(taken?.bytes == 1 && taken?.expected == false)
        let again = sync.takeJunk()
        #expect(again == nil)

        sync.gap()
        _ = sync.badHeader()
        let expected = sync.takeJunk()
        #expect(expected?.expected == true)
    }

    @Test("resynchronising skips to the first frame that checks out")
    func findsFrame() {
        var sync = FrameSync(midStream: true)
        // "FRx." fails the check, "FR!." passes: 6 bytes of junk before it.
        let found = Self.resync("abFRx.FR!.", &sync, final: false)
        #expect(found.used == nil)
        #expect(found.position == 6)
        #expect(!sync.resyncing)
        #expect(sync.junk == 6)
    }

    @Test("with no frame yet, the bytes that could begin a pattern are kept unless none will come")
    func keepsTail() {
        var sync = FrameSync(midStream: true)
        let open = Self.resync("abcdeF", &sync, final: false)
        #expect(open.used == 5)
        #expect(sync.junk == 5)

        var last = FrameSync(midStream: true)
        let closed = Self.resync("abcdeF", &last, final: true)
        #expect(closed.used == 6)
        #expect(last.junk == 6)
    }

    @Test("a candidate cut short waits for more bytes, or is junk at the end")
    func cutCandidate() {
        var sync = FrameSync(midStream: true)
        let waiting = Self.resync("xxFR!", &sync, final: false)
        #expect(waiting.used == 2)
        #expect(sync.resyncing)

        var last = FrameSync(midStream: true)
        let ended = Self.resync("xxFR!", &last, final: true)
        #expect(ended.used == 5)
        #expect(last.junk == 5)
    }

    @Test("a stream in step is left where it is")
    func inStep() {
        var sync = FrameSync()
        let result = Self.resync("FR!.", &sync, final: false)
        #expect(result.used == nil && result.position == 0 && sync.junk == 0)
    }
}
