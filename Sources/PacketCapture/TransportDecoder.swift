/// Parses the TCP or UDP header at the start of an IP payload and hands the packet on.
package enum TransportDecoder {
    /// Decodes the transport header in `bytes[start..<end]` (the caller has checked
    /// `0 <= start <= end <= bytes.count`). Calls `body` with the packet and returns nil, or returns
    /// why the packet was skipped.
    ///
    /// TCP flags carry the whole flags byte, so ECE (0x40) and CWR (0x80) may be set beside the
    /// named `TCPFlags`. A UDP length beyond the datagram is cut to what was captured only when the
    /// snapshot length cut the packet (`uncapturedLength > 0`); otherwise the header is malformed.
    @inlinable
    package static func decode(
        _ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, protocol transport: UInt8,
        source: IPAddress, destination: IPAddress, uncapturedLength: Int = 0,
        _ body: (borrowing TransportPacket) -> Void
    ) -> SkipReason? {
        let available = end - start
        switch transport {
        case 6:
            guard available >= 20 else { return .badTCPHeader }
            let headerLength = Int(bytes[start + 12] >> 4) &* 4
            guard headerLength >= 20, headerLength <= available else { return .badTCPHeader }
            let packet = TransportPacket(
                source: source, destination: destination,
                sourcePort: bytes.bigEndianUInt16(at: start), destinationPort: bytes.bigEndianUInt16(at: start + 2),
                transport: .tcp,
                sequence: bytes.bigEndianUInt32(at: start + 4), acknowledgement: bytes.bigEndianUInt32(at: start + 8),
                flags: TCPFlags(rawValue: bytes[start + 13]),
                payload: bytes.bytes(from: start + headerLength, to: end),
                uncapturedLength: uncapturedLength
            )
            body(packet)
            return nil
        case 17:
            guard available >= 8 else { return .badUDPHeader }
            let length = Int(bytes.bigEndianUInt16(at: start + 4))
            guard length >= 8, length <= available || uncapturedLength > 0 else { return .badUDPHeader }
            let packet = TransportPacket(
                source: source, destination: destination,
                sourcePort: bytes.bigEndianUInt16(at: start), destinationPort: bytes.bigEndianUInt16(at: start + 2),
                transport: .udp,
                payload: bytes.bytes(from: start + 8, to: start + min(length, available))
            )
            body(packet)
            return nil
        default:
            return .otherTransport
        }
    }
}
