import PacketCapture
import Testing
import TestSupport

/// Random and randomly damaged frames: the decoder must return for every one, hand over at most one
/// packet exactly when it returns nil, and keep its fragment state within the limits.
@Suite struct PacketDecoderFuzzTests {
    typealias F = RawFrames

    static let linkTypes: [LinkType] = [.null, .ethernet, .raw, .rawOpenBSD, .linktypeRaw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2]

    static func randomBytes(_ count: Int, _ rng: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// A plausible IP packet: TCP or UDP over IPv4 or IPv6, maybe with options, extension headers or
    /// as a fragment.
    static func randomIPPacket(_ rng: inout SeededGenerator) -> (bytes: [UInt8], isIPv6: Bool) {
        let payload = randomBytes(Int.random(in: 0...80, using: &rng), &rng)
        let isTCP = Bool.random(using: &rng)
        let transport = isTCP
            ? F.tcp(options: Bool.random(using: &rng) ? [1, 1, 1, 1] : [], payload: payload)
            : F.udp(payload: payload)
        let fragment = Int.random(in: 0..<4, using: &rng) == 0
        let offset = Int.random(in: 0..<4, using: &rng) * 8
        let identification = Int.random(in: 0..<4, using: &rng)
        if Bool.random(using: &rng) {
            let options = Bool.random(using: &rng) ? [UInt8](repeating: 1, count: 4 * Int.random(in: 1...10, using: &rng)) : []
            let packet = F.ipv4(protocol: isTCP ? 6 : 17, identification: identification,
                                moreFragments: fragment && Bool.random(using: &rng), fragmentOffset: fragment ? offset : 0,
                                options: options, payload: transport)
            return (packet, false)
        }
        var chain: [UInt8] = []
        var next: UInt8 = isTCP ? 6 : 17
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            let kind: UInt8 = [0, 43, 60, 51].randomElement(using: &rng) ?? 60
            chain = (kind == 51 ? F.authenticationHeader(next: next) : F.extensionHeader(next: next, units: Int.random(in: 0...2, using: &rng))) + chain
            next = kind
        }
        if fragment {
            chain = F.fragmentHeader(next: next, offset: offset, more: Bool.random(using: &rng), identification: UInt32(identification)) + chain
            next = 44
        }
        return (F.ipv6(nextHeader: next, payload: chain + transport), true)
    }

    /// A plausible frame of a random link type around a random IP packet.
    static func randomFrame(_ rng: inout SeededGenerator) -> ([UInt8], LinkType) {
        let (packet, isIPv6) = randomIPPacket(&rng)
        let etherType = isIPv6 ? 0x86DD : 0x0800
        let linkType = linkTypes.randomElement(using: &rng) ?? .ethernet
        switch linkType {
        case .ethernet:
            let tags = (0..<Int.random(in: 0...3, using: &rng)).map { _ in [0x8100, 0x88A8, 0x9100].randomElement(using: &rng) ?? 0x8100 }
            return (F.ethernet(type: etherType, tags: tags, payload: packet) + randomBytes(Int.random(in: 0...8, using: &rng), &rng), linkType)
        case .linuxSLL: return (F.linuxSLL(protocol: etherType, payload: packet), linkType)
        case .linuxSLL2: return (F.linuxSLL2(protocol: etherType, payload: packet), linkType)
        case .null:
            let family: UInt32 = isIPv6 ? ([10, 24, 28, 30].randomElement(using: &rng) ?? 10) : 2
            return ((Bool.random(using: &rng) ? F.le32(family) : F.be32(family)) + packet, linkType)
        case .loop: return (F.be32(isIPv6 ? 24 : 2) + packet, linkType)
        case .ipv4, .ipv6: return (packet, isIPv6 ? .ipv6 : .ipv4)
        default: return (packet, linkType)
        }
    }

    /// Damages a frame: flipped bytes, overwritten bytes, cuts and additions.
    static func mutate(_ frame: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var frame = frame
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<5, using: &rng) {
            case 0 where !frame.isEmpty:
                frame[Int.random(in: 0..<frame.count, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 1 where !frame.isEmpty:
                frame[Int.random(in: 0..<frame.count, using: &rng)] = [0, 0xFF, 0x80, 0x7F, 5, 6, 44].randomElement(using: &rng) ?? 0
            case 2:
                frame = Array(frame.prefix(Int.random(in: 0...frame.count, using: &rng)))
            case 3:
                frame += randomBytes(Int.random(in: 1...16, using: &rng), &rng)
            default:
                // Header fields live in the first 80 bytes: hit them harder.
                if !frame.isEmpty {
                    frame[Int.random(in: 0..<min(frame.count, 80), using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
        }
        return frame
    }

    static func check(_ decoder: inout PacketDecoder, _ frame: [UInt8], _ linkType: LinkType, at seconds: Int64) {
        let result = decoder.run(frame, linkType, at: seconds)
        #expect(result.packets.count == (result.skip == nil ? 1 : 0), "\(linkType) \(frame)")
        if let packet = result.packet, packet.payloadInFrame == false {
            // Only reassembled datagrams live outside the frame; they are at most 64 KiB.
            #expect(packet.payload.count <= 65535)
        }
        let limits = decoder.fragmentLimits
        #expect(decoder.fragmentBufferedBytes >= 0 && decoder.fragmentBufferedBytes <= limits.maxBufferedBytes)
        #expect(decoder.fragmentDatagramsInProgress <= limits.maxDatagrams)
    }

    @Test func randomBytesNeverTrap() {
        var rng = SeededGenerator(seed: 0x5EED)
        var decoder = PacketDecoder(fragmentLimits: FragmentLimits(maxDatagrams: 16, maxBufferedBytes: 4096))
        for round in 0..<6000 {
            let linkType = Self.linkTypes.randomElement(using: &rng) ?? .ethernet
            let frame = Self.randomBytes(Int.random(in: 0...96, using: &rng), &rng)
            Self.check(&decoder, frame, linkType, at: Int64(round / 100))
        }
    }

    @Test func damagedFramesNeverTrap() {
        var rng = SeededGenerator(seed: 42)
        var decoder = PacketDecoder(fragmentLimits: FragmentLimits(maxDatagrams: 8, maxBufferedBytes: 2048, timeoutNanoseconds: 5_000_000_000))
        var decoded = 0
        for round in 0..<12000 {
            let (frame, linkType) = Self.randomFrame(&rng)
            if round % 3 == 0 {
                let result = decoder.run(frame, linkType, at: Int64(round / 200))
                if result.skip == nil { decoded += 1 }
                #expect(result.packets.count == (result.skip == nil ? 1 : 0))
            } else {
                Self.check(&decoder, Self.mutate(frame, &rng), linkType, at: Int64(round / 200))
            }
            if round % 1000 == 0 { decoder.expireFragments(at: Timestamp(seconds: Int64(round / 200), nanoseconds: 0)) }
        }
        #expect(decoded > 1000) // the generator makes mostly valid frames
        let statistics = decoder.fragmentStatistics
        #expect(statistics.fragments > 0)
        #expect(statistics.reassembled + statistics.dropped <= statistics.fragments)
    }

    @Test func shuffledFragmentStreams() {
        var rng = SeededGenerator(seed: 7)
        var decoder = PacketDecoder(fragmentLimits: FragmentLimits(maxDatagrams: 64, maxBufferedBytes: 32768))
        var cleanCompleted = 0
        for round in 0..<1500 {
            let payload = Self.randomBytes(Int.random(in: 0...400, using: &rng), &rng)
            let datagram = F.udp(sourcePort: round, payload: payload)
            var cuts = Set<Int>()
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                cuts.insert(Int.random(in: 1...max(1, (datagram.count - 1) / 8), using: &rng) * 8)
            }
            let bounds = [0] + cuts.filter { $0 < datagram.count }.sorted() + [datagram.count]
            let isIPv6 = Bool.random(using: &rng)
            var fragments: [[UInt8]] = (0..<(bounds.count - 1)).map { index in
                let more = index < bounds.count - 2
                let piece = Array(datagram[bounds[index]..<bounds[index + 1]])
                return isIPv6
                    ? F.ipv6(nextHeader: 44, payload: F.fragmentHeader(next: 17, offset: bounds[index], more: more, identification: UInt32(round)) + piece)
                    : F.ipv4(protocol: 17, identification: round, moreFragments: more, fragmentOffset: bounds[index], payload: piece)
            }
            fragments.shuffle(using: &rng)
            let clean = Int.random(in: 0..<3, using: &rng) != 0
            if !clean {
                if Bool.random(using: &rng), let extra = fragments.randomElement(using: &rng) { fragments.append(extra) }
                if Bool.random(using: &rng) { fragments = fragments.map { Self.mutate($0, &rng) } }
                if Bool.random(using: &rng), !fragments.isEmpty { fragments.removeLast() }
            }
            var completed: [DecodedPacket] = []
            for fragment in fragments {
                let linkType: LinkType = isIPv6 ? .ipv6 : .ipv4
                let result = decoder.run(fragment, linkType, at: Int64(round / 50))
                #expect(result.packets.count == (result.skip == nil ? 1 : 0))
                completed += result.packets
            }
            if clean && fragments.count > 1 {
                #expect(completed.count == 1)
                #expect(completed.first?.payload == payload)
                #expect(completed.first?.sourcePort == UInt16(round))
                cleanCompleted += 1
            }
            #expect(decoder.fragmentBufferedBytes <= 32768)
            #expect(decoder.fragmentDatagramsInProgress <= 64)
        }
        #expect(cleanCompleted > 500)
        decoder.expireFragments(at: Timestamp(seconds: 1000, nanoseconds: 0))
        #expect(decoder.fragmentDatagramsInProgress == 0)
        #expect(decoder.fragmentBufferedBytes == 0)
    }
}
