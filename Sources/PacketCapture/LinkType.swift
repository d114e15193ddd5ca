import CPcap

/// A link-layer header type, as the DLT value libpcap reports for a capture.
package struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    package var rawValue: Int32
    package init(rawValue: Int32) { self.rawValue = rawValue }

    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    package static let null = LinkType(rawValue: 0)
    /// Ethernet II (with 802.1Q / 802.1ad / QinQ tags).
    package static let ethernet = LinkType(rawValue: 1)
    /// Raw IP, no link header (LINKTYPE_RAW 101 is reported by libpcap as DLT_RAW 12 on Linux).
    package static let raw = LinkType(rawValue: 12)
    /// Raw IP on OpenBSD's numbering.
    package static let rawOpenBSD = LinkType(rawValue: 14)
    /// LINKTYPE_RAW itself, should a source report it unmapped.
    package static let linktypeRaw = LinkType(rawValue: 101)
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    package static let loop = LinkType(rawValue: 108)
    /// Linux cooked capture v1 (16-byte header).
    package static let linuxSLL = LinkType(rawValue: 113)
    /// Raw IPv4.
    package static let ipv4 = LinkType(rawValue: 228)
    /// Raw IPv6.
    package static let ipv6 = LinkType(rawValue: 229)
    /// Linux cooked capture v2 (20-byte header).
    package static let linuxSLL2 = LinkType(rawValue: 276)

    /// libpcap's name for the type (`EN10MB`, `LINUX_SLL2`, ...), or the number.
    package var description: String {
        if let name = pcap_datalink_val_to_name(rawValue) { return String(cString: name) }
        return "DLT \(rawValue)"
    }
}
