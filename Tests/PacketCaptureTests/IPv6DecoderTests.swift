import PacketCapture
import Testing

@Suite struct IPv6DecoderTests {
    typealias F = RawFrames

    @Test func extensionHeadersAreWalked() {
        let chain = F.extensionHeader(next: 43)
            + F.extensionHeader(next: 60, units: 2)
            + F.extensionHeader(next: 51, units: 1)
            + F.authenticationHeader(next: 6, length: 4)
        let result = decodeOnce(F.ipv6(nextHeader: 0, payload: chain + F.tcp(payload: F.payload)), .ipv6)
        #expect(result.skip == nil)
        #expect(result.packet?.payload == F.payload)
        #expect(result.packet?.transport == .tcp)
    }

    @Test func otherNextHeadersAreOtherTransport() {
        for next: UInt8 in [58, 50, 59, 135, 1] {
            #expect(decodeOnce(F.ipv6(nextHeader: next, payload: [UInt8](repeating: 0, count: 16)), .ipv6).skip == .otherTransport)
        }
        let esp = F.extensionHeader(next: 50) + [UInt8](repeating: 0, count: 16)
        #expect(decodeOnce(F.ipv6(nextHeader: 60, payload: esp), .ipv6).skip == .otherTransport)
    }

    @Test func badExtensionHeaders() {
        var chain: [UInt8] = []
        for _ in 0..<9 { chain += F.extensionHeader(next: 60) }
        chain[chain.count - 8] = 17
        #expect(decodeOnce(F.ipv6(nextHeader: 60, payload: chain + F.udp()), .ipv6).skip == .ipv6ExtensionHeaders)
        // Eight are fine.
        #expect(decodeOnce(F.ipv6(nextHeader: 60, payload: Array(chain.dropFirst(8)) + F.udp()), .ipv6).skip == nil)
        // Header length past the payload.
        #expect(decodeOnce(F.ipv6(nextHeader: 0, payload: [6, 4, 0, 0, 0, 0, 0, 0] + F.tcp()), .ipv6).skip == .ipv6ExtensionHeaders)
        // Fewer than 8 bytes left for an extension header or a fragment header.
        #expect(decodeOnce(F.ipv6(nextHeader: 43, payload: [6, 0, 0]), .ipv6).skip == .ipv6ExtensionHeaders)
        #expect(decodeOnce(F.ipv6(nextHeader: 44, payload: [6, 0, 0, 0]), .ipv6).skip == .ipv6ExtensionHeaders)
        // Payload length ends the packet inside the chain, although more bytes were captured.
        let frame = F.ipv6(nextHeader: 60, payloadLength: 4, payload: F.extensionHeader(next: 6) + F.tcp())
        #expect(decodeOnce(frame, .ipv6).skip == .ipv6ExtensionHeaders)
    }

    @Test func badHeaders() {
        #expect(decodeOnce(Array(F.udpV6.prefix(39)), .ipv6).skip == .badIPv6Header)
        #expect(decodeOnce(F.ipv6(version: 4, payload: F.tcp()), .ipv6).skip == .badIPv6Header)
        #expect(decodeOnce(F.ipv6(payloadLength: 0, payload: F.tcp()), .ipv6).skip == .badIPv6Header)
        #expect(decodeOnce(F.ipv6(nextHeader: 0, payloadLength: 0, payload: F.extensionHeader(next: 6) + F.tcp()), .ipv6).skip == .badIPv6Header)
    }

    @Test func paddingTrimmedAndSnapLengthTolerated() {
        let padded = F.ethernet(type: 0x86DD, payload: F.ipv6(nextHeader: 17, payload: F.udp(payload: [5]))) + [0, 0, 0, 0]
        #expect(decodeOnce(padded, .ethernet).packet?.payload == [5])
        let cut = Array(F.udpV6.dropLast(5))
        #expect(decodeOnce(cut, .ipv6).packet?.payload == Array(F.payload.dropLast(5)))
    }

    @Test func atomicFragmentIsDecodedDirectly() {
        var decoder = PacketDecoder()
        let frame = F.ipv6(nextHeader: 44, payload: F.fragmentHeader(next: 6, offset: 0, more: false, identification: 9) + F.tcp(payload: [1, 2]))
        let result = decoder.run(frame, .ipv6)
        #expect(result.packet?.payload == [1, 2])
        #expect(result.packet?.payloadInFrame == true)
        #expect(decoder.fragmentStatistics == FragmentStatistics())
    }
}
