#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PacketCapture

/// An IP network (`10.8.0.0/16`, `2001:db8::/32`) or one address (a /32 or /128).
package struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// The first address (IPv4 in its IPv4-mapped form).
    package var address: IPAddress
    /// Prefix length over the 128-bit form (an IPv4 /16 is 96 + 16).
    package var prefix: Int

    /// Parses `10.0.0.0/8`, `10.0.0.1`, `2001:db8::/32`; nil for anything else. Host bits set in
    /// the address are cleared.
    package init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let address = IPNetwork.parseAddress(String(parts[0])) else { return nil }
        let width = address.isIPv4 ? 32 : 128
        var length = width
        if parts.count == 2 {
            guard let given = Int(parts[1]), given >= 0, given <= width else { return nil }
            length = given
        }
        let prefix = address.isIPv4 ? 96 + length : length
        self.prefix = prefix
        self.address = IPNetwork.masked(address, prefix: prefix)
    }

    /// Whether `candidate` lies in this network.
    package func contains(_ candidate: IPAddress) -> Bool {
        IPNetwork.masked(candidate, prefix: prefix) == address
    }

    /// `10.8.0.0/16`, or the bare address for a single host.
    package var description: String {
        let width = address.isIPv4 ? 32 : 128
        let length = address.isIPv4 ? prefix - 96 : prefix
        return length == width ? address.description : "\(address)/\(length)"
    }

    /// `address` with all but the first `prefix` bits (of 128) cleared.
    package static func masked(_ address: IPAddress, prefix: Int) -> IPAddress {
        func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? ~0 : ~((1 << UInt64(64 - bits)) - 1) }
        return IPAddress(high: address.high & mask(prefix), low: address.low & mask(prefix - 64))
    }

    /// The network of `prefix` bits of an IPv4 address (`10.1.2.0/24`), or of `v6Prefix` bits of
    /// an IPv6 one, as text.
    package static func networkText(_ address: IPAddress, v4Prefix: Int, v6Prefix: Int) -> String {
        let prefix = address.isIPv4 ? 96 + v4Prefix : v6Prefix
        return "\(masked(address, prefix: prefix))/\(address.isIPv4 ? v4Prefix : v6Prefix)"
    }

    /// Parses IPv4 dotted-quad or IPv6 text; nil when it is neither.
    package static func parseAddress(_ text: String) -> IPAddress? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return IPAddress(ipv4: UInt32(bigEndian: v4.s_addr))
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { IPAddress(ipv6At: 0, in: $0) }
        }
        return nil
    }
}

/// The class of an address, for rules that look for implausible reported addresses.
package enum IPClass: String, Sendable, CaseIterable {
    /// 127.0.0.0/8, ::1.
    case loopback
    /// RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598 shared (100.64/10), fc00::/7.
    case `private`
    /// 169.254/16, fe80::/10.
    case linkLocal = "link_local"
    /// 0.0.0.0/8 (0.0.0.0 included), ::.
    case unspecified
    /// 224/4, ff00::/8.
    case multicast
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 (RFC 5737, 3849: examples, and the
    /// "public" addresses of this project's recorded scenarios).
    case documentation
    /// 240/4 (255.255.255.255 included), 192.0.0/24, 198.18/15.
    case reserved
    /// Everything else.
    case `public`

    private static let table: [(IPClass, [String])] = [
        (.loopback, ["127.0.0.0/8", "::1"]),
        (.private, ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]),
        (.linkLocal, ["169.254.0.0/16", "fe80::/10"]),
        (.unspecified, ["0.0.0.0/8", "::"]),
        (.multicast, ["224.0.0.0/4", "ff00::/8"]),
        (.documentation, ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"]),
        (.reserved, ["240.0.0.0/4", "192.0.0.0/24", "198.18.0.0/15"]),
    ]

    private static let networks: [(IPClass, IPNetwork)] = table.flatMap { entry in
        entry.1.compactMap { IPNetwork(parsing: $0) }.map { (entry.0, $0) }
    }

    /// The class of `address`.
    package init(_ address: IPAddress) {
        self = IPClass.networks.first { $0.1.contains(address) }?.0 ?? .public
    }
}
