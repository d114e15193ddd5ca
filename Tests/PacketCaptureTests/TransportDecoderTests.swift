import PacketCapture
import Testing

@Suite struct TransportDecoderTests {
    typealias F = RawFrames

    @Test func tcpFieldsAndOptions() {
        let options: [UInt8] = [2, 4, 5, 0xB4, 1, 1, 4, 2] // MSS, NOP, NOP, SACK permitted
        let segment = F.tcp(sourcePort: 1, destinationPort: 65535, sequence: 0xFFFF_FFFF, acknowledgement: 7,
                            flags: 0xC2, options: options, payload: [9, 8, 7])
        let packet = decodeOnce(F.ipv4(payload: segment), .ipv4).packet
        #expect(packet?.sourcePort == 1)
        #expect(packet?.destinationPort == 65535)
        #expect(packet?.sequence == 0xFFFF_FFFF)
        #expect(packet?.acknowledgement == 7)
        #expect(packet?.flags == 0xC2) // SYN with ECE and CWR
        #expect(packet?.payload == [9, 8, 7])
        #expect(packet.map { TCPFlags(rawValue: $0.flags).contains(.syn) } == true)
    }

    @Test func tcpWithoutPayload() {
        let packet = decodeOnce(F.ipv4(payload: F.tcp(flags: 0x02)), .ipv4).packet
        #expect(packet?.payload == [])
        #expect(packet?.flags == 0x02)
    }

    @Test func badTCPHeaders() {
        #expect(decodeOnce(F.ipv4(payload: Array(F.tcp().prefix(19))), .ipv4).skip == .badTCPHeader)
        #expect(decodeOnce(F.ipv4(payload: F.tcp(dataOffsetWords: 4, payload: F.payload)), .ipv4).skip == .badTCPHeader)
        #expect(decodeOnce(F.ipv4(payload: F.tcp(dataOffsetWords: 15, payload: [1, 2, 3])), .ipv4).skip == .badTCPHeader)
        #expect(decodeOnce(F.ipv6(payload: F.tcp(dataOffsetWords: 6)), .ipv6).skip == .badTCPHeader)
    }

    @Test func udpLengthIsHonouredAndClipped() {
        let short = decodeOnce(F.ipv4(protocol: 17, payload: F.udp(length: 10, payload: [1, 2, 3, 4])), .ipv4)
        #expect(short.packet?.payload == [1, 2])
        // A UDP length past the datagram is cut only when the snapshot length cut the IP packet short;
        // in a whole packet it is malformed.
        let cut = decodeOnce(F.ipv4(protocol: 17, totalLength: 528, payload: F.udp(length: 508, payload: [1, 2, 3, 4])), .ipv4)
        #expect(cut.packet?.payload == [1, 2, 3, 4])
        let long = decodeOnce(F.ipv4(protocol: 17, payload: F.udp(length: 500, payload: [1, 2, 3, 4])), .ipv4)
        #expect(long.skip == .badUDPHeader)
        let empty = decodeOnce(F.ipv4(protocol: 17, payload: F.udp(payload: [])), .ipv4)
        #expect(empty.packet?.payload == [])
        #expect(empty.packet?.transport == .udp)
        #expect(empty.packet?.flags == 0 && empty.packet?.sequence == 0)
    }

    @Test func badUDPHeaders() {
        #expect(decodeOnce(F.ipv4(protocol: 17, payload: Array(F.udp().prefix(7))), .ipv4).skip == .badUDPHeader)
        #expect(decodeOnce(F.ipv4(protocol: 17, payload: F.udp(length: 7, payload: [1])), .ipv4).skip == .badUDPHeader)
        #expect(decodeOnce(F.ipv6(nextHeader: 17, payload: F.udp(length: 0, payload: [1])), .ipv6).skip == .badUDPHeader)
    }
}
