//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version|  IHL  |Type of Service|          Total Length         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Identification        |Flags|      Fragment Offset    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Time to Live |    Protocol   |         Header Checksum       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       Source Address                          |
// |                    Destination Address                        |
// |                    Options (IHL > 5)                          |

extension PacketDecoder {
    /// Decodes the IPv4 packet at `start` in `frame`.
    ///
    /// The packet ends at its total length (dropping Ethernet padding) or at the end of the capture
    /// when the snapshot length cut it short. In a `frameIsWhole` frame, a total length beyond the
    /// captured bytes is malformed.
    @inlinable
    package mutating func decodeIPv4(
        _ frame: UnsafeRawBufferPointer, at start: Int, time: Timestamp, frameIsWhole: Bool = false,
        _ body: (borrowing TransportPacket) -> Void
    ) -> SkipReason? {
        Self.decodeIPv4(frame, at: start, frameIsWhole: frameIsWhole, fragment: { piece in
            decodeIPv4Fragment(
                piece.bytes, fragmentField: piece.fragmentField, identification: piece.identification,
                protocol: piece.transport, headerLength: piece.headerLength, wholeCaptured: piece.wholeCaptured,
                source: piece.source, destination: piece.destination, time: time, body)
        }, body)
    }

    /// One IPv4 fragment as the header gives it: its data after the IP header and the header's facts.
    @usableFromInline
    struct IPv4FragmentPiece {
        @usableFromInline var bytes: UnsafeRawBufferPointer
        @usableFromInline var fragmentField: UInt16
        @usableFromInline var identification: UInt16
        @usableFromInline var transport: UInt8
        @usableFromInline var headerLength: Int
        @usableFromInline var wholeCaptured: Bool
        @usableFromInline var source: IPAddress
        @usableFromInline var destination: IPAddress

        @inlinable
        init(
            bytes: UnsafeRawBufferPointer, fragmentField: UInt16, identification: UInt16, transport: UInt8,
            headerLength: Int, wholeCaptured: Bool, source: IPAddress, destination: IPAddress
        ) {
            self.bytes = bytes
            self.fragmentField = fragmentField
            self.identification = identification
            self.transport = transport
            self.headerLength = headerLength
            self.wholeCaptured = wholeCaptured
            self.source = source
            self.destination = destination
        }
    }

    /// The IPv4 parsing itself, with no state: an unfragmented packet goes to `body`, a fragment to
    /// `fragment` (reassembly, or nothing when looking ahead).
    @inlinable
    static func decodeIPv4(
        _ frame: UnsafeRawBufferPointer, at start: Int, frameIsWhole: Bool,
        fragment: (IPv4FragmentPiece) -> SkipReason?, _ body: (borrowing TransportPacket) -> Void
    ) -> SkipReason? {
        let captured = frame.count - start
        guard captured >= 20 else { return .badIPv4Header }
        let first = frame[start]
        let headerLength = Int(first & 0x0F) &* 4
        guard first >> 4 == 4, headerLength >= 20, headerLength <= captured else { return .badIPv4Header }
        let totalLength = Int(frame.bigEndianUInt16(at: start + 2))
        guard totalLength >= headerLength, totalLength <= captured || !frameIsWhole else { return .badIPv4Length }
        let end = start + min(totalLength, captured)
        let transport = frame[start + 9]
        let source = IPAddress(ipv4At: start + 12, in: frame)
        let destination = IPAddress(ipv4At: start + 16, in: frame)
        let fragmentField = frame.bigEndianUInt16(at: start + 6)
        if fragmentField & 0x3FFF != 0 { // MF set or a non-zero offset
            return fragment(IPv4FragmentPiece(
                bytes: frame.bytes(from: start + headerLength, to: end), fragmentField: fragmentField,
                identification: frame.bigEndianUInt16(at: start + 4), transport: transport,
                headerLength: headerLength, wholeCaptured: totalLength <= captured,
                source: source, destination: destination))
        }
        return TransportDecoder.decode(
            frame, from: start + headerLength, to: end, protocol: transport,
            source: source, destination: destination, uncapturedLength: max(0, totalLength - captured), body)
    }

    /// Hands one IPv4 fragment (its data after the IP header) to the reassembler and decodes the
    /// datagram it completes. Fragments of protocols other than TCP and UDP are not buffered.
    @usableFromInline
    mutating func decodeIPv4Fragment(
        _ data: UnsafeRawBufferPointer, fragmentField: UInt16, identification: UInt16, protocol transport: UInt8,
        headerLength: Int, wholeCaptured: Bool, source: IPAddress, destination: IPAddress, time: Timestamp,
        _ body: (borrowing TransportPacket) -> Void
    ) -> SkipReason? {
        guard transport == 6 || transport == 17 else { return .otherTransport }
        let key = FragmentKey(
            source: source, destination: destination,
            identification: UInt32(identification), protocol: transport)
        let outcome = reassembler.insert(
            key: key, offset: Int(fragmentField & 0x1FFF) &* 8, data: data,
            moreFragments: fragmentField & 0x2000 != 0, headerLength: headerLength,
            wholeCaptured: wholeCaptured, time: time)
        switch outcome {
        case .pending:
            return .fragmentPending
        case .dropped:
            return .fragmentDropped
        case .complete(let datagram):
            return datagram.withUnsafeBytes { bytes in
                TransportDecoder.decode(
                    bytes, from: 0, to: bytes.count, protocol: transport,
                    source: source, destination: destination, body)
            }
        }
    }
}
