import PacketCapture
import Testing

@Suite struct IPv4DecoderTests {
    typealias F = RawFrames

    @Test(arguments: [4, 8, 40])
    func optionsAreSkipped(optionBytes: Int) {
        let options = [UInt8](repeating: 1, count: optionBytes) // NOPs
        let result = decodeOnce(F.ipv4(options: options, payload: F.tcp(payload: F.payload)), .ipv4)
        #expect(result.skip == nil)
        #expect(result.packet?.payload == F.payload)
        #expect(result.packet?.destinationPort == 443)
    }

    @Test func ethernetPaddingIsTrimmed() {
        let frame = F.ethernet(type: 0x0800, payload: F.ipv4(protocol: 17, payload: F.udp(payload: [7, 7]))) + [UInt8](repeating: 0xEE, count: 16)
        let result = decodeOnce(frame, .ethernet)
        #expect(result.packet?.payload == [7, 7])
        let tcpFrame = F.ethernet(type: 0x0800, payload: F.ipv4(payload: F.tcp(payload: [1]))) + [0, 0, 0, 0, 0]
        #expect(decodeOnce(tcpFrame, .ethernet).packet?.payload == [1])
    }

    @Test func snapLengthCutsThePayloadShort() {
        let frame = F.tcpV4
        let result = decodeOnce(Array(frame.prefix(frame.count - 10)), .ipv4)
        #expect(result.skip == nil)
        #expect(result.packet?.payload == Array(F.payload.dropLast(10)))
    }

    @Test("an IP length past the captured bytes is a snapshot cut only when the record says the frame was cut")
    func ipLengthPastAWholeFrame() {
        func decode(_ frame: [UInt8], _ linkType: LinkType, wireLength: Int) -> (skip: SkipReason?, payload: [UInt8]?, uncaptured: Int?) {
            var decoder = PacketDecoder()
            var payload: [UInt8]?
            var uncaptured: Int?
            let skip = frame.withUnsafeBytes { bytes in
                decoder.decode(bytes, linkType: linkType, time: .zero, wireLength: wireLength) { packet in
                    payload = Array(packet.payload)
                    uncaptured = packet.uncapturedLength
                }
            }
            return (skip, payload, uncaptured)
        }
        let v4 = Array(F.tcpV4.dropLast(10))
        let cutV4 = decode(v4, .ipv4, wireLength: F.tcpV4.count)
        #expect(cutV4.skip == nil && cutV4.payload == Array(F.payload.dropLast(10)) && cutV4.uncaptured == 10)
        #expect(decode(v4, .ipv4, wireLength: v4.count).skip == .badIPv4Length)
        let v6 = Array(F.ipv6(payload: F.tcp(payload: F.payload)).dropLast(7))
        let cutV6 = decode(v6, .ipv6, wireLength: v6.count + 7)
        #expect(cutV6.skip == nil && cutV6.uncaptured == 7)
        #expect(decode(v6, .ipv6, wireLength: v6.count).skip == .badIPv6Header)
        // A whole frame with padding after the IP packet is fine.
        let padded = F.ethernet(type: 0x0800, payload: F.tcpV4) + [0, 0, 0, 0]
        #expect(decode(padded, .ethernet, wireLength: padded.count).payload == F.payload)
    }

    @Test func payloadPointsIntoTheFrame() {
        let result = decodeOnce(F.ethernet(type: 0x0800, payload: F.tcpV4), .ethernet)
        #expect(result.packet?.payloadInFrame == true)
    }

    @Test func badHeaders() {
        let tcp = F.tcp(payload: F.payload)
        #expect(decodeOnce(Array(F.tcpV4.prefix(19)), .ipv4).skip == .badIPv4Header)
        #expect(decodeOnce(F.ipv4(version: 5, payload: tcp), .ipv4).skip == .badIPv4Header)
        #expect(decodeOnce(F.ipv4(headerWords: 4, payload: tcp), .ipv4).skip == .badIPv4Header)
        // IHL says 60 bytes but only 20 + 10 are captured.
        #expect(decodeOnce(F.ipv4(headerWords: 15, payload: [UInt8](repeating: 0, count: 10)), .ipv4).skip == .badIPv4Header)
        #expect(decodeOnce(F.ipv4(totalLength: 19, payload: tcp), .ipv4).skip == .badIPv4Length)
        #expect(decodeOnce(F.ipv4(options: [1, 1, 1, 1], totalLength: 22, payload: tcp), .ipv4).skip == .badIPv4Length)
    }

    @Test func otherProtocolsAreSkipped() {
        #expect(decodeOnce(F.ipv4(protocol: 1, payload: [8, 0, 0, 0, 0, 0, 0, 0]), .ipv4).skip == .otherTransport)
        #expect(decodeOnce(F.ipv4(protocol: 47, payload: []), .ipv4).skip == .otherTransport)
        // A fragment of a protocol we do not follow is not buffered.
        var decoder = PacketDecoder()
        #expect(decoder.run(F.ipv4(protocol: 1, moreFragments: true, payload: [UInt8](repeating: 0, count: 16)), .ipv4).skip == .otherTransport)
        #expect(decoder.fragmentStatistics.fragments == 0)
    }

    @Test func totalLengthShorterThanTransportHeader() {
        // Total length covers only 10 bytes of the TCP header.
        #expect(decodeOnce(F.ipv4(totalLength: 30, payload: F.tcp(payload: F.payload)), .ipv4).skip == .badTCPHeader)
    }
}
