import PacketCapture
import Testing

@Suite struct LinkLayerDecoderTests {
    typealias F = RawFrames

    static let expectedTCP = DecodedPacket(
        source: IPAddress(ipv4: 0x0A00_0001), destination: IPAddress(ipv4: 0xC0A8_01C8),
        sourcePort: 40000, destinationPort: 443, transport: .tcp, sequence: 1000, acknowledgement: 2000,
        flags: 0x18, payload: F.payload, payloadInFrame: true)

    static func expectTCPv4(_ result: DecodeResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.skip == nil, sourceLocation: sourceLocation)
        #expect(result.packet == expectedTCP, sourceLocation: sourceLocation)
    }

    static func expectUDPv6(_ result: DecodeResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.skip == nil, sourceLocation: sourceLocation)
        guard let packet = result.packet else {
            Issue.record("no packet", sourceLocation: sourceLocation)
            return
        }
        #expect(packet.source.description == "2001:db8::1", sourceLocation: sourceLocation)
        #expect(packet.destination.description == "2001:db8::2", sourceLocation: sourceLocation)
        #expect(packet.transport == .udp && packet.sourcePort == 5353 && packet.destinationPort == 53, sourceLocation: sourceLocation)
        #expect(packet.payload == F.payload && packet.payloadInFrame, sourceLocation: sourceLocation)
    }

    @Test func ethernetCarriesIPv4AndIPv6() {
        Self.expectTCPv4(decodeOnce(F.ethernet(type: 0x0800, payload: F.tcpV4), .ethernet))
        Self.expectUDPv6(decodeOnce(F.ethernet(type: 0x86DD, payload: F.udpV6), .ethernet))
    }

    @Test(arguments: [[0x8100], [0x88A8, 0x8100], [0x9100, 0x8100], [0x8100, 0x8100, 0x8100, 0x8100]])
    func vlanTagsAreWalked(tags: [Int]) {
        Self.expectTCPv4(decodeOnce(F.ethernet(type: 0x0800, tags: tags, payload: F.tcpV4), .ethernet))
        Self.expectUDPv6(decodeOnce(F.ethernet(type: 0x86DD, tags: tags, payload: F.udpV6), .ethernet))
    }

    @Test func tooManyVLANTagsAreNotIP() {
        let tags = [Int](repeating: 0x8100, count: 9)
        #expect(decodeOnce(F.ethernet(type: 0x0800, tags: tags, payload: F.tcpV4), .ethernet).skip == .nonIP)
    }

    @Test func ethernetSkips() {
        #expect(decodeOnce(F.ethernet(type: 0x0806, payload: [UInt8](repeating: 0, count: 28)), .ethernet).skip == .nonIP)
        #expect(decodeOnce(F.ethernet(type: 0x0040, payload: F.tcpV4), .ethernet).skip == .nonIP) // 802.3 length
        #expect(decodeOnce([UInt8](repeating: 0, count: 13), .ethernet).skip == .truncatedLinkHeader)
        #expect(decodeOnce([], .ethernet).skip == .truncatedLinkHeader)
        // A VLAN tag cut short.
        let tagged = F.ethernet(type: 0x0800, tags: [0x8100], payload: [])
        #expect(decodeOnce(Array(tagged.prefix(16)), .ethernet).skip == .truncatedLinkHeader)
        // Ethertype IPv4 but nothing after it.
        #expect(decodeOnce(F.ethernet(type: 0x0800, payload: []), .ethernet).skip == .badIPv4Header)
    }

    @Test func linuxCookedV1() {
        Self.expectTCPv4(decodeOnce(F.linuxSLL(protocol: 0x0800, payload: F.tcpV4), .linuxSLL))
        Self.expectUDPv6(decodeOnce(F.linuxSLL(protocol: 0x86DD, payload: F.udpV6), .linuxSLL))
        Self.expectTCPv4(decodeOnce(F.linuxSLL(protocol: 0x8100, payload: [0, 5, 8, 0] + F.tcpV4), .linuxSLL))
        #expect(decodeOnce(F.linuxSLL(protocol: 0x0806, payload: []), .linuxSLL).skip == .nonIP)
        #expect(decodeOnce(Array(F.linuxSLL(protocol: 0x0800, payload: []).prefix(15)), .linuxSLL).skip == .truncatedLinkHeader)
    }

    @Test func linuxCookedV2() {
        Self.expectTCPv4(decodeOnce(F.linuxSLL2(protocol: 0x0800, payload: F.tcpV4), .linuxSLL2))
        Self.expectUDPv6(decodeOnce(F.linuxSLL2(protocol: 0x86DD, payload: F.udpV6), .linuxSLL2))
        #expect(decodeOnce(F.linuxSLL2(protocol: 0x0806, payload: []), .linuxSLL2).skip == .nonIP)
        #expect(decodeOnce(Array(F.linuxSLL2(protocol: 0x0800, payload: []).prefix(19)), .linuxSLL2).skip == .truncatedLinkHeader)
    }

    @Test(arguments: [LinkType.raw, .rawOpenBSD, .linktypeRaw])
    func rawIPPicksTheVersion(linkType: LinkType) {
        Self.expectTCPv4(decodeOnce(F.tcpV4, linkType))
        Self.expectUDPv6(decodeOnce(F.udpV6, linkType))
        #expect(decodeOnce([0x50] + F.tcpV4.dropFirst(), linkType).skip == .nonIP)
        #expect(decodeOnce([], linkType).skip == .truncatedLinkHeader)
    }

    @Test func rawIPv4AndIPv6LinkTypes() {
        Self.expectTCPv4(decodeOnce(F.tcpV4, .ipv4))
        Self.expectUDPv6(decodeOnce(F.udpV6, .ipv6))
        #expect(decodeOnce(F.udpV6, .ipv4).skip == .badIPv4Header)
        #expect(decodeOnce(F.tcpV4, .ipv6).skip == .badIPv6Header)
        #expect(decodeOnce([], .ipv4).skip == .badIPv4Header)
        #expect(decodeOnce([], .ipv6).skip == .badIPv6Header)
    }

    @Test(arguments: [UInt32(10), 24, 28, 30])
    func bsdNullInBothByteOrders(inet6: UInt32) {
        for encode in [F.le32, F.be32] {
            Self.expectTCPv4(decodeOnce(encode(2) + F.tcpV4, .null))
            Self.expectUDPv6(decodeOnce(encode(inet6) + F.udpV6, .null))
        }
    }

    @Test func bsdNullSkips() {
        #expect(decodeOnce(F.le32(99) + F.tcpV4, .null).skip == .nonIP)
        #expect(decodeOnce([2, 0, 0], .null).skip == .truncatedLinkHeader)
    }

    @Test func openBSDLoopIsNetworkOrder() {
        Self.expectTCPv4(decodeOnce(F.be32(2) + F.tcpV4, .loop))
        Self.expectUDPv6(decodeOnce(F.be32(24) + F.udpV6, .loop))
        #expect(decodeOnce(F.le32(2) + F.tcpV4, .loop).skip == .nonIP)
        #expect(decodeOnce([0, 0, 0], .loop).skip == .truncatedLinkHeader)
    }

    @Test func unknownLinkType() {
        #expect(decodeOnce(F.tcpV4, LinkType(rawValue: 147)).skip == .unsupportedLinkType)
        #expect(decodeOnce([], LinkType(rawValue: -1)).skip == .unsupportedLinkType)
    }
}
