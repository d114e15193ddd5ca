import CSupport

/// Finding TDX frames where the stream position is not known: in the probe, and to resynchronise
/// after junk or a TCP gap. A reply has a four-byte magic; a request only a pattern (a known flag,
/// two equal lengths and a command the notes name), so a request candidate is taken only when
/// its command is known.
enum TDXFraming {
    /// Bytes a candidate needs to be judged (a request header; a reply needs its 16).
    static let patternLength = TDXRequestHeader.size

    /// What the bytes at an offset are.
    enum Candidate: Equatable {
        /// A request header with a known command; the frame is this long.
        case request(Int)
        /// A reply header; the frame is this long.
        case reply(Int)
        /// It may be a frame; more bytes are needed to tell.
        case needMore
        /// Not a frame start.
        case invalid
    }

    /// Judges the bytes at `offset` strictly: a reply header (magic and a known flag), or a
    /// plausible request header whose command the notes name and whose length is not absurd.
    @inline(__always)
    static func judge(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Candidate {
        let remaining = bytes.count - offset
        guard remaining >= 4 else { return .needMore }
        if TDXReplyHeader.hasMagic(bytes, at: offset) {
            guard remaining >= TDXReplyHeader.size else { return .needMore }
            let header = TDXReplyHeader(bytes, at: offset)
            return TDXReplyHeader.flagKnown(header.flag) ? .reply(header.frameLength) : .invalid
        }
        guard TDXRequestHeader.flagKnown(bytes[offset]) else { return .invalid }
        guard remaining >= TDXRequestHeader.size else { return .needMore }
        let header = TDXRequestHeader(bytes, at: offset)
        guard header.plausible, TDXCommand.known(header.command), header.length1 <= maxRequestLength else { return .invalid }
        return .request(header.frameLength)
    }

    /// The longest request taken as a candidate (the official login is 282; quote batches of 80
    /// codes are 572). In step with the stream any length is framed.
    static let maxRequestLength: UInt16 = 4096

    /// The first offset at or after `start` where a frame plausibly starts, or nil when none does
    /// with `patternLength` bytes to spare (a reply magic is found up to the last 4 bytes).
    ///
    /// Only a byte that may start a header (a reply's `b1`, a request flag) is looked at: they are
    /// found sixteen bytes at a time (`tapsentry_find_any4`), and most of a flow's first 4 KiB
    /// that is not TDX holds few of them.
    @inline(__always)
    static func nextCandidate(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var offset = start
        let last = bytes.count - 4
        while offset <= last {
            offset += tapsentry_find_any4(
                base + offset, last + 1 - offset, UInt8(truncatingIfNeeded: TDXReplyHeader.magic),
                TDXRequestHeader.standardFlag, TDXRequestHeader.extendedFlag, TDXRequestHeader.newGenerationFlag)
            guard offset <= last else { return nil }
            if startsCandidate(bytes, at: offset) { return offset }
            offset += 1
        }
        return nil
    }

    /// Whether a frame plausibly starts at `offset`, 4 bytes or more before the end: a reply's
    /// magic, or a request header that `judge` takes or needs more bytes to tell.
    @inline(__always)
    static func startsCandidate(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        let first = bytes[offset]
        if first == UInt8(truncatingIfNeeded: TDXReplyHeader.magic) { return TDXReplyHeader.hasMagic(bytes, at: offset) }
        guard TDXRequestHeader.flagKnown(first) else { return false }
        switch judge(bytes, at: offset) {
        case .request, .needMore: return true
        case .reply, .invalid: return false
        }
    }
}
