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
