import PacketCapture
import Testing
import TestSupport

/// Checks of the TestSupport frame builders: checksums, link headers, fragments, conversations
/// and the stream mangler.
@Suite struct FrameBuilderTests {
    let client4 = Endpoint("10.1.2.3", 40000)
    let server4 = Endpoint("10.9.8.7", 443)
    let client6 = Endpoint("2001:db8::1", 40000)
    let server6 = Endpoint("2001:db8::2", 443)

    /// Whether the transport checksum of an IP packet (no link header) verifies.
    static func transportChecksumIsValid(_ packet: [UInt8]) -> Bool {
        let isIPv6 = packet[0] >> 4 == 6
        var headerLength = isIPv6 ? 40 : Int(packet[0] & 0x0F) * 4
        var next = isIPv6 ? packet[6] : packet[9]
        while isIPv6 && [0, 43, 60].contains(next) {
            next = packet[headerLength]
            headerLength += (Int(packet[headerLength + 1]) + 1) * 8
        }
        let source = isIPv6 ? Array(packet[8..<24]) : Array(packet[12..<16])
        let destination = isIPv6 ? Array(packet[24..<40]) : Array(packet[16..<20])
        let transport = Array(packet[headerLength...])
        let length = transport.count
        let pseudo = source + destination + [0, 0, UInt8(length >> 8), UInt8(length & 0xFF), 0, 0, 0, next]
        return InternetChecksum.checksum(pseudo + transport) == 0
    }

    @Test func ipv4TCPChecksumsAreValid() {
        var builder = FrameBuilder(link: .rawIPv4)
        builder.ipv4.options = [0x94, 0x04, 0, 0]  // router alert
        let packet = builder.tcp(
            from: client4, to: server4, sequence: 1, acknowledgement: 2, flags: [.ack, .psh],
            options: TCPOption.synOptions(), payload: Array("hello, odd length".utf8))
        #expect(packet[0] == 0x46)
        #expect(InternetChecksum.checksum(Array(packet[0..<24])) == 0)
        #expect(Self.transportChecksumIsValid(packet))
    }

    @Test func ipv6UDPWithExtensionHeadersChecksumIsValid() {
        var builder = FrameBuilder(link: .rawIPv6)
        builder.ipv6.extensionHeaders = [.hopByHop(), .routing(), .destinationOptions(options: [0x1E, 1, 0])]
        let packet = builder.udp(from: client6, to: server6, payload: [1, 2, 3, 4, 5])
        #expect(packet[6] == 0)
        #expect(packet.count == 40 + 8 + 8 + 8 + 8 + 5)
        #expect(Self.transportChecksumIsValid(packet))
    }

    @Test func linkHeaders() {
        let tags: [VLANTag] = [.dot1AD(100), .dot1Q(200)]
        let ethernet = FrameBuilder(link: .ethernet(vlanTags: tags, minimumLength: 60))
            .tcp(from: client4, to: server4, sequence: 0)
        #expect(ethernet.count == 62)
        #expect(Array(ethernet[12..<22]) == [0x88, 0xA8, 0x00, 100, 0x81, 0x00, 0x00, 200, 0x08, 0x00])
        let short = FrameBuilder(link: .ethernet(minimumLength: 60)).udp(from: client4, to: server4, payload: [])
        #expect(short.count == 60 && short[42...].allSatisfy { $0 == 0 })
        let sll = FrameBuilder(link: .linuxSLL()).tcp(from: client6, to: server6, sequence: 0)
        #expect(Array(sll[14..<16]) == [0x86, 0xDD] && sll[16] >> 4 == 6)
        let sll2 = FrameBuilder(link: .linuxSLL2()).tcp(from: client4, to: server4, sequence: 0)
        #expect(Array(sll2[0..<2]) == [0x08, 0x00] && sll2[20] == 0x45)
        let null = FrameBuilder(link: .null()).tcp(from: client6, to: server6, sequence: 0)
        #expect(Array(null[0..<4]) == [30, 0, 0, 0])
        let nullBig = FrameBuilder(link: .null(bigEndian: true)).tcp(from: client4, to: server4, sequence: 0)
        #expect(Array(nullBig[0..<4]) == [0, 0, 0, 2])
        let loop = FrameBuilder(link: .loop()).tcp(from: client6, to: server6, sequence: 0)
        #expect(Array(loop[0..<4]) == [0, 0, 0, 24])
    }

    @Test func reusedBufferGivesSameFrame() {
        let builder = FrameBuilder()
        var buffer = [UInt8](repeating: 0xEE, count: 3000)
        let payload: [UInt8] = [9, 8, 7]
        payload.withUnsafeBytes {
            builder.tcp(into: &buffer, from: client4, to: server4, sequence: 5, payload: $0)
        }
        #expect(buffer == builder.tcp(from: client4, to: server4, sequence: 5, payload: payload))
    }

    @Test func ipv4FragmentsCarryThePayload() {
        let payload = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
        var builder = FrameBuilder(link: .rawIPv4)
        builder.ipv4.dontFragment = false
        builder.ipv4.identification = 77
        let packet = builder.tcpPacket(from: client4, to: server4, sequence: 9, payload: payload)
        let fragments = IPFragmenter.fragmentIPv4(packet, fragmentPayloadSize: 300)
        #expect(fragments.count == 4)
        var joined: [UInt8] = []
        for (index, fragment) in fragments.enumerated() {
            #expect(InternetChecksum.checksum(Array(fragment[0..<20])) == 0)
            let field = Int(fragment[6]) << 8 | Int(fragment[7])
            #expect(field & 0x1FFF == index * 296 / 8)
            #expect((field & 0x2000 != 0) == (index < 3))
            joined += fragment[20...]
        }
        #expect(joined == Array(packet[20...]))
    }

    @Test func ipv6FragmentsKeepUnfragmentablePart() {
        var builder = FrameBuilder(link: .rawIPv6)
        builder.ipv6.extensionHeaders = [.hopByHop(), .destinationOptions()]
        let packet = builder.tcpPacket(from: client6, to: server6, sequence: 1, payload: [UInt8](repeating: 7, count: 500))
        let fragments = IPFragmenter.fragmentIPv6(packet, fragmentPayloadSize: 200, identification: 0xABCD)
        #expect(fragments.count == 3)
        var joined: [UInt8] = []
        for fragment in fragments {
            #expect(fragment[6] == 0 && fragment[40] == 44)
            #expect(fragment[48] == 60)  // the fragment header's next header: destination options
            #expect(Int(fragment[4]) << 8 | Int(fragment[5]) == fragment.count - 40)
            joined += fragment[56...]
        }
        #expect(joined == Array(packet[48...]))
    }

    @Test func conversationSequenceNumbersWrap() {
        var conversation = TCPConversation(
            client: client4, server: server4, clientInitialSequence: 0xFFFF_FF00, maximumSegmentSize: 100)
        conversation.handshake()
        conversation.send(from: .client, [UInt8](repeating: 1, count: 450))
        conversation.send(from: .server, [UInt8](repeating: 2, count: 10))
        conversation.close()
        let clientData = conversation.segments(from: .client).filter { !$0.payload.isEmpty }
        #expect(clientData.map(\.sequence) == [0xFFFF_FF01, 0xFFFF_FF65, 0xFFFF_FFC9, 0x0000_002D, 0x0000_0091])
        #expect(conversation.clientNextSequence == 0x0000_00C4)  // after FIN
        let last = conversation.packets.last
        #expect(last?.side == .client && last?.acknowledgement == 0x2000_0000 &+ 12)
        let times = conversation.frames().map(\.time.nanoseconds)
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 == 100_000 })
    }

    @Test func manglerIsDeterministicAndReportsLoss() {
        let data = (0..<20_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var conversation = TCPConversation(client: client4, server: server4, clientInitialSequence: 0xFFFF_0000)
        let segments = conversation.makeSegments(from: .client, data)
        var first = StreamMangler(seed: 1, duplicateProbability: 0.2, overlapProbability: 0.2, dropCount: 2)
        var second = StreamMangler(seed: 1, duplicateProbability: 0.2, overlapProbability: 0.2, dropCount: 2)
        let result = first.mangle(segments)
        #expect(result.segments == second.mangle(segments).segments)
        #expect(result.lost.count == 2)
        var stream = [UInt8?](repeating: nil, count: data.count)
        for segment in result.segments {
            let start = Int(segment.sequence &- 0xFFFF_0000)
            for (index, byte) in segment.payload.enumerated() {
                #expect(stream[start + index] == nil || stream[start + index] == byte)
                stream[start + index] = byte
            }
        }
        for range in result.lost {
            let start = Int(range.sequence &- 0xFFFF_0000)
            #expect(stream[start..<(start + range.length)].allSatisfy { $0 == nil })
        }
        #expect(stream.compactMap { $0 }.count == data.count - result.lostBytes)
        #expect(result.segments.map(\.sequence) != result.segments.map(\.sequence).sorted())
    }
}
