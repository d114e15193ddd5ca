import PacketCapture

/// A 48-bit Ethernet address.
package struct MACAddress: Hashable, Sendable {
    /// The address in its low 48 bits, first byte most significant.
    package var value: UInt64

    /// An address from its 48-bit value (`0x02_00_00_00_00_01`).
    package init(_ value: UInt64) {
        self.value = value & 0xFFFF_FFFF_FFFF
    }

    /// Writes the 6 bytes at `offset`.
    @inline(__always)
    func write(to buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        for index in 0..<6 {
            buffer[offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(40 - 8 * index))
        }
    }
}

/// One 802.1Q or 802.1ad tag.
package struct VLANTag: Hashable, Sendable {
    /// The tag protocol identifier: 0x8100 (802.1Q) or 0x88A8 (802.1ad service tag).
    package var tpid: UInt16
    /// The 12-bit VLAN id.
    package var id: UInt16
    /// The 3-bit priority code point.
    package var priority: UInt8

    /// A tag with all fields given.
    package init(tpid: UInt16 = 0x8100, id: UInt16, priority: UInt8 = 0) {
        self.tpid = tpid
        self.id = id
        self.priority = priority
    }

    /// An 802.1Q customer tag.
    package static func dot1Q(_ id: UInt16, priority: UInt8 = 0) -> VLANTag {
        VLANTag(tpid: 0x8100, id: id, priority: priority)
    }

    /// An 802.1ad service tag (the outer tag of QinQ).
    package static func dot1AD(_ id: UInt16, priority: UInt8 = 0) -> VLANTag {
        VLANTag(tpid: 0x88A8, id: id, priority: priority)
    }
}

/// The link layer a frame builder wraps IP packets in.
package enum LinkLayer: Hashable, Sendable {
    /// Ethernet II, with VLAN tags outermost first, padded with zeros up to `minimumLength`
    /// (60 for the Ethernet minimum, 0 for none), then followed by `trailer`.
    case ethernet(
        source: MACAddress = MACAddress(0x02_00_00_00_00_01),
        destination: MACAddress = MACAddress(0x02_00_00_00_00_02),
        vlanTags: [VLANTag] = [], minimumLength: Int = 0, trailer: [UInt8] = []
    )
    /// Linux cooked capture v1 (16-byte header).
    case linuxSLL(packetType: UInt16 = 0, hardwareType: UInt16 = 772, address: MACAddress = MACAddress(0))
    /// Linux cooked capture v2 (20-byte header).
    case linuxSLL2(
        interfaceIndex: UInt32 = 1, packetType: UInt8 = 0, hardwareType: UInt16 = 772,
        address: MACAddress = MACAddress(0)
    )
    /// Raw IP of either version (LINKTYPE_RAW, DLT_RAW 12).
    case raw
    /// Raw IPv4 only (LINKTYPE_IPV4 228).
    case rawIPv4
    /// Raw IPv6 only (LINKTYPE_IPV6 229).
    case rawIPv6
    /// BSD loopback: a 4-byte address family in the writer's byte order (little-endian unless
    /// `bigEndian`); `ipv6Family` is 24 (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (Darwin).
    case null(bigEndian: Bool = false, ipv6Family: UInt32 = 30)
    /// OpenBSD loopback: a 4-byte address family in network byte order (AF_INET6 is 24).
    case loop(ipv6Family: UInt32 = 24)

    /// Plain Ethernet without tags or padding.
    package static let plainEthernet = LinkLayer.ethernet()

    /// The link type to put in the capture file header.
    package var linkType: LinkType {
        switch self {
        case .ethernet: .ethernet
        case .linuxSLL: .linuxSLL
        case .linuxSLL2: .linuxSLL2
        case .raw: .raw
        case .rawIPv4: .ipv4
        case .rawIPv6: .ipv6
        case .null: .null
        case .loop: .loop
        }
    }

    /// The length of the link header in front of the IP packet.
    package var headerLength: Int {
        switch self {
        case .ethernet(_, _, let tags, _, _): 14 + 4 * tags.count
        case .linuxSLL: 16
        case .linuxSLL2: 20
        case .raw, .rawIPv4, .rawIPv6: 0
        case .null, .loop: 4
        }
    }

    /// The frame length for an IP packet of `ipLength` bytes (padding and trailer included).
    @inline(__always)
    package func frameLength(ipLength: Int) -> Int {
        if case .ethernet(_, _, let tags, let minimum, let trailer) = self {
            return max(14 + 4 * tags.count + ipLength, minimum) + trailer.count
        }
        return headerLength + ipLength
    }

    /// The same link with source and destination swapped (the other direction of a flow).
    package var reversed: LinkLayer {
        if case .ethernet(let source, let destination, let tags, let minimum, let trailer) = self {
            return .ethernet(
                source: destination, destination: source, vlanTags: tags, minimumLength: minimum, trailer: trailer)
        }
        return self
    }

    /// Writes the link header at the start of `buffer` and any padding and trailer after the
    /// IP packet of `ipLength` bytes.
    @inline(__always)
    func write(to buffer: UnsafeMutableRawBufferPointer, ipv6: Bool, ipLength: Int) {
        let etherType: UInt16 = ipv6 ? 0x86DD : 0x0800
        switch self {
        case .ethernet(let source, let destination, let tags, let minimum, let trailer):
            destination.write(to: buffer, at: 0)
            source.write(to: buffer, at: 6)
            var offset = 12
            for tag in tags {
                buffer.storeBigEndian(tag.tpid, at: offset)
                buffer.storeBigEndian(UInt16(tag.priority & 7) << 13 | (tag.id & 0x0FFF), at: offset + 2)
                offset += 4
            }
            buffer.storeBigEndian(etherType, at: offset)
            var end = offset + 2 + ipLength
            while end < minimum {
                buffer[end] = 0
                end += 1
            }
            for byte in trailer {
                buffer[end] = byte
                end += 1
            }
        case .linuxSLL(let packetType, let hardwareType, let address):
            buffer.storeBigEndian(packetType, at: 0)
            buffer.storeBigEndian(hardwareType, at: 2)
            buffer.storeBigEndian(UInt16(6), at: 4)
            address.write(to: buffer, at: 6)
            buffer.storeBigEndian(UInt16(0), at: 12)
            buffer.storeBigEndian(etherType, at: 14)
        case .linuxSLL2(let interfaceIndex, let packetType, let hardwareType, let address):
            buffer.storeBigEndian(etherType, at: 0)
            buffer.storeBigEndian(UInt16(0), at: 2)
            buffer.storeBigEndian(interfaceIndex, at: 4)
            buffer.storeBigEndian(hardwareType, at: 8)
            buffer[10] = packetType
            buffer[11] = 6
            address.write(to: buffer, at: 12)
            buffer.storeBigEndian(UInt16(0), at: 18)
        case .raw, .rawIPv4, .rawIPv6:
            break
        case .null(let bigEndian, let ipv6Family):
            let family: UInt32 = ipv6 ? ipv6Family : 2
            buffer.storeBytes(of: bigEndian ? family.bigEndian : family.littleEndian, toByteOffset: 0, as: UInt32.self)
        case .loop(let ipv6Family):
            buffer.storeBigEndian(ipv6 ? ipv6Family : 2, at: 0)
        }
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Stores a 16-bit value big-endian at `offset`.
    @inline(__always)
    func storeBigEndian(_ value: UInt16, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// Stores a 32-bit value big-endian at `offset`.
    @inline(__always)
    func storeBigEndian(_ value: UInt32, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// Stores an address in network order at `offset`: 4 bytes for IPv4, 16 for IPv6.
    @inline(__always)
    func storeAddress(_ address: IPAddress, at offset: Int) {
        if address.isIPv4 {
            storeBigEndian(UInt32(truncatingIfNeeded: address.low), at: offset)
        } else {
            storeBytes(of: address.high.bigEndian, toByteOffset: offset, as: UInt64.self)
            storeBytes(of: address.low.bigEndian, toByteOffset: offset + 8, as: UInt64.self)
        }
    }
}
