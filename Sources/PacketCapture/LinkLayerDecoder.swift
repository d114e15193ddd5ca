/// Where a frame's network layer starts, and which IP version the link header announced.
package enum NetworkLayer {
    /// An IPv4 header at this byte offset.
    case ipv4(offset: Int)
    /// An IPv6 header at this byte offset.
    case ipv6(offset: Int)
    /// The frame carries no IP packet we can reach.
    case skipped(SkipReason)
}

/// Finds the network layer behind the link header of each supported link type.
///
/// Only reads; never copies. Every read is bounds-checked against the captured bytes first.
package enum LinkLayerDecoder {
    /// At most this many 802.1Q / 802.1ad tags are walked before a frame counts as not IP.
    @inlinable package static var maxVLANTags: Int { 8 }

    /// Locates the network layer of `frame`, captured with link type `linkType`.
    @inlinable
    package static func locate(in frame: UnsafeRawBufferPointer, linkType: LinkType) -> NetworkLayer {
        // Raw numbers rather than the `LinkType` constants: these are global lets, and a switch
        // over them would go through their lazy initialisers on every packet.
        switch linkType.rawValue {
        case 1: // Ethernet
            guard frame.count >= 14 else { return .skipped(.truncatedLinkHeader) }
            return etherType(frame.bigEndianUInt16(at: 12), payloadAt: 14, in: frame)
        case 113: // Linux cooked v1: packet type, ARPHRD, address length, 8-byte address, protocol.
            guard frame.count >= 16 else { return .skipped(.truncatedLinkHeader) }
            return etherType(frame.bigEndianUInt16(at: 14), payloadAt: 16, in: frame)
        case 276: // Linux cooked v2: protocol, reserved, ifindex, ARPHRD, type, address length, address.
            guard frame.count >= 20 else { return .skipped(.truncatedLinkHeader) }
            return etherType(frame.bigEndianUInt16(at: 0), payloadAt: 20, in: frame)
        case 12, 14, 101: // Raw IP: the version nibble decides.
            guard frame.count >= 1 else { return .skipped(.truncatedLinkHeader) }
            switch frame[0] >> 4 {
            case 4: return .ipv4(offset: 0)
            case 6: return .ipv6(offset: 0)
            default: return .skipped(.nonIP)
            }
        case 228:
            return .ipv4(offset: 0)
        case 229:
            return .ipv6(offset: 0)
        case 0: // BSD NULL: address family in the capturing host's byte order, which may not be ours.
            guard frame.count >= 4 else { return .skipped(.truncatedLinkHeader) }
            let family = frame.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
            let layer = addressFamily(family)
            if case .skipped = layer { return addressFamily(family.byteSwapped) }
            return layer
        case 108: // OpenBSD LOOP: address family in network byte order.
            guard frame.count >= 4 else { return .skipped(.truncatedLinkHeader) }
            return addressFamily(frame.bigEndianUInt32(at: 0))
        default:
            return .skipped(.unsupportedLinkType)
        }
    }

    /// Follows an ethertype (through any VLAN tags) to IPv4 or IPv6 starting at `offset`.
    @inlinable
    package static func etherType(_ type: UInt16, payloadAt offset: Int, in frame: UnsafeRawBufferPointer) -> NetworkLayer {
        var type = type
        var offset = offset
        var tags = 0
        while true {
            switch type {
            case 0x0800:
                return .ipv4(offset: offset)
            case 0x86DD:
                return .ipv6(offset: offset)
            case 0x8100, 0x88A8, 0x9100: // 802.1Q, 802.1ad, old QinQ: 2-byte TCI, 2-byte inner type.
                guard tags < maxVLANTags else { return .skipped(.nonIP) }
                guard frame.count - offset >= 4 else { return .skipped(.truncatedLinkHeader) }
                type = frame.bigEndianUInt16(at: offset + 2)
                offset += 4
                tags += 1
            default:
                return .skipped(.nonIP)
            }
        }
    }

    /// The network layer after a 4-byte loopback header holding `family`: AF_INET is 2 everywhere;
    /// AF_INET6 is 10 on Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on Darwin.
    @inlinable
    package static func addressFamily(_ family: UInt32) -> NetworkLayer {
        switch family {
        case 2: return .ipv4(offset: 4)
        case 10, 24, 28, 30: return .ipv6(offset: 4)
        default: return .skipped(.nonIP)
        }
    }
}
