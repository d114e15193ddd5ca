/// The transport protocols TapSentry follows (IANA protocol numbers).
@usableFromInline
package enum TransportProtocol: UInt8, Sendable, CustomStringConvertible {
    case tcp = 6
    case udp = 17

    /// `TCP` or `UDP`, as Suricata's EVE `proto` field spells it.
    @usableFromInline package var description: String { self == .tcp ? "TCP" : "UDP" }
}

/// TCP header flag bits.
///
/// `@usableFromInline` (see `IPAddress`) so that `contains` and the other set operations are
/// inlined in other modules rather than called through the `SetAlgebra` conformance.
@usableFromInline
package struct TCPFlags: OptionSet, Sendable, Hashable {
    @usableFromInline package var rawValue: UInt8
    @inlinable package init(rawValue: UInt8) { self.rawValue = rawValue }

    // Computed, not stored: a stored static is reached through its lazy-initialisation check.
    @inlinable package static var fin: TCPFlags { TCPFlags(rawValue: 0x01) }
    @inlinable package static var syn: TCPFlags { TCPFlags(rawValue: 0x02) }
    @inlinable package static var rst: TCPFlags { TCPFlags(rawValue: 0x04) }
    @inlinable package static var psh: TCPFlags { TCPFlags(rawValue: 0x08) }
    @inlinable package static var ack: TCPFlags { TCPFlags(rawValue: 0x10) }
    @inlinable package static var urg: TCPFlags { TCPFlags(rawValue: 0x20) }
}

/// One TCP or UDP packet parsed down to its payload.
///
/// `payload` borrows the capture buffer (or the fragment reassembler's buffer): it is valid only
/// during the call that hands the packet over. Whoever keeps bytes must copy them.
package struct TransportPacket {
    /// Source address.
    package var source: IPAddress
    /// Destination address.
    package var destination: IPAddress
    /// Source port.
    package var sourcePort: UInt16
    /// Destination port.
    package var destinationPort: UInt16
    /// TCP or UDP.
    package var transport: TransportProtocol
    /// TCP sequence number (0 for UDP).
    package var sequence: UInt32
    /// TCP acknowledgement number (0 for UDP).
    package var acknowledgement: UInt32
    /// TCP flags (empty for UDP).
    package var flags: TCPFlags
    /// The transport payload, trimmed to the IP length (link padding removed).
    package var payload: UnsafeRawBufferPointer
    /// Payload bytes the IP length announces but the capture did not keep (snapshot length).
    package var uncapturedLength: Int

    /// A packet with all fields given.
    @inlinable
    package init(
        source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16,
        transport: TransportProtocol, sequence: UInt32 = 0, acknowledgement: UInt32 = 0,
        flags: TCPFlags = [], payload: UnsafeRawBufferPointer, uncapturedLength: Int = 0
    ) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.transport = transport
        self.sequence = sequence
        self.acknowledgement = acknowledgement
        self.flags = flags
        self.payload = payload
        self.uncapturedLength = uncapturedLength
    }
}

/// Why a packet was not handed on to flow tracking. The raw names are stable: they are the keys
/// of the `skipped` object in the stats record.
package enum SkipReason: Int, CaseIterable, Sendable {
    case unsupportedLinkType
    case truncatedLinkHeader
    case nonIP
    case badIPv4Header
    case badIPv4Length
    case badIPv6Header
    case ipv6ExtensionHeaders
    case fragmentPending
    case fragmentDropped
    case otherTransport
    case badTCPHeader
    case badUDPHeader

    /// The stable name used in the stats output.
    package var name: String {
        switch self {
        case .unsupportedLinkType: "link.unsupported_type"
        case .truncatedLinkHeader: "link.truncated"
        case .nonIP: "link.not_ip"
        case .badIPv4Header: "ipv4.bad_header"
        case .badIPv4Length: "ipv4.bad_length"
        case .badIPv6Header: "ipv6.bad_header"
        case .ipv6ExtensionHeaders: "ipv6.bad_extension_header"
        case .fragmentPending: "ip.fragment_buffered"
        case .fragmentDropped: "ip.fragment_dropped"
        case .otherTransport: "ip.other_protocol"
        case .badTCPHeader: "tcp.bad_header"
        case .badUDPHeader: "udp.bad_header"
        }
    }
}

/// Counts of skipped packets by reason, in a flat array indexed by `SkipReason.rawValue`.
package struct SkipCounters: Sendable, Equatable {
    private var counts = [UInt64](repeating: 0, count: SkipReason.allCases.count)

    /// Empty counters.
    package init() {}

    /// Adds one packet skipped for `reason`.
    @inline(__always)
    package mutating func record(_ reason: SkipReason) { counts[reason.rawValue] &+= 1 }

    /// How many packets were skipped for `reason`.
    package subscript(reason: SkipReason) -> UInt64 { counts[reason.rawValue] }

    /// All packets skipped, whatever the reason (buffered fragments included).
    package var total: UInt64 { counts.reduce(0, &+) }

    /// Adds another set of counters into this one.
    package mutating func merge(_ other: SkipCounters) {
        for index in counts.indices { counts[index] &+= other.counts[index] }
    }
}
