/// An IPv4 or IPv6 address held in 16 bytes (IPv4 as the IPv4-mapped IPv6 form `::ffff:a.b.c.d`),
/// so that flow keys of both families have one shape and compare with two integer comparisons.
///
/// `@usableFromInline`, with its stored members: the `@inlinable` members are inlined in other
/// modules only then (see `PerDirection`).
@usableFromInline
package struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first 8 bytes of the address, big-endian.
    @usableFromInline package var high: UInt64
    /// The last 8 bytes of the address, big-endian.
    @usableFromInline package var low: UInt64

    /// The first 12 bytes of an IPv4-mapped address (a computed constant, so inlined code can use it).
    @inlinable static var mappedPrefix: UInt64 { 0x0000_FFFF_0000_0000 }

    /// An IPv6 address from its two big-endian halves.
    @inlinable
    package init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An IPv4 address from its 32-bit value in host order (`0x7F000001` is 127.0.0.1).
    @inlinable
    package init(ipv4 value: UInt32) {
        self.high = 0
        self.low = Self.mappedPrefix | UInt64(value)
    }

    /// Reads 4 (IPv4) or 16 (IPv6) bytes at `offset`; the caller has checked the bounds.
    @inlinable @inline(__always)
    package init(ipv4At offset: Int, in bytes: UnsafeRawBufferPointer) {
        self.init(ipv4: UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
    }

    /// Reads a 16-byte IPv6 address at `offset`; the caller has checked the bounds.
    @inlinable @inline(__always)
    package init(ipv6At offset: Int, in bytes: UnsafeRawBufferPointer) {
        self.high = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        self.low = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
    }

    /// Whether this is an IPv4 address (IPv4-mapped form).
    @inlinable package var isIPv4: Bool { high == 0 && (low >> 32) == 0x0000_FFFF }

    /// The IPv4 value in host order, when this is an IPv4 address.
    @inlinable package var ipv4Value: UInt32? { isIPv4 ? UInt32(truncatingIfNeeded: low) : nil }

    @inlinable
    package static func == (lhs: IPAddress, rhs: IPAddress) -> Bool {
        lhs.high == rhs.high && lhs.low == rhs.low
    }

    @inlinable
    package static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }

    /// Dotted quad for IPv4; RFC 5952 text (lower case, longest zero run as `::`) for IPv6.
    @usableFromInline package var description: String {
        if let v4 = ipv4Value {
            return "\(v4 >> 24).\((v4 >> 16) & 0xFF).\((v4 >> 8) & 0xFF).\(v4 & 0xFF)"
        }
        var groups = [UInt16]()
        for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: low >> UInt64(shift))) }
        // Longest run of at least two zero groups, first one on ties.
        var bestStart = -1, bestLength = 0, index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8 && groups[end] == 0 { end += 1 }
                if end - index > bestLength && end - index >= 2 { bestStart = index; bestLength = end - index }
                index = end
            } else {
                index += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            range.map { String(groups[$0], radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    /// The /24 network of an IPv4 address (`10.1.2.0/24`) or the /64 of an IPv6 one, as text.
    package var networkPrefixDescription: String {
        if let v4 = ipv4Value {
            return IPAddress(ipv4: v4 & 0xFFFF_FF00).description + "/24"
        }
        return IPAddress(high: high, low: 0).description + "/64"
    }
}
