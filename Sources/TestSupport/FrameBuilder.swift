import PacketCapture

/// Builds link-layer frames holding TCP segments or UDP datagrams in IPv4 or IPv6, with correct
/// IPv4 header, TCP and UDP checksums.
///
/// The IP version follows the endpoints' addresses. Every builder comes in two forms: one that
/// returns a new `[UInt8]`, and one that writes into a reused `inout [UInt8]` (no allocation once
/// the buffer has grown), for generators that write millions of packets.
///
/// ```swift
/// let builder = FrameBuilder(link: .ethernet(vlanTags: [.dot1Q(100)]))
/// let frame = builder.tcp(from: Endpoint("10.0.0.1", 40000), to: Endpoint("10.0.0.2", 443),
///                         sequence: 1, acknowledgement: 1, flags: [.ack, .psh], payload: Array("hi".utf8))
/// ```
package struct FrameBuilder: Hashable, Sendable {
    /// The link layer around the IP packet.
    package var link: LinkLayer
    /// IPv4 header fields, used when the endpoints are IPv4.
    package var ipv4: IPv4Fields
    /// IPv6 header fields, used when the endpoints are IPv6.
    package var ipv6: IPv6Fields

    /// A builder; plain Ethernet, DF set, TTL/hop limit 64 unless told otherwise.
    package init(link: LinkLayer = .plainEthernet, ipv4: IPv4Fields = IPv4Fields(), ipv6: IPv6Fields = IPv6Fields()) {
        self.link = link
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    /// The link type for the capture file header.
    package var linkType: LinkType { link.linkType }

    /// The same builder for the opposite direction (Ethernet addresses swapped).
    package var reversed: FrameBuilder {
        var copy = self
        copy.link = link.reversed
        return copy
    }

    /// The length of the IP header (with options or extension headers) for one IP version.
    @inline(__always)
    package func ipHeaderLength(ipv6 isIPv6: Bool) -> Int {
        isIPv6 ? ipv6.headerLength : ipv4.headerLength
    }

    // MARK: TCP

    /// A frame holding one TCP segment. `options` are raw option bytes (see `TCPOption.encode`),
    /// padded with zeros to a multiple of 4.
    package func tcp(
        from source: Endpoint, to destination: Endpoint, sequence: UInt32, acknowledgement: UInt32 = 0,
        flags: TCPFlags = .ack, window: UInt16 = 65535, options: [UInt8] = [], payload: [UInt8] = []
    ) -> [UInt8] {
        var frame: [UInt8] = []
        payload.withUnsafeBytes {
            tcp(into: &frame, from: source, to: destination, sequence: sequence, acknowledgement: acknowledgement,
                flags: flags, window: window, options: options, payload: $0)
        }
        return frame
    }

    /// Writes a frame holding one TCP segment into `frame`, replacing its contents and reusing
    /// its storage.
    @inline(__always)
    package func tcp(
        into frame: inout [UInt8], from source: Endpoint, to destination: Endpoint, sequence: UInt32,
        acknowledgement: UInt32 = 0, flags: TCPFlags = .ack, window: UInt16 = 65535, options: [UInt8] = [],
        payload: UnsafeRawBufferPointer, includeLink: Bool = true
    ) {
        let optionLength = (options.count + 3) / 4 * 4
        let headerLength = 20 + optionLength
        build(
            into: &frame, includeLink: includeLink, source: source.address, destination: destination.address,
            protocolNumber: 6, transportLength: headerLength + payload.count
        ) { segment in
            segment.storeBigEndian(source.port, at: 0)
            segment.storeBigEndian(destination.port, at: 2)
            segment.storeBigEndian(sequence, at: 4)
            segment.storeBigEndian(acknowledgement, at: 8)
            segment[12] = UInt8(headerLength / 4) << 4
            segment[13] = flags.rawValue
            segment.storeBigEndian(window, at: 14)
            segment.storeBigEndian(UInt32(0), at: 16)  // checksum, urgent pointer
            for index in 0..<optionLength {
                segment[20 + index] = index < options.count ? options[index] : 0
            }
            if let base = payload.baseAddress, !payload.isEmpty, let target = segment.baseAddress {
                (target + headerLength).copyMemory(from: base, byteCount: payload.count)
            }
            let sum = InternetChecksum.add(
                UnsafeRawBufferPointer(segment),
                to: InternetChecksum.pseudoHeaderSum(
                    source: source.address, destination: destination.address, protocolNumber: 6,
                    length: segment.count))
            segment.storeBigEndian(InternetChecksum.finish(sum), at: 16)
        }
    }

    /// An IP packet (no link header) holding one TCP segment, e.g. to fragment it.
    package func tcpPacket(
        from source: Endpoint, to destination: Endpoint, sequence: UInt32, acknowledgement: UInt32 = 0,
        flags: TCPFlags = .ack, window: UInt16 = 65535, options: [UInt8] = [], payload: [UInt8] = []
    ) -> [UInt8] {
        var packet: [UInt8] = []
        payload.withUnsafeBytes {
            tcp(into: &packet, from: source, to: destination, sequence: sequence, acknowledgement: acknowledgement,
                flags: flags, window: window, options: options, payload: $0, includeLink: false)
        }
        return packet
    }

    // MARK: UDP

    /// A frame holding one UDP datagram.
    package func udp(from source: Endpoint, to destination: Endpoint, payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = []
        payload.withUnsafeBytes { udp(into: &frame, from: source, to: destination, payload: $0) }
        return frame
    }

    /// An IP packet (no link header) holding one UDP datagram.
    package func udpPacket(from source: Endpoint, to destination: Endpoint, payload: [UInt8]) -> [UInt8] {
        var packet: [UInt8] = []
        payload.withUnsafeBytes { udp(into: &packet, from: source, to: destination, payload: $0, includeLink: false) }
        return packet
    }

    /// Writes a frame holding one UDP datagram into `frame`, reusing its storage.
    @inline(__always)
    package func udp(
        into frame: inout [UInt8], from source: Endpoint, to destination: Endpoint,
        payload: UnsafeRawBufferPointer, includeLink: Bool = true
    ) {
        build(
            into: &frame, includeLink: includeLink, source: source.address, destination: destination.address,
            protocolNumber: 17, transportLength: 8 + payload.count
        ) { datagram in
            datagram.storeBigEndian(source.port, at: 0)
            datagram.storeBigEndian(destination.port, at: 2)
            datagram.storeBigEndian(UInt16(truncatingIfNeeded: datagram.count), at: 4)
            datagram.storeBigEndian(UInt16(0), at: 6)
            if let base = payload.baseAddress, !payload.isEmpty, let target = datagram.baseAddress {
                (target + 8).copyMemory(from: base, byteCount: payload.count)
            }
            let sum = InternetChecksum.finish(InternetChecksum.add(
                UnsafeRawBufferPointer(datagram),
                to: InternetChecksum.pseudoHeaderSum(
                    source: source.address, destination: destination.address, protocolNumber: 17,
                    length: datagram.count)))
            datagram.storeBigEndian(sum == 0 ? 0xFFFF : sum, at: 6)
        }
    }

    // MARK: Layers

    /// An IP packet with this builder's header fields around `transport` bytes as they are
    /// (their checksum is the caller's business).
    package func ipPacket(
        source: IPAddress, destination: IPAddress, protocolNumber: UInt8, transport: [UInt8]
    ) -> [UInt8] {
        var packet: [UInt8] = []
        build(
            into: &packet, includeLink: false, source: source, destination: destination,
            protocolNumber: protocolNumber, transportLength: transport.count
        ) { region in
            transport.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress, let target = region.baseAddress, !bytes.isEmpty {
                    target.copyMemory(from: base, byteCount: bytes.count)
                }
            }
        }
        return packet
    }

    /// A frame: this builder's link layer around an IP packet (the version is read from its
    /// first nibble), e.g. around each fragment from `IPFragmenter`.
    package func frame(ipPacket: [UInt8]) -> [UInt8] {
        let isIPv6 = (ipPacket.first ?? 0) >> 4 == 6
        let total = link.frameLength(ipLength: ipPacket.count)
        var frame = [UInt8](repeating: 0, count: total)
        let headerLength = link.headerLength
        frame.withUnsafeMutableBytes { buffer in
            link.write(to: buffer, ipv6: isIPv6, ipLength: ipPacket.count)
            ipPacket.withUnsafeBytes { packet in
                if let base = packet.baseAddress, let target = buffer.baseAddress, !packet.isEmpty {
                    (target + headerLength).copyMemory(from: base, byteCount: packet.count)
                }
            }
        }
        return frame
    }

    /// Frames for the fragments of an IP packet (IPv4 or IPv6 by its first nibble), each
    /// fragment carrying at most `fragmentPayloadSize` bytes (rounded down to a multiple of 8).
    package func fragmentFrames(
        ipPacket: [UInt8], fragmentPayloadSize: Int, identification: UInt32 = 0x1234_5678
    ) -> [[UInt8]] {
        let fragments = (ipPacket.first ?? 0) >> 4 == 6
            ? IPFragmenter.fragmentIPv6(ipPacket, fragmentPayloadSize: fragmentPayloadSize, identification: identification)
            : IPFragmenter.fragmentIPv4(ipPacket, fragmentPayloadSize: fragmentPayloadSize)
        return fragments.map { frame(ipPacket: $0) }
    }

    /// Sizes `frame`, writes the link and IP headers, and hands the transport region to `body`.
    @inline(__always)
    private func build(
        into frame: inout [UInt8], includeLink: Bool, source: IPAddress, destination: IPAddress,
        protocolNumber: UInt8, transportLength: Int, body: (UnsafeMutableRawBufferPointer) -> Void
    ) {
        let isIPv6 = !source.isIPv4
        precondition(isIPv6 == !destination.isIPv4, "source and destination are of different IP versions")
        let ipHeader = ipHeaderLength(ipv6: isIPv6)
        let ipLength = ipHeader + transportLength
        let linkLength = includeLink ? link.headerLength : 0
        let total = includeLink ? link.frameLength(ipLength: ipLength) : ipLength
        if frame.count > total {
            frame.removeLast(frame.count - total)
        } else if frame.count < total {
            frame.append(contentsOf: repeatElement(0, count: total - frame.count))
        }
        frame.withUnsafeMutableBytes { buffer in
            if includeLink { link.write(to: buffer, ipv6: isIPv6, ipLength: ipLength) }
            if isIPv6 {
                ipv6.write(
                    to: buffer, at: linkLength, totalLength: ipLength, protocolNumber: protocolNumber,
                    source: (source.high, source.low), destination: (destination.high, destination.low))
            } else {
                ipv4.write(
                    to: buffer, at: linkLength, totalLength: ipLength, protocolNumber: protocolNumber,
                    source: UInt32(truncatingIfNeeded: source.low), destination: UInt32(truncatingIfNeeded: destination.low))
            }
            let start = linkLength + ipHeader
            body(UnsafeMutableRawBufferPointer(rebasing: buffer[start..<(start + transportLength)]))
        }
    }
}
