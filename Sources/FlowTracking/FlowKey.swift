import PacketCapture

/// The bidirectional 5-tuple of a flow: both packets directions map to the same key, with the
/// lower (address, port) endpoint first.
struct FlowKey: Equatable {
    var lowAddress: IPAddress
    var highAddress: IPAddress
    var lowPort: UInt16
    var highPort: UInt16
    var transport: UInt8
    /// Whether the packet this key was made from was sent by the low endpoint.
    var sourceIsLow: Bool

    @inline(__always)
    init(_ packet: TransportPacket) {
        let sourceFirst = packet.source < packet.destination
            || (packet.source == packet.destination && packet.sourcePort <= packet.destinationPort)
        if sourceFirst {
            lowAddress = packet.source
            lowPort = packet.sourcePort
            highAddress = packet.destination
            highPort = packet.destinationPort
        } else {
            lowAddress = packet.destination
            lowPort = packet.destinationPort
            highAddress = packet.source
            highPort = packet.sourcePort
        }
        transport = packet.transport.rawValue
        sourceIsLow = sourceFirst
    }

    @inline(__always)
    static func == (lhs: FlowKey, rhs: FlowKey) -> Bool {
        lhs.lowAddress == rhs.lowAddress && lhs.highAddress == rhs.highAddress && lhs.lowPort == rhs.lowPort
            && lhs.highPort == rhs.highPort && lhs.transport == rhs.transport
    }

    /// A fast keyed hash for the flow index (multiply-xorshift mixing).
    @inline(__always)
    func hash(seed: UInt64) -> UInt64 {
        var h = seed
        h = mix64(h ^ lowAddress.high)
        h = mix64(h ^ lowAddress.low)
        h = mix64(h ^ highAddress.high)
        h = mix64(h ^ highAddress.low)
        h = mix64(h ^ (UInt64(lowPort) << 24 | UInt64(highPort) << 8 | UInt64(transport)))
        return h
    }

    /// A 52-bit flow identifier from the key and the flow's first packet time: deterministic, so
    /// the same capture always gives the same ids, and small enough to be exact in JSON.
    func flowID(start: Timestamp) -> UInt64 {
        var h = hash(seed: 0x9E37_79B9_7F4A_7C15)
        h = mix64(h ^ UInt64(bitPattern: start.nanoseconds))
        let id = h & 0x000F_FFFF_FFFF_FFFF
        return id == 0 ? 1 : id
    }
}

