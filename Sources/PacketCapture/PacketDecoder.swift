/// Turns captured frames into TCP and UDP packets: link layer, IPv4 or IPv6 (with extension
/// headers and fragment reassembly), then the transport header.
///
/// Ordinary packets are decoded in place: no allocation, no copy, and the packet's payload points
/// into the frame. Only IP fragments are copied, into the reassembler's bounded buffers. Checksums
/// are not verified (offloading makes them wrong in captures). Malformed input never traps; it is
/// skipped with a `SkipReason`.
package struct PacketDecoder: Sendable {
    /// Fragments waiting for the rest of their datagram.
    @usableFromInline var reassembler: FragmentReassembler

    /// A decoder whose fragment reassembly keeps within `fragmentLimits`.
    package init(fragmentLimits: FragmentLimits = FragmentLimits()) {
        reassembler = FragmentReassembler(limits: fragmentLimits)
    }

    /// Parses one captured frame of the given link type. When it holds a TCP or UDP packet (or
    /// completes a fragmented datagram), calls `body` once with it and returns nil; otherwise returns
    /// why it was skipped.
    ///
    /// `wireLength` is the frame's length on the wire, from the capture record. When it equals the
    /// captured length, the frame is whole, and an IP length beyond the captured bytes is malformed;
    /// only a frame the snapshot length cut (or one of unknown wire length, nil) may announce more
    /// than was captured, and the rest becomes the packet's `uncapturedLength`.
    ///
    /// The packet, and its payload, are valid only during the call to `body`.
    @inlinable
    package mutating func decode(
        _ frame: UnsafeRawBufferPointer, linkType: LinkType, time: Timestamp, wireLength: Int? = nil,
        _ body: (borrowing TransportPacket) -> Void
    ) -> SkipReason? {
        let frameIsWhole = wireLength.map { $0 <= frame.count } ?? false
        switch LinkLayerDecoder.locate(in: frame, linkType: linkType) {
        case .ipv4(let offset):
            return decodeIPv4(frame, at: offset, time: time, frameIsWhole: frameIsWhole, body)
        case .ipv6(let offset):
            return decodeIPv6(frame, at: offset, time: time, frameIsWhole: frameIsWhole, body)
        case .skipped(let reason):
            return reason
        }
    }

    /// What fragment reassembly has seen, completed and dropped so far.
    package var fragmentStatistics: FragmentStatistics { reassembler.statistics }

    /// The limits fragment reassembly keeps within.
    package var fragmentLimits: FragmentLimits { reassembler.limits }

    /// Datagrams with fragments buffered now.
    package var fragmentDatagramsInProgress: Int { reassembler.datagramsInProgress }

    /// Bytes held in fragment buffers now.
    package var fragmentBufferedBytes: Int { reassembler.bufferedBytes }

    /// Drops fragment state older than the timeout at `time` (called periodically by the pipeline;
    /// each new fragment also expires what is due at its own time).
    package mutating func expireFragments(at time: Timestamp) {
        reassembler.expire(at: time)
    }
}

extension PacketDecoder {
    /// Parses an ordinary frame (an unfragmented IPv4 or IPv6 packet) just far enough to call `body`
    /// with its TCP or UDP packet, changing nothing; fragments and anything malformed are left out.
    /// For looking at the next packet ahead of time (to warm the cache for it), not for decoding.
    @inlinable
    package static func peek(
        _ frame: UnsafeRawBufferPointer, linkType: LinkType, _ body: (borrowing TransportPacket) -> Void
    ) {
        switch LinkLayerDecoder.locate(in: frame, linkType: linkType) {
        case .ipv4(let start):
            _ = decodeIPv4(frame, at: start, frameIsWhole: false, fragment: { _ in nil }, body)
        case .ipv6(let start):
            _ = decodeIPv6(frame, at: start, frameIsWhole: false, fragment: { _, _, _, _ in nil }, body)
        case .skipped:
            return
        }
    }
}
