#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PacketCapture

/// An IP address and a port: one end of a TCP connection or UDP exchange.
package struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// The address (IPv4 in its IPv4-mapped form).
    package var address: IPAddress
    /// The port.
    package var port: UInt16

    /// An endpoint from an address value.
    package init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// An endpoint from address text (`"10.0.0.1"`, `"2001:db8::1"`); stops the program on text
    /// that is not an address, since it is only ever a literal written in a test.
    package init(_ address: String, _ port: UInt16) {
        guard let parsed = Endpoint.parseAddress(address) else {
            preconditionFailure("not an IP address: \(address)")
        }
        self.init(address: parsed, port: port)
    }

    /// Parses IPv4 dotted-quad or IPv6 text with `inet_pton`; nil when it is neither.
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

    /// Whether the address is IPv6 (not IPv4-mapped).
    package var isIPv6: Bool { !address.isIPv4 }

    /// `10.0.0.1:80` or `[2001:db8::1]:80`.
    package var description: String {
        isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}
