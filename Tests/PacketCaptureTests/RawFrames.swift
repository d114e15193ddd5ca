import PacketCapture

/// Hand-built frames for the decoder tests: each function returns the bytes of one header with what
/// follows it appended.
enum RawFrames {
    static let clientV4: [UInt8] = [10, 0, 0, 1]
    static let serverV4: [UInt8] = [192, 168, 1, 200]
    static let clientV6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
    static let serverV6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [2]

    static func be16(_ value: Int) -> [UInt8] { [UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }
    static func le32(_ value: UInt32) -> [UInt8] { be32(value).reversed() }

    static func tcp(
        sourcePort: Int = 40000, destinationPort: Int = 443, sequence: UInt32 = 1000, acknowledgement: UInt32 = 2000,
        flags: UInt8 = 0x18, options: [UInt8] = [], dataOffsetWords: Int? = nil, payload: [UInt8] = []
    ) -> [UInt8] {
        let words = dataOffsetWords ?? (5 + options.count / 4)
        return be16(sourcePort) + be16(destinationPort) + be32(sequence) + be32(acknowledgement)
            + [UInt8((words & 0x0F) << 4), flags] + be16(65535) + [0, 0, 0, 0] + options + payload
    }

    static func udp(sourcePort: Int = 5353, destinationPort: Int = 53, length: Int? = nil, payload: [UInt8] = []) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be16(length ?? (8 + payload.count)) + [0, 0] + payload
    }

    static func ipv4(
        protocol transport: UInt8 = 6, source: [UInt8] = clientV4, destination: [UInt8] = serverV4,
        identification: Int = 0x1234, moreFragments: Bool = false, fragmentOffset: Int = 0,
        options: [UInt8] = [], headerWords: Int? = nil, totalLength: Int? = nil, version: UInt8 = 4,
        payload: [UInt8]
    ) -> [UInt8] {
        let words = headerWords ?? (5 + options.count / 4)
        let length = totalLength ?? (20 + options.count + payload.count)
        let fragment = (moreFragments ? 0x2000 : 0) | (fragmentOffset / 8)
        return [version << 4 | UInt8(words & 0x0F), 0] + be16(length) + be16(identification) + be16(fragment)
            + [64, transport, 0, 0] + source + destination + options + payload
    }

    static func ipv6(
        nextHeader: UInt8 = 6, source: [UInt8] = clientV6, destination: [UInt8] = serverV6,
        payloadLength: Int? = nil, version: UInt8 = 6, payload: [UInt8]
    ) -> [UInt8] {
        [version << 4, 0, 0, 0] + be16(payloadLength ?? payload.count) + [nextHeader, 64] + source + destination + payload
    }

    /// A hop-by-hop, routing or destination options header of `units` extra 8-byte units.
    static func extensionHeader(next: UInt8, units: Int = 0) -> [UInt8] {
        [next, UInt8(units)] + [UInt8](repeating: 1, count: 6 + units * 8)
    }

    /// An authentication header with `length` in its own 4-byte unit rule.
    static func authenticationHeader(next: UInt8, length: Int = 1) -> [UInt8] {
        [next, UInt8(length), 0, 0] + [UInt8](repeating: 0xAA, count: (length + 2) * 4 - 4)
    }

    static func fragmentHeader(next: UInt8, offset: Int, more: Bool, identification: UInt32) -> [UInt8] {
        [next, 0] + be16(offset | (more ? 1 : 0)) + be32(identification)
    }

    static func ethernet(type: Int, tags: [Int] = [], payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        for tag in tags { frame += be16(tag) + be16(100) }
        return frame + be16(type) + payload
    }

    static func linuxSLL(protocol type: Int, payload: [UInt8]) -> [UInt8] {
        [0, 0, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0] + be16(type) + payload
    }

    static func linuxSLL2(protocol type: Int, payload: [UInt8]) -> [UInt8] {
        be16(type) + [0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0] + payload
    }

    static let payload: [UInt8] = Array("GET / HTTP/1.1\r\nHost: example\r\n\r\n".utf8)
    static let tcpV4: [UInt8] = ipv4(payload: tcp(payload: payload))
    static let udpV6: [UInt8] = ipv6(nextHeader: 17, payload: udp(payload: payload))
}

/// A decoded packet with its payload copied out, for comparisons.
struct DecodedPacket: Equatable, CustomStringConvertible {
    var source: IPAddress
    var destination: IPAddress
    var sourcePort: UInt16
    var destinationPort: UInt16
    var transport: TransportProtocol
    var sequence: UInt32
    var acknowledgement: UInt32
    var flags: UInt8
    var payload: [UInt8]
    /// Whether the payload pointed into the frame given to the decoder.
    var payloadInFrame: Bool

    var description: String { "\(transport) \(source):\(sourcePort) -> \(destination):\(destinationPort) \(payload.count) bytes" }
}

/// The outcome of decoding one frame.
struct DecodeResult {
    var skip: SkipReason?
    var packets: [DecodedPacket]
    var packet: DecodedPacket? { packets.count == 1 ? packets[0] : nil }
}

extension PacketDecoder {
    /// Decodes `frame`, copying out what `body` is handed.
    mutating func run(_ frame: [UInt8], _ linkType: LinkType, at seconds: Int64 = 0) -> DecodeResult {
        var packets: [DecodedPacket] = []
        let skip = frame.withUnsafeBytes { bytes in
            decode(bytes, linkType: linkType, time: Timestamp(seconds: seconds, nanoseconds: 0)) { packet in
                let frameRange = UInt(bitPattern: bytes.baseAddress)...(UInt(bitPattern: bytes.baseAddress) + UInt(bytes.count))
                let start = UInt(bitPattern: packet.payload.baseAddress)
                let inFrame = packet.payload.isEmpty
                    || (frameRange.contains(start) && frameRange.contains(start + UInt(packet.payload.count)))
                packets.append(DecodedPacket(
                    source: packet.source, destination: packet.destination,
                    sourcePort: packet.sourcePort, destinationPort: packet.destinationPort,
                    transport: packet.transport, sequence: packet.sequence,
                    acknowledgement: packet.acknowledgement, flags: packet.flags.rawValue,
                    payload: Array(packet.payload), payloadInFrame: inFrame))
            }
        }
        return DecodeResult(skip: skip, packets: packets)
    }
}

/// Decodes one frame with a fresh decoder.
func decodeOnce(_ frame: [UInt8], _ linkType: LinkType) -> DecodeResult {
    var decoder = PacketDecoder()
    return decoder.run(frame, linkType)
}

