/// A TCP header option, for building SYN options and the like.
package enum TCPOption: Hashable, Sendable {
    /// No-Operation (kind 1).
    case noOperation
    /// Maximum Segment Size (kind 2).
    case maximumSegmentSize(UInt16)
    /// Window Scale (kind 3).
    case windowScale(UInt8)
    /// SACK Permitted (kind 4).
    case sackPermitted
    /// Timestamps (kind 8): value and echo reply.
    case timestamps(value: UInt32, echo: UInt32)
    /// Any other option: kind and data (the length byte is added).
    case other(kind: UInt8, data: [UInt8])

    /// The options' bytes, padded with zeros (End of Option List) to a multiple of 4.
    package static func encode(_ options: [TCPOption]) -> [UInt8] {
        var out: [UInt8] = []
        for option in options {
            switch option {
            case .noOperation:
                out.append(1)
            case .maximumSegmentSize(let value):
                out += [2, 4, UInt8(value >> 8), UInt8(value & 0xFF)]
            case .windowScale(let shift):
                out += [3, 3, shift]
            case .sackPermitted:
                out += [4, 2]
            case .timestamps(let value, let echo):
                out += [8, 10]
                for word in [value, echo] {
                    out += [UInt8(word >> 24), UInt8((word >> 16) & 0xFF), UInt8((word >> 8) & 0xFF), UInt8(word & 0xFF)]
                }
            case .other(let kind, let data):
                out += [kind, UInt8(truncatingIfNeeded: data.count + 2)] + data
            }
        }
        while out.count % 4 != 0 { out.append(0) }
        return out
    }

    /// The options a Linux client puts in a SYN: MSS, SACK permitted, window scale.
    package static func synOptions(maximumSegmentSize: UInt16 = 1460) -> [UInt8] {
        encode([.maximumSegmentSize(maximumSegmentSize), .noOperation, .noOperation, .sackPermitted,
                .noOperation, .windowScale(7)])
    }
}
