/// The bounds on IP fragment reassembly. Each one, when reached, drops a datagram and counts it in
/// `FragmentStatistics`.
package struct FragmentLimits: Sendable, Equatable {
    /// Datagrams with fragments buffered at once. A new datagram beyond this evicts the oldest one.
    package var maxDatagrams: Int
    /// Bytes of fragment data buffered over all datagrams. Growth beyond this evicts the oldest
    /// datagrams, the growing one included when it is itself the oldest.
    package var maxBufferedBytes: Int
    /// How long, in packet time from its first fragment, a datagram may wait to be completed.
    package var timeoutNanoseconds: Int64
    /// The largest reassembled datagram: for IPv4 the IP header plus all fragment data (65535 is
    /// the most the header can describe); for IPv6 the fragmentable part alone, so the headers before
    /// the fragment header come on top.
    package var maxDatagramSize: Int

    /// Limits with the defaults: 4096 datagrams, 16 MiB, 30 s, 65535 bytes.
    package init(
        maxDatagrams: Int = 4096, maxBufferedBytes: Int = 16 << 20,
        timeoutNanoseconds: Int64 = 30_000_000_000, maxDatagramSize: Int = 65535
    ) {
        self.maxDatagrams = maxDatagrams
        self.maxBufferedBytes = maxBufferedBytes
        self.timeoutNanoseconds = timeoutNanoseconds
        self.maxDatagramSize = maxDatagramSize
    }
}

/// Counts kept by fragment reassembly.
package struct FragmentStatistics: Sendable, Equatable {
    /// TCP and UDP fragments handed to the reassembler (fragments of other protocols are skipped
    /// without being buffered or counted here).
    package var fragments: UInt64 = 0
    /// Datagrams completed and decoded.
    package var reassembled: UInt64 = 0
    /// Datagrams dropped because they were not complete within the timeout.
    package var droppedTimeout: UInt64 = 0
    /// Datagrams evicted to stay within the datagram count or buffered byte limits.
    package var droppedLimit: UInt64 = 0
    /// Datagrams dropped because their data would end past the maximum datagram size.
    package var droppedTooLarge: UInt64 = 0
    /// Datagrams dropped for inconsistent fragments: a non-final fragment whose length is not a
    /// multiple of 8 or that ends past the final one, two different ends, or a fragment cut short by
    /// the capture's snapshot length.
    package var droppedMalformed: UInt64 = 0
    /// Fragments that overlapped data already buffered (duplicates included).
    package var overlaps: UInt64 = 0
    /// Overlapping fragments whose bytes differed from those buffered; the first copy is kept.
    package var conflictingOverlaps: UInt64 = 0

    /// Empty statistics.
    package init() {}

    /// Datagrams dropped for any reason.
    package var dropped: UInt64 { droppedTimeout &+ droppedLimit &+ droppedTooLarge &+ droppedMalformed }
}

/// What identifies the fragments of one datagram: addresses, identification (16 bits for IPv4,
/// 32 for IPv6) and protocol (for IPv6, the header type that starts the fragmentable part).
package struct FragmentKey: Hashable, Sendable {
    /// Source address.
    package var source: IPAddress
    /// Destination address.
    package var destination: IPAddress
    /// The IP identification field.
    package var identification: UInt32
    /// IPv4 protocol, or the IPv6 fragment header's next header.
    package var transportProtocol: UInt8

    /// A key from its parts.
    package init(source: IPAddress, destination: IPAddress, identification: UInt32, protocol: UInt8) {
        self.source = source
        self.destination = destination
        self.identification = identification
        self.transportProtocol = `protocol`
    }
}
