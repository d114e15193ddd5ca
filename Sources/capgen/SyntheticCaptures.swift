import PacketCapture
import TestSupport

/// Well-formed captures of link layers and IP features a loopback recording cannot give.
enum SyntheticCaptures {
    /// The recipes, in manifest order.
    static let recipes: [CaptureRecipe] = [
        CaptureRecipe(
            name: "vlan", file: "synthetic-vlan-qinq.pcap",
            covers: "Ethernet (1): 802.1Q VLAN 100, QinQ 802.1ad 10 / 802.1Q 20, IPv6 on VLAN 200; short frames padded to 60 bytes",
            make: vlan),
        CaptureRecipe(
            name: "raw4", file: "synthetic-raw-ipv4.pcap",
            covers: "LINKTYPE_IPV4 (228): TCP conversation and a UDP request/response", make: rawIPv4),
        CaptureRecipe(
            name: "raw6", file: "synthetic-raw-ipv6.pcap",
            covers: "LINKTYPE_IPV6 (229): TCP conversation over IPv6", make: rawIPv6),
        CaptureRecipe(
            name: "raw", file: "synthetic-raw.pcap",
            covers: "LINKTYPE_RAW (101, DLT_RAW 12): IPv4 and IPv6 conversations in one file", make: raw),
        CaptureRecipe(
            name: "null", file: "synthetic-null.pcap",
            covers: "BSD NULL (0): AF_INET little-endian, AF_INET6=30 (Darwin) little-endian, AF_INET big-endian",
            make: null),
        CaptureRecipe(
            name: "loop", file: "synthetic-loop.pcap",
            covers: "OpenBSD LOOP (108): AF in network order, AF_INET and AF_INET6=24", make: loop),
        CaptureRecipe(
            name: "ipv4-frag", file: "synthetic-ipv4-fragments.pcap",
            covers: "Ethernet, IPv4 fragments: TCP data segments in 3 fragments (every other packet's fragments in reverse order, one duplicated fragment), a fragmented UDP datagram",
            make: ipv4Fragments),
        CaptureRecipe(
            name: "ipv6-ext", file: "synthetic-ipv6-ext-fragments.pcap",
            covers: "Ethernet, IPv6 extension headers (Hop-by-Hop, Destination Options, Routing type 0 segments-left 0) on every packet, fragmented data segments (some out of order), one atomic fragment",
            make: ipv6Extensions),
        CaptureRecipe(
            name: "midstream", file: "synthetic-midstream.pcap",
            covers: "Ethernet, TCP picked up mid-stream: no SYN, data both ways, FIN close", make: midstream),
        CaptureRecipe(
            name: "wrap", file: "synthetic-seq-wrap.pcap",
            covers: "Ethernet, TCP sequence numbers wrapping past 2^32 in both directions, nanosecond pcap",
            make: wraparound),
        CaptureRecipe(
            name: "pcapng", file: "synthetic-two-interfaces.pcapng",
            covers: "pcapng, two Ethernet interfaces (if_tsresol micro and nano), one conversation on each",
            make: twoInterfaces),
    ]

    private static func vlan() -> GeneratedCapture {
        let first = Recipe.exchange(
            client: Endpoint("10.0.100.1", 40100), server: Endpoint("10.0.100.2", 8080),
            builder: FrameBuilder(link: .ethernet(vlanTags: [.dot1Q(100)], minimumLength: 60)),
            request: 200, response: 3000, startMicroseconds: 0, seed: 100)
        let second = Recipe.exchange(
            client: Endpoint("10.0.20.1", 40020), server: Endpoint("10.0.20.2", 8080),
            builder: FrameBuilder(link: .ethernet(vlanTags: [.dot1AD(10), .dot1Q(20, priority: 5)], minimumLength: 60)),
            request: 300, response: 5000, startMicroseconds: 50, seed: 20)
        let third = Recipe.exchange(
            client: Endpoint("2001:db8:200::1", 40200), server: Endpoint("2001:db8:200::2", 8080),
            builder: FrameBuilder(link: .ethernet(vlanTags: [.dot1Q(200)], minimumLength: 60)),
            request: 100, response: 100, startMicroseconds: 90, seed: 200)
        let frames = TCPConversation.interleave([first, second, third])
        return Recipe.pcap(frames, linkType: .ethernet, expected: """
            3 TCP flows, all with handshake and FIN: \(Recipe.flow(first, clientBytes: 200, serverBytes: 3000, note: "VLAN 100")); \
            \(Recipe.flow(second, clientBytes: 300, serverBytes: 5000, note: "QinQ 10/20")); \
            \(Recipe.flow(third, clientBytes: 100, serverBytes: 100, note: "VLAN 200"))
            """)
    }

    private static func rawIPv4() -> GeneratedCapture {
        let builder = FrameBuilder(link: .rawIPv4)
        let tcp = Recipe.exchange(
            client: Endpoint("192.0.2.10", 51000), server: Endpoint("192.0.2.20", 443), builder: builder,
            request: 517, response: 4000, startMicroseconds: 0, seed: 4)
        let query = Endpoint("192.0.2.10", 53535)
        let resolver = Endpoint("192.0.2.53", 7053)
        var frames = tcp.frames()
        frames.append((Recipe.time(microseconds: 5000), builder.udp(from: query, to: resolver, payload: Recipe.text(33, seed: 5))))
        frames.append((Recipe.time(microseconds: 5400), builder.udp(from: resolver, to: query, payload: Recipe.text(120, seed: 6))))
        return Recipe.pcap(frames, linkType: .ipv4, expected: """
            1 TCP flow \(Recipe.flow(tcp, clientBytes: 517, serverBytes: 4000)); \
            1 UDP flow \(query) -> \(resolver): query 33 B, reply 120 B
            """)
    }

    private static func rawIPv6() -> GeneratedCapture {
        let tcp = Recipe.exchange(
            client: Endpoint("2001:db8::10", 51001), server: Endpoint("2001:db8::20", 443),
            builder: FrameBuilder(link: .rawIPv6), request: 700, response: 9000, startMicroseconds: 0, seed: 6)
        return Recipe.pcap(tcp.frames(), linkType: .ipv6, expected: "1 TCP flow \(Recipe.flow(tcp, clientBytes: 700, serverBytes: 9000))")
    }

    private static func raw() -> GeneratedCapture {
        let builder = FrameBuilder(link: .raw)
        let v4 = Recipe.exchange(
            client: Endpoint("198.51.100.1", 52000), server: Endpoint("198.51.100.2", 9000), builder: builder,
            request: 64, response: 2048, startMicroseconds: 0, seed: 101)
        let v6 = Recipe.exchange(
            client: Endpoint("2001:db8:101::1", 52001), server: Endpoint("2001:db8:101::2", 9000), builder: builder,
            request: 128, response: 1024, startMicroseconds: 75, seed: 102)
        return Recipe.pcap(TCPConversation.interleave([v4, v6]), linkType: .raw, expected: """
            2 TCP flows: \(Recipe.flow(v4, clientBytes: 64, serverBytes: 2048)); \(Recipe.flow(v6, clientBytes: 128, serverBytes: 1024))
            """)
    }

    private static func null() -> GeneratedCapture {
        let little = Recipe.exchange(
            client: Endpoint("127.0.0.1", 53000), server: Endpoint("127.0.0.1", 7000),
            builder: FrameBuilder(link: .null()), request: 100, response: 1000, startMicroseconds: 0, seed: 7)
        let v6 = Recipe.exchange(
            client: Endpoint("::1", 53001), server: Endpoint("::1", 7001),
            builder: FrameBuilder(link: .null(ipv6Family: 30)), request: 200, response: 2000, startMicroseconds: 40, seed: 8)
        let big = Recipe.exchange(
            client: Endpoint("127.0.0.1", 53002), server: Endpoint("127.0.0.1", 7002),
            builder: FrameBuilder(link: .null(bigEndian: true)), request: 300, response: 3000, startMicroseconds: 80, seed: 9)
        return Recipe.pcap(TCPConversation.interleave([little, v6, big]), linkType: .null, expected: """
            3 TCP flows: \(Recipe.flow(little, clientBytes: 100, serverBytes: 1000, note: "AF 2 LE")); \
            \(Recipe.flow(v6, clientBytes: 200, serverBytes: 2000, note: "AF 30 LE")); \
            \(Recipe.flow(big, clientBytes: 300, serverBytes: 3000, note: "AF 2 BE"))
            """)
    }

    private static func loop() -> GeneratedCapture {
        let v4 = Recipe.exchange(
            client: Endpoint("127.0.0.1", 54000), server: Endpoint("127.0.0.1", 7100),
            builder: FrameBuilder(link: .loop()), request: 150, response: 1500, startMicroseconds: 0, seed: 10)
        let v6 = Recipe.exchange(
            client: Endpoint("::1", 54001), server: Endpoint("::1", 7101),
            builder: FrameBuilder(link: .loop()), request: 250, response: 2500, startMicroseconds: 60, seed: 11)
        return Recipe.pcap(TCPConversation.interleave([v4, v6]), linkType: .loop, expected: """
            2 TCP flows: \(Recipe.flow(v4, clientBytes: 150, serverBytes: 1500)); \(Recipe.flow(v6, clientBytes: 250, serverBytes: 2500))
            """)
    }

    private static func ipv4Fragments() -> GeneratedCapture {
        let conversation = Recipe.exchange(
            client: Endpoint("10.4.0.1", 45000), server: Endpoint("10.4.0.2", 9100),
            request: 4000, response: 6000, startMicroseconds: 0, seed: 12, maximumSegmentSize: 1400)
        var builder = conversation.builder
        builder.ipv4.dontFragment = false
        var frames: [TimedFrame] = []
        var dataPackets = 0
        var fragmentRecords = 0
        for (index, packet) in conversation.packets.enumerated() {
            builder.ipv4.identification = UInt16(0x4000 + index)
            guard !packet.segment.payload.isEmpty else {
                frames.append((packet.time, conversation.frame(for: packet, using: builder)))
                continue
            }
            let side = packet.side == .client ? builder : builder.reversed
            var fragments = side.fragmentFrames(
                ipPacket: conversation.ipPacket(for: packet, using: builder), fragmentPayloadSize: 512)
            if dataPackets % 2 == 1 { fragments.reverse() }
            if dataPackets == 2, let middle = fragments.dropFirst().first { fragments.insert(middle, at: 2) }
            dataPackets += 1
            for (offset, fragment) in fragments.enumerated() {
                frames.append((packet.time.adding(nanoseconds: Int64(offset) * 10_000), fragment))
                fragmentRecords += 1
            }
        }
        let udpClient = Endpoint("10.4.0.1", 45001)
        let udpServer = Endpoint("10.4.0.2", 9101)
        builder.ipv4.identification = 0x4FFF
        let datagram = builder.udpPacket(from: udpClient, to: udpServer, payload: Recipe.text(3000, seed: 13))
        let udpFragments = builder.fragmentFrames(ipPacket: datagram, fragmentPayloadSize: 1480)
        let end = frames.last?.time ?? Recipe.time(microseconds: 0)
        for (offset, fragment) in udpFragments.enumerated() {
            frames.append((end.adding(nanoseconds: 100_000 + Int64(offset) * 10_000), fragment))
        }
        return Recipe.pcap(frames, linkType: .ethernet, expected: """
            1 TCP flow \(Recipe.flow(conversation, clientBytes: 4000, serverBytes: 6000)); \(dataPackets) data \
            segments arrive as \(fragmentRecords) fragments (one duplicate); 1 UDP flow \(udpClient) -> \(udpServer) \
            with one 3000 B datagram in \(udpFragments.count) fragments
            """)
    }

    private static func ipv6Extensions() -> GeneratedCapture {
        var builder = FrameBuilder()
        builder.ipv6.extensionHeaders = [
            .hopByHop(options: [5, 2, 0, 0]),  // router alert
            .destinationOptions(options: [0x1E, 2, 0xAB, 0xCD]),
        ]
        let conversation = Recipe.exchange(
            client: Endpoint("2001:db8:6::1", 46000), server: Endpoint("2001:db8:6::2", 9200), builder: builder,
            request: 3000, response: 5000, startMicroseconds: 0, seed: 14, maximumSegmentSize: 1400)
        var frames: [TimedFrame] = []
        var dataPackets = 0
        var routed = builder
        routed.ipv6.extensionHeaders.insert(.routing(type: 0, segmentsLeft: 0), at: 1)
        var atomic = builder
        atomic.ipv6.extensionHeaders.append(.fragment(offset: 0, moreFragments: false, identification: 0x600D))
        for (index, packet) in conversation.packets.enumerated() {
            guard !packet.segment.payload.isEmpty else {
                frames.append((packet.time, conversation.frame(for: packet, using: index == 1 ? atomic : builder)))
                continue
            }
            let chosen = dataPackets % 3 == 0 ? routed : builder
            let side = packet.side == .client ? chosen : chosen.reversed
            var fragments = side.fragmentFrames(
                ipPacket: conversation.ipPacket(for: packet, using: chosen), fragmentPayloadSize: 600,
                identification: 0x6000 + UInt32(index))
            if dataPackets % 2 == 1, fragments.count > 1 { fragments.swapAt(0, fragments.count - 1) }
            dataPackets += 1
            for (offset, fragment) in fragments.enumerated() {
                frames.append((packet.time.adding(nanoseconds: Int64(offset) * 10_000), fragment))
            }
        }
        return Recipe.pcap(frames, linkType: .ethernet, expected: """
            1 TCP flow \(Recipe.flow(conversation, clientBytes: 3000, serverBytes: 5000)); every packet carries \
            Hop-by-Hop + Destination Options; \(dataPackets) data segments fragmented (600 B fragments), the \
            SYN-ACK is an atomic fragment
            """)
    }

    private static func midstream() -> GeneratedCapture {
        var conversation = TCPConversation(
            client: Endpoint("172.16.5.1", 47000), server: Endpoint("172.16.5.2", 9300),
            clientInitialSequence: 0x1234_5678, serverInitialSequence: 0x8765_4321,
            start: Recipe.time(microseconds: 0), step: 120_000)
        conversation.send(from: .server, Recipe.text(2500, seed: 15))
        conversation.send(from: .client, Recipe.text(400, seed: 16))
        conversation.send(from: .server, Recipe.text(3000, seed: 17))
        conversation.close(from: .server)
        return Recipe.pcap(conversation.frames(), linkType: .ethernet, expected: """
            1 TCP flow picked up mid-stream (no SYN; the first packet is server data, so the direction may be \
            guessed from ports): \(Recipe.flow(conversation, clientBytes: 400, serverBytes: 5500)), closed by the server's FIN
            """)
    }

    private static func wraparound() -> GeneratedCapture {
        var conversation = TCPConversation(
            client: Endpoint("10.7.0.1", 48000), server: Endpoint("10.7.0.2", 9400),
            clientInitialSequence: 0xFFFF_F000, serverInitialSequence: 0xFFFF_FF00,
            start: Recipe.time(microseconds: 0), step: 33_333)
        conversation.handshake()
        conversation.send(from: .client, Recipe.text(20_000, seed: 18))
        conversation.send(from: .server, Recipe.text(20_000, seed: 19))
        conversation.close()
        return Recipe.pcap(conversation.frames(), linkType: .ethernet, expected: """
            1 TCP flow \(Recipe.flow(conversation, clientBytes: 20000, serverBytes: 20000)); client ISN 0xFFFFF000, \
            server ISN 0xFFFFFF00, both wrap; no gaps
            """, nanosecond: true)
    }

    private static func twoInterfaces() -> GeneratedCapture {
        let first = Recipe.exchange(
            client: Endpoint("10.8.0.1", 49000), server: Endpoint("10.8.0.2", 9500),
            request: 500, response: 1500, startMicroseconds: 0, seed: 20)
        let second = Recipe.exchange(
            client: Endpoint("10.8.1.1", 49001), server: Endpoint("10.8.1.2", 9501),
            request: 600, response: 1600, startMicroseconds: 30, seed: 21)
        let writer = PcapngWriter()
        let micro = writer.addInterface(linkType: .ethernet, name: "eth0")
        let nano = writer.addInterface(linkType: .ethernet, nanosecond: true, name: "eth1")
        var all: [(TimedFrame, Int)] = first.frames().map { ($0, micro) } + second.frames().map { ($0, nano) }
        all.sort { $0.0.time < $1.0.time }
        for (item, interface) in all { writer.write(frame: item.frame, time: item.time, interface: interface) }
        return GeneratedCapture(bytes: writer.bytes, packets: all.count, expected: """
            2 TCP flows: \(Recipe.flow(first, clientBytes: 500, serverBytes: 1500, note: "eth0, microseconds")); \
            \(Recipe.flow(second, clientBytes: 600, serverBytes: 1600, note: "eth1, nanoseconds"))
            """)
    }
}
