import PacketCapture
import TestSupport

/// Captures with damage: lost and reordered segments, a cut file, a cut snapshot length,
/// malformed packets, and a file that is not a capture.
enum DamagedCaptures {
    /// The recipes, in manifest order.
    static let recipes: [CaptureRecipe] = [
        CaptureRecipe(
            name: "gap", file: "synthetic-gap-reorder.pcap",
            covers: "Ethernet, TCP client stream re-cut, reordered (window 3), duplicated and overlapping retransmissions (same bytes), one segment lost",
            make: gap),
        CaptureRecipe(
            name: "truncated", file: "synthetic-truncated.pcap",
            covers: "Ethernet, file cut in the middle of the last record's data", make: truncated),
        CaptureRecipe(
            name: "snaplen", file: "synthetic-snaplen-96.pcap",
            covers: "Ethernet, snapshot length 96: data packets captured short (caplen < len)", make: snaplen),
        CaptureRecipe(
            name: "malformed", file: "synthetic-malformed.pcap",
            covers: "Ethernet, a valid conversation with malformed packets between: bad IHL, bad lengths, bad TCP offset, truncated headers, zero-length and runt frames, ARP",
            make: malformed),
        CaptureRecipe(
            name: "not-a-capture", file: "synthetic-not-a-capture.pcap",
            covers: "a text file with a .pcap name", make: notACapture),
    ]

    private static func gap() -> GeneratedCapture {
        var conversation = TCPConversation(
            client: Endpoint("10.9.0.1", 50000), server: Endpoint("10.9.0.2", 9600),
            clientInitialSequence: 0x0BAD_F00D, serverInitialSequence: 0x600D_CAFE,
            start: Recipe.time(microseconds: 0), step: 80_000)
        conversation.handshake()
        let segments = conversation.makeSegments(from: .client, Recipe.text(30_000, seed: 22))
        var mangler = StreamMangler(
            seed: 7, pieceSizes: 200...1460, reorderWindow: 3, duplicateProbability: 0.05,
            overlapProbability: 0.05, dropCount: 1)
        let result = mangler.mangle(segments)
        conversation.append(result.segments, from: .client)
        conversation.acknowledge(from: .server)
        conversation.send(from: .server, Recipe.text(8000, seed: 23))
        conversation.close()
        let gaps = result.lost.map { "\($0.length) B at seq \($0.sequence) (stream offset \($0.sequence &- 0x0BAD_F00E))" }
        return Recipe.pcap(conversation.frames(), linkType: .ethernet, expected: """
            1 TCP flow \(Recipe.flow(conversation, clientBytes: 30000 - result.lostBytes, serverBytes: 8000, note: "c2s delivered bytes; 30000 sent")); \
            c2s gap: \(gaps.joined(separator: ", ")); \(result.segments.count) c2s data segments with \
            reordering and retransmissions; s2c clean
            """)
    }

    private static func truncated() -> GeneratedCapture {
        var conversation = TCPConversation(
            client: Endpoint("10.10.0.1", 50100), server: Endpoint("10.10.0.2", 9700),
            start: Recipe.time(microseconds: 0))
        conversation.handshake()
        conversation.send(from: .client, Recipe.text(300, seed: 24))
        conversation.send(from: .server, Recipe.text(1000, seed: 25), acknowledge: false)
        var bytes = PcapWriter.fileBytes(conversation.frames(), linkType: .ethernet)
        let lastFrame = conversation.frames().last?.frame.count ?? 0
        bytes.removeLast(lastFrame / 2)
        return GeneratedCapture(bytes: bytes, packets: conversation.packets.count - 1, expected: """
            \(conversation.packets.count - 1) complete packets, then a truncated record (header says \(lastFrame) B, \
            \(lastFrame - lastFrame / 2) present): the reader reports a truncated file after them; 1 TCP flow \
            \(conversation.client) -> \(conversation.server) c2s 300 B, s2c 0 B before the cut
            """)
    }

    private static func snaplen() -> GeneratedCapture {
        let conversation = Recipe.exchange(
            client: Endpoint("10.11.0.1", 50200), server: Endpoint("10.11.0.2", 9800),
            request: 1000, response: 3000, startMicroseconds: 0, seed: 26)
        let dataPackets = conversation.packets.filter { 54 + $0.segment.payload.count + $0.options.count > 96 }.count
        return Recipe.pcap(conversation.frames(), linkType: .ethernet, expected: """
            1 TCP flow \(conversation.client) -> \(conversation.server) sending 1000 B / 3000 B, but \(dataPackets) \
            data packets are cut at 96 bytes (42 payload bytes captured each): payload missing from every \
            data segment (snaplen gaps), handshake and FIN complete
            """, snapshotLength: 96)
    }

    private static func notACapture() -> GeneratedCapture {
        let text = """
            This is not a packet capture. TapSentry must reject it with a clear error
            ("unknown file format" from libpcap) instead of crashing or reading garbage.

            """
        return GeneratedCapture(bytes: Array(text.utf8), packets: 0, expected: "open fails: not a capture file")
    }

    /// One malformed frame and the skip reason the parser should count for it.
    private struct Bad {
        var reason: String
        var frame: [UInt8]
    }

    private static func malformed() -> GeneratedCapture {
        let client = Endpoint("10.12.0.1", 50300)
        let server = Endpoint("10.12.0.2", 9900)
        let conversation = Recipe.exchange(
            client: client, server: server, request: 500, response: 700, startMicroseconds: 0, seed: 27)
        let builder = FrameBuilder()
        let sample = builder.tcp(from: client, to: server, sequence: 1, payload: Array("malformed".utf8))

        func patched(_ frame: [UInt8], fixChecksum: Bool = true, _ edit: (inout [UInt8]) -> Void) -> [UInt8] {
            var copy = frame
            edit(&copy)
            if fixChecksum { IPv4Fields.fixChecksum(in: &copy, at: 14) }
            return copy
        }
        let v6 = builder.tcp(from: Endpoint("2001:db8:12::1", 50301), to: Endpoint("2001:db8:12::2", 9901), sequence: 1, payload: [1, 2, 3])
        var hopByHop = FrameBuilder()
        hopByHop.ipv6.extensionHeaders = [.hopByHop()]
        let v6Options = hopByHop.tcp(from: Endpoint("2001:db8:12::1", 50302), to: Endpoint("2001:db8:12::2", 9902), sequence: 1)
        let udp = builder.udp(from: Endpoint("10.12.0.1", 50303), to: Endpoint("10.12.0.2", 9903), payload: [1, 2, 3, 4])
        var arp: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06]
        arp += [0, 1, 0x08, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 1, 10, 12, 0, 1, 0, 0, 0, 0, 0, 0, 10, 12, 0, 2]
        arp += [UInt8](repeating: 0, count: 18)

        let bad: [Bad] = [
            Bad(reason: "ipv4.bad_header (IHL 4)", frame: patched(sample) { $0[14] = 0x44 }),
            Bad(reason: "ipv4.bad_header (IHL 15 beyond total length)", frame: patched(sample) { $0[14] = 0x4F }),
            Bad(reason: "ipv4.bad_length (total length 12 < header)", frame: patched(sample) { $0[16] = 0; $0[17] = 12 }),
            Bad(reason: "ipv4.bad_length (total length 1500 > captured)", frame: patched(sample) { $0[16] = 0x05; $0[17] = 0xDC }),
            Bad(reason: "ipv4.bad_header (version 5)", frame: patched(sample) { $0[14] = 0x55 }),
            Bad(reason: "ipv4.bad_header (truncated: 12 of 20 header bytes)", frame: Array(sample[0..<26])),
            Bad(reason: "tcp.bad_header (data offset 2)", frame: patched(sample, fixChecksum: false) { $0[46] = 0x20 }),
            Bad(reason: "tcp.bad_header (data offset 15 beyond segment)", frame: patched(sample, fixChecksum: false) { $0[46] = 0xF0 }),
            Bad(reason: "tcp.bad_header (10 of 20 header bytes)", frame: patched(Array(sample[0..<44])) { $0[16] = 0; $0[17] = 30 }),
            Bad(reason: "udp.bad_header (length 200 > datagram)", frame: patched(udp, fixChecksum: false) { $0[38] = 0; $0[39] = 200 }),
            Bad(reason: "udp.bad_header (4 of 8 header bytes)", frame: patched(Array(udp[0..<38])) { $0[16] = 0; $0[17] = 24 }),
            Bad(reason: "ipv6.bad_header (truncated: 20 of 40 header bytes)", frame: Array(v6[0..<34])),
            Bad(reason: "ipv6.bad_header (payload length 4000 > captured)", frame: patched(v6, fixChecksum: false) { $0[18] = 0x0F; $0[19] = 0xA0 }),
            Bad(reason: "ipv6.bad_extension_header (Hop-by-Hop length beyond packet)", frame: patched(v6Options, fixChecksum: false) { $0[55] = 200 }),
            Bad(reason: "ipv4.bad_length (fragment ending past 65535)", frame: patched(sample) { $0[20] = 0x1F; $0[21] = 0xFF }),
            Bad(reason: "link.truncated (8-byte runt)", frame: Array(sample[0..<8])),
            Bad(reason: "link.truncated (VLAN tag cut)", frame: [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0x00]),
            Bad(reason: "link.truncated (zero-length record)", frame: []),
            Bad(reason: "link.not_ip (ARP)", frame: arp),
        ]

        var frames = conversation.frames()
        for (index, item) in bad.enumerated() {
            let at = min(3 + 2 * index, frames.count - 1)
            frames.insert((frames[at - 1].time.adding(nanoseconds: 1000), item.frame), at: at)
        }
        var counts: [String: Int] = [:]
        for item in bad { counts[String(item.reason.prefix { $0 != " " }), default: 0] += 1 }
        let summary = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return Recipe.pcap(frames, linkType: .ethernet, expected: """
            1 valid TCP flow \(Recipe.flow(conversation, clientBytes: 500, serverBytes: 700)); \(bad.count) malformed \
            packets skipped, suggested reasons: \(summary). In order: \(bad.map(\.reason).joined(separator: "; "))
            """)
    }
}
