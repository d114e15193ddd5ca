import PacketCapture
import Testing

@Suite struct FragmentReassemblerTests {
    typealias F = RawFrames

    /// A UDP datagram of `size` payload bytes with a recognisable pattern.
    static func udpDatagram(size: Int, seed: UInt8 = 0) -> [UInt8] {
        F.udp(sourcePort: 1111, destinationPort: 2222, payload: (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ Int(seed)) })
    }

    /// IPv4 fragments of `datagram` cut at the given offsets (multiples of 8).
    static func ipv4Fragments(_ datagram: [UInt8], cuts: [Int], identification: Int = 77) -> [[UInt8]] {
        let bounds = [0] + cuts + [datagram.count]
        return (0..<(bounds.count - 1)).map { index in
            F.ipv4(protocol: 17, identification: identification, moreFragments: index < bounds.count - 2,
                   fragmentOffset: bounds[index], payload: Array(datagram[bounds[index]..<bounds[index + 1]]))
        }
    }

    /// IPv6 fragments of the fragmentable part `part` (starting with header `next`) cut at the offsets.
    static func ipv6Fragments(_ part: [UInt8], next: UInt8, cuts: [Int], identification: UInt32 = 0xDEAD_BEEF) -> [[UInt8]] {
        let bounds = [0] + cuts + [part.count]
        return (0..<(bounds.count - 1)).map { index in
            F.ipv6(nextHeader: 0, payload: F.extensionHeader(next: 44)
                + F.fragmentHeader(next: next, offset: bounds[index], more: index < bounds.count - 2, identification: identification)
                + Array(part[bounds[index]..<bounds[index + 1]]))
        }
    }

    static func expectUDP(_ result: DecodeResult, _ datagram: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.skip == nil, sourceLocation: sourceLocation)
        #expect(result.packet?.payload == Array(datagram.dropFirst(8)), sourceLocation: sourceLocation)
        #expect(result.packet?.sourcePort == 1111, sourceLocation: sourceLocation)
        #expect(result.packet?.payloadInFrame == false, sourceLocation: sourceLocation)
    }

    @Test func ipv4InOrder() {
        let datagram = Self.udpDatagram(size: 3000)
        let fragments = Self.ipv4Fragments(datagram, cuts: [1480, 2960])
        var decoder = PacketDecoder()
        #expect(decoder.run(fragments[0], .ipv4).skip == .fragmentPending)
        #expect(decoder.run(fragments[1], .ipv4).skip == .fragmentPending)
        Self.expectUDP(decoder.run(fragments[2], .ipv4), datagram)
        var expected = FragmentStatistics()
        expected.fragments = 3
        expected.reassembled = 1
        #expect(decoder.fragmentStatistics == expected)
        #expect(decoder.fragmentDatagramsInProgress == 0)
        #expect(decoder.fragmentBufferedBytes == 0)
    }

    @Test func ipv4OutOfOrder() {
        let datagram = Self.udpDatagram(size: 1000)
        let fragments = Self.ipv4Fragments(datagram, cuts: [16, 200, 504, 800])
        var decoder = PacketDecoder()
        for index in [4, 2, 0, 3] {
            #expect(decoder.run(fragments[index], .ipv4).skip == .fragmentPending)
        }
        Self.expectUDP(decoder.run(fragments[1], .ipv4), datagram)
        #expect(decoder.fragmentStatistics.reassembled == 1)
        #expect(decoder.fragmentStatistics.overlaps == 0)
    }

    @Test func duplicatesAreHarmless() {
        let datagram = Self.udpDatagram(size: 100)
        let fragments = Self.ipv4Fragments(datagram, cuts: [48])
        var decoder = PacketDecoder()
        #expect(decoder.run(fragments[0], .ipv4).skip == .fragmentPending)
        #expect(decoder.run(fragments[0], .ipv4).skip == .fragmentPending)
        Self.expectUDP(decoder.run(fragments[1], .ipv4), datagram)
        #expect(decoder.fragmentStatistics.overlaps == 1)
        #expect(decoder.fragmentStatistics.conflictingOverlaps == 0)
        // A late duplicate starts a new datagram that times out.
        #expect(decoder.run(fragments[1], .ipv4, at: 1).skip == .fragmentPending)
        decoder.expireFragments(at: Timestamp(seconds: 40, nanoseconds: 0))
        #expect(decoder.fragmentStatistics.droppedTimeout == 1)
        #expect(decoder.fragmentDatagramsInProgress == 0)
    }

    @Test func overlapFirstCopyWins() {
        let datagram = Self.udpDatagram(size: 100)
        let fragments = Self.ipv4Fragments(datagram, cuts: [32, 64])
        // An overlapping fragment covering 24..<56 with different bytes, before the middle one.
        let forged = F.ipv4(protocol: 17, identification: 77, moreFragments: true, fragmentOffset: 24,
                            payload: [UInt8](repeating: 0xFF, count: 32))
        var decoder = PacketDecoder()
        #expect(decoder.run(fragments[0], .ipv4).skip == .fragmentPending)
        #expect(decoder.run(forged, .ipv4).skip == .fragmentPending)
        #expect(decoder.run(fragments[2], .ipv4).skip == .fragmentPending)
        // The middle fragment only fills 56..<64 now.
        let result = decoder.run(fragments[1], .ipv4)
        var expected = datagram
        for index in 32..<56 { expected[index] = 0xFF }
        Self.expectUDP(result, expected)
        #expect(decoder.fragmentStatistics.overlaps == 2)
        #expect(decoder.fragmentStatistics.conflictingOverlaps == 2)
    }

    @Test func ipv6FragmentsWithExtensionHeaders() {
        let datagram = Self.udpDatagram(size: 2000, seed: 3)
        let part = F.extensionHeader(next: 17, units: 1) + datagram // destination options in the fragmentable part
        let fragments = Self.ipv6Fragments(part, next: 60, cuts: [1232])
        var decoder = PacketDecoder()
        #expect(decoder.run(fragments[1], .ipv6).skip == .fragmentPending)
        let result = decoder.run(F.ethernet(type: 0x86DD, payload: fragments[0]), .ethernet)
        Self.expectUDP(result, datagram)
        #expect(result.packet?.source.description == "2001:db8::1")
    }

    @Test func ipv6TCPFragments() {
        let segment = F.tcp(payload: [UInt8](repeating: 0x42, count: 100))
        let fragments = Self.ipv6Fragments(segment, next: 6, cuts: [8, 64])
        var decoder = PacketDecoder()
        #expect(decoder.run(fragments[2], .ipv6).skip == .fragmentPending)
        #expect(decoder.run(fragments[0], .ipv6).skip == .fragmentPending)
        let result = decoder.run(fragments[1], .ipv6)
        #expect(result.packet?.payload == [UInt8](repeating: 0x42, count: 100))
        #expect(result.packet?.transport == .tcp)
    }

    @Test func ipv4AndIPv6KeysAreSeparate() {
        let first = Self.udpDatagram(size: 64, seed: 1)
        let second = Self.udpDatagram(size: 64, seed: 2)
        let a = Self.ipv4Fragments(first, cuts: [32], identification: 5)
        let b = Self.ipv4Fragments(second, cuts: [32], identification: 6)
        var decoder = PacketDecoder()
        #expect(decoder.run(a[0], .ipv4).skip == .fragmentPending)
        #expect(decoder.run(b[1], .ipv4).skip == .fragmentPending)
        Self.expectUDP(decoder.run(a[1], .ipv4), first)
        Self.expectUDP(decoder.run(b[0], .ipv4), second)
    }

    @Test func timeoutDropsIncompleteDatagrams() {
        let fragments = Self.ipv4Fragments(Self.udpDatagram(size: 100), cuts: [40])
        var decoder = PacketDecoder()
        #expect(decoder.run(fragments[0], .ipv4, at: 100).skip == .fragmentPending)
        decoder.expireFragments(at: Timestamp(seconds: 130, nanoseconds: 0))
        #expect(decoder.fragmentDatagramsInProgress == 1) // exactly 30 s is not older than the timeout
        // The late fragment expires the old one first and starts a datagram of its own.
        #expect(decoder.run(fragments[1], .ipv4, at: 131).skip == .fragmentPending)
        #expect(decoder.fragmentStatistics.droppedTimeout == 1)
        #expect(decoder.fragmentDatagramsInProgress == 1)
        #expect(decoder.fragmentBufferedBytes == 108)
        decoder.expireFragments(at: Timestamp(seconds: 200, nanoseconds: 0))
        #expect(decoder.fragmentStatistics.droppedTimeout == 2)
        #expect(decoder.fragmentBufferedBytes == 0)
    }

    @Test func datagramLimitEvictsTheOldest() {
        var decoder = PacketDecoder(fragmentLimits: FragmentLimits(maxDatagrams: 2))
        let datagrams = (0..<3).map { Self.udpDatagram(size: 40, seed: UInt8($0)) }
        let fragments = datagrams.enumerated().map { Self.ipv4Fragments($1, cuts: [24], identification: $0) }
        for index in 0..<3 {
            #expect(decoder.run(fragments[index][0], .ipv4).skip == .fragmentPending)
        }
        #expect(decoder.fragmentStatistics.droppedLimit == 1)
        #expect(decoder.fragmentDatagramsInProgress == 2)
        Self.expectUDP(decoder.run(fragments[2][1], .ipv4), datagrams[2])
        Self.expectUDP(decoder.run(fragments[1][1], .ipv4), datagrams[1])
        #expect(decoder.run(fragments[0][1], .ipv4).skip == .fragmentPending)
    }

    @Test func byteLimitEvictsTheOldest() {
        var decoder = PacketDecoder(fragmentLimits: FragmentLimits(maxBufferedBytes: 3000))
        let big = Self.ipv4Fragments(Self.udpDatagram(size: 4000), cuts: [1480, 2960], identification: 1)
        let small = Self.udpDatagram(size: 100)
        let smallFragments = Self.ipv4Fragments(small, cuts: [48], identification: 2)
        #expect(decoder.run(big[0], .ipv4).skip == .fragmentPending)
        #expect(decoder.run(smallFragments[0], .ipv4).skip == .fragmentPending)
        // Growing the big datagram to 2960 bytes would pass 3000 with the small one: the big one is oldest.
        #expect(decoder.run(big[1], .ipv4).skip == .fragmentDropped)
        #expect(decoder.fragmentStatistics.droppedLimit == 1)
        #expect(decoder.fragmentBufferedBytes == 48)
        Self.expectUDP(decoder.run(smallFragments[1], .ipv4), small)
        // A datagram larger than the whole budget never fits.
        #expect(decoder.run(big[2], .ipv4).skip == .fragmentDropped)
        #expect(decoder.fragmentStatistics.droppedLimit == 2)
        #expect(decoder.fragmentBufferedBytes == 0)
    }

    @Test func tooLargeDatagramsAreDropped() {
        var decoder = PacketDecoder()
        let last = F.ipv4(protocol: 17, identification: 9, fragmentOffset: 65512, payload: [UInt8](repeating: 0, count: 8))
        #expect(decoder.run(last, .ipv4).skip == .fragmentDropped) // 20 + 65520 > 65535
        let first = F.ipv4(protocol: 17, identification: 9, moreFragments: true, payload: F.udp(payload: [0, 0, 0, 0, 0, 0, 0, 0]))
        #expect(decoder.run(first, .ipv4).skip == .fragmentDropped) // the datagram failed already
        #expect(decoder.fragmentStatistics.droppedTooLarge == 1)
        #expect(decoder.fragmentStatistics.dropped == 1)
        #expect(decoder.fragmentBufferedBytes == 0)
        // IPv6 allows 65535 bytes of fragmentable part.
        let v6 = F.ipv6(nextHeader: 44, payload: F.fragmentHeader(next: 17, offset: 65528, more: false, identification: 1) + [UInt8](repeating: 0, count: 7))
        #expect(decoder.run(v6, .ipv6).skip == .fragmentPending)
        let v6Large = F.ipv6(nextHeader: 44, payload: F.fragmentHeader(next: 17, offset: 65528, more: false, identification: 2) + [UInt8](repeating: 0, count: 8))
        #expect(decoder.run(v6Large, .ipv6).skip == .fragmentDropped)
        #expect(decoder.fragmentStatistics.droppedTooLarge == 2)
    }

    @Test func malformedFragmentsAreDropped() {
        var decoder = PacketDecoder()
        // A non-final fragment whose length is not a multiple of 8.
        let odd = F.ipv4(protocol: 17, identification: 1, moreFragments: true, payload: [UInt8](repeating: 0, count: 12))
        #expect(decoder.run(odd, .ipv4).skip == .fragmentDropped)
        // Two final fragments that disagree on the end.
        let endA = F.ipv4(protocol: 17, identification: 2, fragmentOffset: 16, payload: [1, 2, 3])
        let endB = F.ipv4(protocol: 17, identification: 2, fragmentOffset: 16, payload: [1, 2, 3, 4])
        #expect(decoder.run(endA, .ipv4).skip == .fragmentPending)
        #expect(decoder.run(endB, .ipv4).skip == .fragmentDropped)
        // A non-final fragment past the final one.
        let final = F.ipv4(protocol: 17, identification: 3, fragmentOffset: 16, payload: [1, 2, 3])
        let beyond = F.ipv4(protocol: 17, identification: 3, moreFragments: true, fragmentOffset: 16, payload: [UInt8](repeating: 0, count: 16))
        #expect(decoder.run(final, .ipv4).skip == .fragmentPending)
        #expect(decoder.run(beyond, .ipv4).skip == .fragmentDropped)
        // A fragment cut short by the snapshot length.
        let cut = F.ipv4(protocol: 17, identification: 4, moreFragments: true, payload: [UInt8](repeating: 0, count: 64))
        #expect(decoder.run(Array(cut.prefix(50)), .ipv4).skip == .fragmentDropped)
        #expect(decoder.fragmentStatistics.droppedMalformed == 4)
        #expect(decoder.fragmentBufferedBytes == 0)
    }

    @Test func reassembledHeadersAreChecked() {
        // A complete datagram whose UDP header is too short.
        let fragments = Self.ipv4Fragments([1, 2, 3, 4, 0, 3, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], cuts: [8])
        var decoder = PacketDecoder()
        #expect(decoder.run(fragments[0], .ipv4).skip == .fragmentPending)
        #expect(decoder.run(fragments[1], .ipv4).skip == .badUDPHeader)
        // A second fragment header inside the reassembled IPv6 part.
        let nested = F.fragmentHeader(next: 17, offset: 0, more: false, identification: 3) + F.udp(payload: [1])
        let v6 = Self.ipv6Fragments(F.extensionHeader(next: 44) + nested, next: 60, cuts: [8])
        #expect(decoder.run(v6[0], .ipv6).skip == .fragmentPending)
        #expect(decoder.run(v6[1], .ipv6).skip == .ipv6ExtensionHeaders)
        #expect(decoder.fragmentStatistics.reassembled == 2)
    }

    @Test func smallestFragmentsAndBookkeeping() {
        var decoder = PacketDecoder()
        for round in 0..<300 {
            let datagram = Self.udpDatagram(size: 56, seed: UInt8(truncatingIfNeeded: round))
            let fragments = Self.ipv4Fragments(datagram, cuts: Array(stride(from: 8, to: 64, by: 8)), identification: round)
            for fragment in fragments.dropLast().reversed() {
                #expect(decoder.run(fragment, .ipv4, at: Int64(round)).skip == .fragmentPending)
            }
            if let last = fragments.last {
                Self.expectUDP(decoder.run(last, .ipv4, at: Int64(round)), datagram)
            }
        }
        #expect(decoder.fragmentStatistics.reassembled == 300)
        #expect(decoder.fragmentStatistics.dropped == 0)
        #expect(decoder.fragmentDatagramsInProgress == 0)
        #expect(decoder.fragmentBufferedBytes == 0)
    }
}
