/// One IPv6 extension header, written in the order given between the fixed header and the
/// transport header.
package enum IPv6ExtensionHeader: Hashable, Sendable {
    /// Hop-by-Hop Options (next header 0) with raw option TLVs, padded with Pad1/PadN.
    case hopByHop(options: [UInt8] = [])
    /// Destination Options (next header 60) with raw option TLVs, padded with Pad1/PadN.
    case destinationOptions(options: [UInt8] = [])
    /// Routing (next header 43): type, segments left and type-specific data (the 4 reserved
    /// bytes of type 0 included), padded with zeros to a multiple of 8.
    case routing(type: UInt8 = 0, segmentsLeft: UInt8 = 0, data: [UInt8] = [0, 0, 0, 0])
    /// Fragment (next header 44): offset in bytes (a multiple of 8), M flag, identification.
    case fragment(offset: Int = 0, moreFragments: Bool = false, identification: UInt32 = 0)

    /// The protocol number that announces this header.
    package var protocolNumber: UInt8 {
        switch self {
        case .hopByHop: 0
        case .destinationOptions: 60
        case .routing: 43
        case .fragment: 44
        }
    }

    /// The header's length on the wire (a multiple of 8).
    package var length: Int {
        switch self {
        case .hopByHop(let options), .destinationOptions(let options): (2 + options.count + 7) / 8 * 8
        case .routing(_, _, let data): (4 + data.count + 7) / 8 * 8
        case .fragment: 8
        }
    }

    /// Writes the header at `offset` with `nextHeader` as its next-header field.
    func write(to buffer: UnsafeMutableRawBufferPointer, at offset: Int, nextHeader: UInt8) {
        let total = length
        buffer[offset] = nextHeader
        switch self {
        case .hopByHop(let options), .destinationOptions(let options):
            buffer[offset + 1] = UInt8(total / 8 - 1)
            var cursor = offset + 2
            for byte in options {
                buffer[cursor] = byte
                cursor += 1
            }
            let padding = offset + total - cursor
            if padding == 1 {
                buffer[cursor] = 0  // Pad1
            } else if padding >= 2 {
                buffer[cursor] = 1  // PadN
                buffer[cursor + 1] = UInt8(padding - 2)
                for index in 2..<padding { buffer[cursor + index] = 0 }
            }
        case .routing(let type, let segmentsLeft, let data):
            buffer[offset + 1] = UInt8(total / 8 - 1)
            buffer[offset + 2] = type
            buffer[offset + 3] = segmentsLeft
            for index in 0..<(total - 4) {
                buffer[offset + 4 + index] = index < data.count ? data[index] : 0
            }
        case .fragment(let fragmentOffset, let moreFragments, let identification):
            buffer[offset + 1] = 0
            let value = UInt16(truncatingIfNeeded: (fragmentOffset / 8) << 3) | (moreFragments ? 1 : 0)
            buffer.storeBigEndian(value, at: offset + 2)
            buffer.storeBigEndian(identification, at: offset + 4)
        }
    }
}

/// The IPv6 header fields a frame builder uses (addresses and protocol come per packet).
package struct IPv6Fields: Hashable, Sendable {
    /// The traffic class byte.
    package var trafficClass: UInt8
    /// The 20-bit flow label.
    package var flowLabel: UInt32
    /// The hop limit.
    package var hopLimit: UInt8
    /// Extension headers in wire order.
    package var extensionHeaders: [IPv6ExtensionHeader]

    /// Fields with the usual defaults: hop limit 64, no extension headers.
    package init(
        trafficClass: UInt8 = 0, flowLabel: UInt32 = 0, hopLimit: UInt8 = 64,
        extensionHeaders: [IPv6ExtensionHeader] = []
    ) {
        self.trafficClass = trafficClass
        self.flowLabel = flowLabel
        self.hopLimit = hopLimit
        self.extensionHeaders = extensionHeaders
    }

    /// The length of the fixed header and the extension headers.
    @inline(__always)
    package var headerLength: Int {
        var total = 40
        for header in extensionHeaders { total += header.length }
        return total
    }

    /// Writes the fixed header and extension headers at `offset` for a packet of `totalLength`
    /// bytes whose upper-layer protocol is `protocolNumber`.
    @inline(__always)
    func write(
        to buffer: UnsafeMutableRawBufferPointer, at offset: Int, totalLength: Int,
        protocolNumber: UInt8, source: (UInt64, UInt64), destination: (UInt64, UInt64)
    ) {
        let first = UInt32(6) << 28 | UInt32(trafficClass) << 20 | (flowLabel & 0xF_FFFF)
        buffer.storeBigEndian(first, at: offset)
        buffer.storeBigEndian(UInt16(truncatingIfNeeded: totalLength - 40), at: offset + 4)
        buffer[offset + 6] = extensionHeaders.first?.protocolNumber ?? protocolNumber
        buffer[offset + 7] = hopLimit
        buffer.storeBytes(of: source.0.bigEndian, toByteOffset: offset + 8, as: UInt64.self)
        buffer.storeBytes(of: source.1.bigEndian, toByteOffset: offset + 16, as: UInt64.self)
        buffer.storeBytes(of: destination.0.bigEndian, toByteOffset: offset + 24, as: UInt64.self)
        buffer.storeBytes(of: destination.1.bigEndian, toByteOffset: offset + 32, as: UInt64.self)
        var cursor = offset + 40
        for (index, header) in extensionHeaders.enumerated() {
            let next = index + 1 < extensionHeaders.count ? extensionHeaders[index + 1].protocolNumber : protocolNumber
            header.write(to: buffer, at: cursor, nextHeader: next)
            cursor += header.length
        }
    }
}
