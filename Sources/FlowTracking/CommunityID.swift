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
        // Order by address bytes, then port: within one family (both endpoints of a flow are of
        // one) the order of the bytes is IPAddress's order.
        let inOrder = source < destination || (source == destination && sourcePort <= destinationPort)
        let (firstAddress, firstPort, secondAddress, secondPort) = inOrder
            ? (source, sourcePort, destination, destinationPort)
            : (destination, destinationPort, source, sourcePort)
        // At most 2 + 16 + 16 + 8 bytes, built on the stack.
        return withUnsafeTemporaryAllocation(byteCount: 48, alignment: 8) { input in
            var count = 0
            func put(_ byte: UInt8) {
                input[count] = byte
                count += 1
            }
            func put(_ address: IPAddress) {
                if let v4 = address.ipv4Value {
                    for shift in stride(from: 24, through: 0, by: -8) { put(UInt8(truncatingIfNeeded: v4 >> UInt32(shift))) }
                } else {
                    for shift in stride(from: 56, through: 0, by: -8) { put(UInt8(truncatingIfNeeded: address.high >> UInt64(shift))) }
                    for shift in stride(from: 56, through: 0, by: -8) { put(UInt8(truncatingIfNeeded: address.low >> UInt64(shift))) }
                }
            }
            put(UInt8(seed >> 8))
            put(UInt8(seed & 0xFF))
            put(firstAddress)
            put(secondAddress)
            put(protocolNumber)
            put(0)
            put(UInt8(firstPort >> 8))
            put(UInt8(firstPort & 0xFF))
            put(UInt8(secondPort >> 8))
            put(UInt8(secondPort & 0xFF))
            return CommunityIDDigest(words: SHA1.words(UnsafeRawBufferPointer(rebasing: input[0..<count])))
        }
    }

    /// The base64 character of `value` (0-63).
    @inline(__always)
    static func character(_ value: Int) -> UInt8 {
        switch value {
        case 0..<26: UInt8(ascii: "A") + UInt8(value)
        case 26..<52: UInt8(ascii: "a") + UInt8(value - 26)
        case 52..<62: UInt8(ascii: "0") + UInt8(value - 52)
        case 62: UInt8(ascii: "+")
        default: UInt8(ascii: "/")
        }
    }

    /// Standard base64 (RFC 4648, with `=` padding).
    package static func base64(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(character(Int((value >> 18) & 63)))
            out.append(character(Int((value >> 12) & 63)))
            out.append(character(Int((value >> 6) & 63)))
            out.append(character(Int(value & 63)))
            index += 3
        }
        let remaining = bytes.count - index
        if remaining > 0 {
            var value = UInt32(bytes[index]) << 16
            if remaining == 2 { value |= UInt32(bytes[index + 1]) << 8 }
            out.append(character(Int((value >> 18) & 63)))
            out.append(character(Int((value >> 12) & 63)))
            out.append(remaining == 2 ? character(Int((value >> 6) & 63)) : UInt8(ascii: "="))
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

    /// The digest given as SHA-1's five big-endian words.
    init(words: (UInt32, UInt32, UInt32, UInt32, UInt32)) {
        self.init(
            head: UInt64(words.0) << 32 | UInt64(words.1), middle: UInt64(words.2) << 32 | UInt64(words.3),
            tail: words.4)
    }

    /// `1:` and the base64 of the digest (empty for `none`).
    package var description: String {
        String(unsafeUninitializedCapacity: Self.textLength) { text(into: $0.baseAddress.unsafelyUnwrapped) }
    }

    /// Bytes of the text: "1:" and 28 base64 characters (six whole groups of three bytes, then
    /// two bytes and "=").
    package static var textLength: Int { 30 }

    /// Writes `description` at `out` (at most `textLength` bytes; none for `none`); returns how
    /// many bytes.
    package func text(into out: UnsafeMutablePointer<UInt8>) -> Int {
        guard self != .none else { return 0 }
        out[0] = UInt8(ascii: "1")
        out[1] = UInt8(ascii: ":")
        var written = 2
        func byte(_ index: Int) -> UInt32 {
            let word = index < 8 ? head >> UInt64(56 - 8 * index)
                : index < 16 ? middle >> UInt64(56 - 8 * (index - 8))
                : UInt64(tail) >> UInt64(24 - 8 * (index - 16))
            return UInt32(truncatingIfNeeded: word) & 0xFF
        }
        func put(_ value: UInt32, _ characters: Int) {
            for index in 0..<characters {
                out[written] = CommunityID.character(Int((value >> UInt32(18 - 6 * index)) & 63))
                written += 1
            }
        }
        for group in 0..<6 { put(byte(3 * group) << 16 | byte(3 * group + 1) << 8 | byte(3 * group + 2), 4) }
        put(byte(18) << 16 | byte(19) << 8, 3)
        out[written] = UInt8(ascii: "=")
        return written + 1
    }
}
