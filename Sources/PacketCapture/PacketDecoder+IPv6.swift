//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version| Traffic Class |           Flow Label                  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Payload Length        |  Next Header  |   Hop Limit   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                  Source Address (16 bytes)                    |
// |               Destination Address (16 bytes)                  |
//
// Extension headers: | Next Header | Hdr Ext Len | ... |, length (len + 1) * 8 bytes; AH (51) is
// (len + 2) * 4 bytes. Fragment (44): | Next Header | reserved | Offset (13) |Res|M| Identification |.

/// Where a chain of IPv6 extension headers leads.
package enum IPv6HeaderChain {
    /// A TCP or UDP header at this offset.
    case transport(protocol: UInt8, offset: Int)
    /// A fragment header at this offset (its 8 bytes are there).
    case fragment(offset: Int)
    /// Neither: another protocol, or a malformed chain.
    case skipped(SkipReason)

    /// At most this many extension headers are walked before the packet counts as malformed.
    @inlinable package static var maxExtensionHeaders: Int { 8 }

    /// Walks the extension headers in `bytes[start..<end]`, beginning with header type `nextHeader`.
    @inlinable
    package static func walk(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, nextHeader: UInt8) -> IPv6HeaderChain {
        var next = nextHeader
        var offset = start
        var walked = 0
        while true {
            switch next {
            case 6, 17:
                return .transport(protocol: next, offset: offset)
            case 0, 43, 60, 51: // hop-by-hop, routing, destination options, authentication
                guard walked < maxExtensionHeaders, end - offset >= 8 else { return .skipped(.ipv6ExtensionHeaders) }
                let units = Int(bytes[offset + 1])
                let length = next == 51 ? (units + 2) &* 4 : (units + 1) &* 8
                guard length <= end - offset else { return .skipped(.ipv6ExtensionHeaders) }
                next = bytes[offset]
                offset += length
                walked += 1
            case 44:
                guard end - offset >= 8 else { return .skipped(.ipv6ExtensionHeaders) }
                return .fragment(offset: offset)
            default: // ICMPv6 58, ESP 50, no next header 59, and everything else
                return .skipped(.otherTransport)
            }
        }
    }
}

extension PacketDecoder {
    /// Decodes the IPv6 packet at `start` in `frame`.
    ///
    /// The packet ends at its payload length (dropping Ethernet padding) or at the end of the capture
    /// when the snapshot length cut it short. A zero payload length (jumbogram) counts as malformed,
    /// and so does, in a `frameIsWhole` frame, a payload length beyond the captured bytes.
    @inlinable
    package mutating func decodeIPv6(
        _ frame: UnsafeRawBufferPointer, at start: Int, time: Timestamp, frameIsWhole: Bool = false,
        _ body: (borrowing TransportPacket) -> Void
    ) -> SkipReason? {
        Self.decodeIPv6(frame, at: start, frameIsWhole: frameIsWhole, fragment: { bytes, wholeCaptured, source, destination in
            decodeIPv6Fragment(bytes, wholeCaptured: wholeCaptured, source: source, destination: destination, time: time, body)
        }, body)
    }

    /// The IPv6 parsing itself, with no state: a packet without a fragment header goes to `body`;
    /// from a fragment header on, the rest (with whether the payload was captured whole and the
    /// addresses) goes to `fragment` (reassembly, or nothing when looking ahead).
    @inlinable
    static func decodeIPv6(
        _ frame: UnsafeRawBufferPointer, at start: Int, frameIsWhole: Bool,
        fragment: (UnsafeRawBufferPointer, Bool, IPAddress, IPAddress) -> SkipReason?,
        _ body: (borrowing TransportPacket) -> Void
    ) -> SkipReason? {
        let captured = frame.count - start
        guard captured >= 40, frame[start] >> 4 == 6 else { return .badIPv6Header }
        let payloadLength = Int(frame.bigEndianUInt16(at: start + 4))
        guard payloadLength > 0, payloadLength <= captured - 40 || !frameIsWhole else { return .badIPv6Header }
        let end = start + 40 + min(payloadLength, captured - 40)
        let source = IPAddress(ipv6At: start + 8, in: frame)
        let destination = IPAddress(ipv6At: start + 24, in: frame)
        switch IPv6HeaderChain.walk(frame, from: start + 40, to: end, nextHeader: frame[start + 6]) {
        case .transport(let transport, let offset):
            return TransportDecoder.decode(
                frame, from: offset, to: end, protocol: transport,
                source: source, destination: destination,
                uncapturedLength: max(0, payloadLength - (captured - 40)), body)
        case .fragment(let offset):
            return fragment(frame.bytes(from: offset, to: end), payloadLength <= captured - 40, source, destination)
        case .skipped(let reason):
            return reason
        }
    }

    /// Handles an IPv6 fragment header and what follows it: atomic fragments (offset 0, no more
    /// fragments) are decoded directly; others go to the reassembler, keyed by the 32-bit
    /// identification and the header type that starts the fragmentable part.
    @usableFromInline
    mutating func decodeIPv6Fragment(
        _ bytes: UnsafeRawBufferPointer, wholeCaptured: Bool, source: IPAddress, destination: IPAddress,
        time: Timestamp, _ body: (borrowing TransportPacket) -> Void
    ) -> SkipReason? {
        let next = bytes[0]
        let offsetField = bytes.bigEndianUInt16(at: 2)
        let offset = Int(offsetField & 0xFFF8)
        let moreFragments = offsetField & 1 != 0
        if offset == 0 && !moreFragments {
            return Self.decodeIPv6Fragmentable(bytes, from: 8, nextHeader: next, source: source, destination: destination, body)
        }
        switch next {
        case 0, 6, 17, 43, 51, 60: break
        default: return .otherTransport
        }
        let key = FragmentKey(
            source: source, destination: destination,
            identification: bytes.bigEndianUInt32(at: 4), protocol: next)
        let outcome = reassembler.insert(
            key: key, offset: offset, data: bytes.bytes(from: 8, to: bytes.count),
            moreFragments: moreFragments, headerLength: 0, wholeCaptured: wholeCaptured, time: time)
        switch outcome {
        case .pending:
            return .fragmentPending
        case .dropped:
            return .fragmentDropped
        case .complete(let datagram):
            return datagram.withUnsafeBytes { data in
                Self.decodeIPv6Fragmentable(data, from: 0, nextHeader: next, source: source, destination: destination, body)
            }
        }
    }

    /// Decodes the part of an IPv6 packet after its fragment header; a second fragment header there
    /// is malformed.
    @usableFromInline
    static func decodeIPv6Fragmentable(
        _ bytes: UnsafeRawBufferPointer, from start: Int, nextHeader: UInt8, source: IPAddress,
        destination: IPAddress, _ body: (borrowing TransportPacket) -> Void
    ) -> SkipReason? {
        switch IPv6HeaderChain.walk(bytes, from: start, to: bytes.count, nextHeader: nextHeader) {
        case .transport(let transport, let offset):
            return TransportDecoder.decode(
                bytes, from: offset, to: bytes.count, protocol: transport,
                source: source, destination: destination, body)
        case .fragment:
            return .ipv6ExtensionHeaders
        case .skipped(let reason):
            return reason
        }
    }
}
