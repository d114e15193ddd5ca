import PacketCapture

/// Community ID flow hashing, version 1 (corelight/community-id-spec).
///
/// The ID is `"1:"` followed by the base64 of the SHA-1 of
/// `seed (2, BE) | saddr | daddr | proto (1) | 0 (1) | sport (2, BE) | dport (2, BE)`, where the
/// endpoints are ordered so that the one with the smaller address (then the smaller port) comes
/// first. Both directions of a flow therefore get the same ID. IPv4 addresses are hashed as 4 bytes,
/// IPv6 as 16.
package enum CommunityID {
    /// The Community ID v1 string (`1:` + base64 SHA-1) of a flow, the same for either direction.
    ///
    /// For ICMP the caller passes the spec's mapped type/code values as the ports.
    package static func compute(
        source: IPAddress, sourcePort: UInt16, destination: IPAddress, destinationPort: UInt16,
        protocolNumber: UInt8, seed: UInt16 = 0
    ) -> String {
        digest(
            source: source, sourcePort: sourcePort, destination: destination, destinationPort: destinationPort,
            protocolNumber: protocolNumber, seed: seed
        ).description
    }

    /// The SHA-1 digest behind the Community ID string of a flow (see `compute`).
    package static func digest(
        source: IPAddress, sourcePort: UInt16, destination: IPAddress, destinationPort: UInt16,
        protocolNumber: UInt8, seed: UInt16 = 0
    ) -> CommunityIDDigest {
        let sourceBytes = source.networkBytes
        let destinationBytes = destination.networkBytes
        // Order by address bytes (same as IPAddress order within one family), then port.
        let inOrder = sourceBytes.lexicographicallyPrecedes(destinationBytes)
            || (sourceBytes == destinationBytes && sourcePort <= destinationPort)
        let (firstAddress, firstPort, secondAddress, secondPort) = inOrder
            ? (sourceBytes, sourcePort, destinationBytes, destinationPort)
            : (destinationBytes, destinationPort, sourceBytes, sourcePort)

        var input = [UInt8]()
        input.reserveCapacity(40)
        input.append(UInt8(seed >> 8))
        input.append(UInt8(seed & 0xFF))
        input.append(contentsOf: firstAddress)
        input.append(contentsOf: secondAddress)
        input.append(protocolNumber)
        input.append(0)
        input.append(UInt8(firstPort >> 8))
        input.append(UInt8(firstPort & 0xFF))
        input.append(UInt8(secondPort >> 8))
        input.append(UInt8(secondPort & 0xFF))
        return CommunityIDDigest(SHA1.hash(input))
    }

    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 (RFC 4648, with `=` padding).
    package static func base64(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int((value >> 18) & 63)])
            out.append(alphabet[Int((value >> 12) & 63)])
            out.append(alphabet[Int((value >> 6) & 63)])
            out.append(alphabet[Int(value & 63)])
            index += 3
        }
        let remaining = bytes.count - index
        if remaining > 0 {
            var value = UInt32(bytes[index]) << 16
            if remaining == 2 { value |= UInt32(bytes[index + 1]) << 8 }
            out.append(alphabet[Int((value >> 18) & 63)])
            out.append(alphabet[Int((value >> 12) & 63)])
            out.append(remaining == 2 ? alphabet[Int((value >> 6) & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A flow's Community ID v1 as its 20-byte SHA-1 digest, held inline: a flow identity that holds
/// no string copies without reference counting (every event and alert carries one). The text
/// (`1:` + base64) is made when output asks for it.
package struct CommunityIDDigest: Hashable, Sendable, CustomStringConvertible {
    private var head: UInt64
    private var middle: UInt64
    private var tail: UInt32

    /// No digest (a vacant flow slot): its text is empty.
    package static let none = CommunityIDDigest(head: 0, middle: 0, tail: 0)

    private init(head: UInt64, middle: UInt64, tail: UInt32) {
        self.head = head
        self.middle = middle
        self.tail = tail
    }

    /// The digest in `bytes` (20 of them).
    init(_ bytes: [UInt8]) {
        precondition(bytes.count == 20, "a SHA-1 digest has 20 bytes")
        func word(_ start: Int, _ count: Int) -> UInt64 {
            bytes[start..<start + count].reduce(0) { $0 << 8 | UInt64($1) }
        }
        self.init(head: word(0, 8), middle: word(8, 8), tail: UInt32(word(16, 4)))
    }

    /// The 20 bytes of the digest.
    var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: head >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: middle >> (56 - 8 * $0)) }
            + (0..<4).map { UInt8(truncatingIfNeeded: tail >> (24 - 8 * $0)) }
    }

    /// `1:` and the base64 of the digest (empty for `none`).
    package var description: String {
        self == .none ? "" : "1:" + CommunityID.base64(bytes)
    }
}
