import FlowTracking
import PacketCapture
import Testing

/// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with at most one `::`); test input only.
private func address(_ text: String) -> IPAddress {
    if !text.contains(":") {
        let parts = text.split(separator: ".").compactMap { UInt32($0) }
        precondition(parts.count == 4, "bad IPv4 \(text)")
        return IPAddress(ipv4: parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3])
    }
    func groups(_ part: Substring) -> [UInt16] {
        part.split(separator: ":").compactMap { UInt16($0, radix: 16) }
    }
    var all: [UInt16]
    if let gap = text.firstRange(of: "::") {
        let head = groups(text[..<gap.lowerBound])
        let tail = groups(text[gap.upperBound...])
        all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
    } else {
        all = groups(text[...])
    }
    precondition(all.count == 8, "bad IPv6 \(text)")
    let high = all[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
    let low = all[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
    return IPAddress(high: high, low: low)
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// One flow and its expected ID, as listed in the spec's baseline files.
private typealias Vector = (proto: UInt8, saddr: String, daddr: String, sport: UInt16, dport: UInt16, id: String)

@Suite("SHA-1")
struct SHA1Tests {
    @Test("FIPS 180 / NIST vectors")
    func nistVectors() {
        #expect(hex(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.hash([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(
            hex(SHA1.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        let long = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        #expect(hex(SHA1.hash(Array(long.utf8))) == "a49b2446a02c645bf419f995b67091253a04a259")
    }

    @Test("one million 'a'")
    func millionA() {
        #expect(hex(SHA1.hash([UInt8](repeating: 0x61, count: 1_000_000))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test("chunked updates match one-shot", arguments: [1, 2, 7, 55, 56, 63, 64, 65, 1000])
    func chunked(chunk: Int) {
        let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var hasher = SHA1()
        var index = 0
        while index < message.count {
            let end = min(index + chunk, message.count)
            hasher.update(Array(message[index..<end]))
            index = end
        }
        #expect(hasher.finalize() == SHA1.hash(message))
    }
}

@Suite("Community ID")
struct CommunityIDTests {
    /// Flows and IDs from corelight/community-id-spec baseline/baseline_deflt.json (seed 0).
    private static let seed0: [Vector] = [
        (6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
        (6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
        (17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="),
        (17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="),
        (6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="),
        (6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="),
        (132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="),
        (132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="),
        (58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="),
        (58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, "1:zavyT/cezQr1fmImYCwYnMXbgck="),
        (1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="),
    ]

    /// Flows and IDs from corelight/community-id-spec baseline/baseline_seed1.json (seed 1).
    private static let seed1: [Vector] = [
        (6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:3V71V58M3Ksw/yuFALMcW0LAHvc="),
        (17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="),
        (6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, "1:eJYTW6AOzFLlSUoESovMjnu7rMw="),
        (132, "192.168.170.8", "192.168.170.56", 7, 7, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="),
    ]

    @Test("spec baseline vectors, seed 0")
    func baselineSeed0() {
        for v in Self.seed0 {
            let id = CommunityID.compute(
                source: address(v.saddr), sourcePort: v.sport, destination: address(v.daddr),
                destinationPort: v.dport, protocolNumber: v.proto)
            #expect(id == v.id, "\(v.saddr):\(v.sport) -> \(v.daddr):\(v.dport) proto \(v.proto)")
        }
    }

    @Test("spec baseline vectors, seed 1")
    func baselineSeed1() {
        for v in Self.seed1 {
            let id = CommunityID.compute(
                source: address(v.saddr), sourcePort: v.sport, destination: address(v.daddr),
                destinationPort: v.dport, protocolNumber: v.proto, seed: 1)
            #expect(id == v.id, "\(v.saddr):\(v.sport) -> \(v.daddr):\(v.dport) proto \(v.proto)")
        }
    }

    @Test("a flow carries its ID as a digest whose text is the spec's string")
    func flowInfoDigest() {
        let v = Self.seed0[0]
        let flow = FlowInfo(
            client: address(v.saddr), clientPort: v.sport, server: address(v.daddr), serverPort: v.dport,
            transport: .tcp, id: 1, start: .zero, orientation: .handshake
        )
        #expect(v.proto == 6)
        #expect(flow.communityID == v.id)
        #expect(flow.communityDigest == CommunityID.digest(
            source: address(v.daddr), sourcePort: v.dport, destination: address(v.saddr), destinationPort: v.sport,
            protocolNumber: 6))
        #expect(CommunityIDDigest.none.description == "")
    }

    @Test("swapping the endpoints gives the same ID")
    func symmetric() {
        let pairs: [(String, UInt16, String, UInt16)] = [
            ("10.0.0.1", 40000, "10.0.0.2", 443),
            ("10.0.0.9", 80, "10.0.0.9", 8080),  // same address: the port decides
            ("::1", 5000, "2001:db8::1", 53),
            ("255.255.255.255", 0, "0.0.0.0", 65535),
        ]
        for (a, ap, b, bp) in pairs {
            for proto: UInt8 in [6, 17] {
                let forward = CommunityID.compute(
                    source: address(a), sourcePort: ap, destination: address(b), destinationPort: bp, protocolNumber: proto)
                let backward = CommunityID.compute(
                    source: address(b), sourcePort: bp, destination: address(a), destinationPort: ap, protocolNumber: proto)
                #expect(forward == backward)
                #expect(forward.hasPrefix("1:") && forward.count == 30)
            }
        }
    }

    @Test("protocol and seed change the ID")
    func inputsMatter() {
        func id(_ proto: UInt8, seed: UInt16 = 0) -> String {
            CommunityID.compute(
                source: address("10.0.0.1"), sourcePort: 1, destination: address("10.0.0.2"), destinationPort: 2,
                protocolNumber: proto, seed: seed)
        }
        #expect(id(6) != id(17))
        #expect(id(6) != id(6, seed: 7))
    }

    @Test("base64 padding")
    func base64() {
        #expect(CommunityID.base64([]) == "")
        #expect(CommunityID.base64(Array("f".utf8)) == "Zg==")
        #expect(CommunityID.base64(Array("fo".utf8)) == "Zm8=")
        #expect(CommunityID.base64(Array("foo".utf8)) == "Zm9v")
        #expect(CommunityID.base64(Array("foobar".utf8)) == "Zm9vYmFy")
    }
}
