import CSupport

/// Finding CTP frames where the stream position is not known: at the start of a probe, and to
/// resynchronise after junk or a TCP gap (CTP notes section 2.4). There is no magic number or
/// checksum, so a candidate start is a byte pattern, and a candidate is taken only when the whole
/// frame checks out.
enum CTPFraming {
    /// Bytes a candidate pattern needs.
    static let patternLength = 6

    /// What the bytes at an offset are, judged strictly.
    enum Candidate: Equatable {
        /// A data frame of this length whose FTDC packet is consistent.
        case data(Int)
        /// A heartbeat or heartbeat-timeout frame of this length.
        case link(Int)
        /// It may be a frame; more bytes are needed to tell.
        case needMore
        /// Not a frame.
        case invalid
    }

    /// The first offset at or after `start` where a frame plausibly starts:
    /// `02 00 hi lo 01 {00|03}` (a data frame with no extension: CRP header of FTDC, uncompressed or
    /// zero-run compressed, content 8...4096 bytes), `00 02 00 00 05 00` (heartbeat) or
    /// `00 06 00 00 07 04` (heartbeat timeout). Nil when none starts with 6 bytes to spare.
    ///
    /// Only a byte that may start one (`02`, `00`) is looked at: they are found sixteen bytes at a
    /// time (`tapsentry_find_any4`).
    @inline(__always)
    static func nextCandidate(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var offset = start
        let last = bytes.count - patternLength
        while offset <= last {
            offset += tapsentry_find_any4(
                base + offset, last + 1 - offset, CTPFrameHeader.compressedType, CTPFrameHeader.linkType,
                CTPFrameHeader.linkType, CTPFrameHeader.linkType)
            guard offset <= last else { return nil }
            if startsCandidate(bytes, at: offset) { return offset }
            offset += 1
        }
        return nil
    }

    /// Whether one of the patterns of `nextCandidate` starts at `offset`, `patternLength` bytes or
    /// more before the end.
    @inline(__always)
    static func startsCandidate(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        let first = bytes[offset]
        if first == CTPFrameHeader.compressedType {
            guard bytes[offset + 1] == 0 && bytes[offset + 4] == 0x01 && (bytes[offset + 5] == 0x00 || bytes[offset + 5] == 0x03) else {
                return false
            }
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            return length >= 8 && length <= CTPLimits.maxContent
        }
        guard first == CTPFrameHeader.linkType && bytes[offset + 2] == 0 && bytes[offset + 3] == 0 else { return false }
        let second = bytes[offset + 1]
        return (second == 2 && bytes[offset + 4] == 0x05 && bytes[offset + 5] == 0)
            || (second == 6 && bytes[offset + 4] == 0x07 && bytes[offset + 5] == 4)
    }

    /// Judges the frame at `offset` strictly: a link frame must be exactly a heartbeat or a
    /// heartbeat-timeout announcement; a data frame must be whole, with a CRP header of FTDC, must
    /// decompress without overrun, and its FTDC header's content length and chain byte must agree
    /// with fields that end exactly at the content's end. `scratch` holds the decompressed bytes.
    static func validate(_ bytes: UnsafeRawBufferPointer, at offset: Int, scratch: CTPScratch) -> Candidate {
        guard bytes.count - offset >= CTPFrameHeader.size else { return .needMore }
        let header = CTPFrameHeader(bytes, at: offset)
        switch header.type {
        case CTPFrameHeader.linkType:
            guard header.contentLength == 0, header.extensionLength == 2 || header.extensionLength == 6 else { return .invalid }
            guard bytes.count - offset >= header.length else { return .needMore }
            let tag = bytes[offset + 4]
            let tagLength = Int(bytes[offset + 5])
            let keepAlive = tag == 0x05 && tagLength == 0 && header.extensionLength == 2
            let timeout = tag == 0x07 && tagLength == 4 && header.extensionLength == 6
            return keepAlive || timeout ? .link(header.length) : .invalid
        case CTPFrameHeader.compressedType:
            guard header.extensionLengthValid, header.contentLength >= 2, header.contentLength <= CTPLimits.maxContent else {
                return .invalid
            }
            let contentStart = offset + CTPFrameHeader.size + header.extensionLength
            if bytes.count > contentStart + 1 {
                guard bytes[contentStart] == 0x01, bytes[contentStart + 1] == 0 || bytes[contentStart + 1] == 3 else { return .invalid }
            }
            guard bytes.count - offset >= header.length else { return .needMore }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(contentStart + 2)..<(offset + header.length)])
            let consistent: Bool
            if bytes[contentStart + 1] == 3 {
                let (count, status) = CTPZeroRun.decompress(payload, into: scratch.buffer, capacity: CTPLimits.maxMessage)
                guard status == .complete else { return .invalid }
                consistent = isConsistent(UnsafeRawBufferPointer(start: scratch.buffer, count: count))
            } else {
                consistent = isConsistent(payload)
            }
            return consistent ? .data(header.length) : .invalid
        default:
            return .invalid
        }
    }

    /// Whether an FTDC packet's header agrees with its content: content length, chain byte, and
    /// fields that end exactly at the end.
    static func isConsistent(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard packet.count >= CTPMessageHeader.size else { return false }
        let header = CTPMessageHeader(packet)
        guard header.chainValid, Int(header.contentLength) == packet.count - CTPMessageHeader.size else { return false }
        let walk = CTPFields.walk(UnsafeRawBufferPointer(rebasing: packet[CTPMessageHeader.size...])) { _, _ in }
        return !walk.overrun
    }
}

/// Memory a decoder's sessions share for one packet at a time: the decompression buffer (and the
/// members prepared for the run's demand).
///
/// One scratch serves every session of a decoder; it is not thread-safe, and a decoder (with its
/// sessions) belongs to one pipeline thread.
package final class CTPScratch: @unchecked Sendable {
    /// Room for the largest FTDC packet plus the decompressor's slack.
    let buffer: UnsafeMutablePointer<UInt8>

    /// The members last prepared per field, with the names they were prepared for: a run's demand
    /// is fixed, so the sessions of one decoder share one preparation.
    private var prepared: [(fid: UInt16, names: [String], members: CTPWantedMembers?)] = []

    init() {
        buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: CTPLimits.maxMessage + CTPZeroRun.slack)
    }

    /// The members of field `fid` named in `names`, at their offsets in each layout.
    func members(fid: UInt16, names: [String]) -> CTPWantedMembers? {
        if let index = prepared.firstIndex(where: { $0.fid == fid }) {
            if prepared[index].names == names { return prepared[index].members }
            prepared.remove(at: index)
        }
        let members = CTPWantedMembers(fid: fid, names: names)
        prepared.append((fid, names, members))
        return members
    }

    deinit {
        buffer.deallocate()
    }
}
