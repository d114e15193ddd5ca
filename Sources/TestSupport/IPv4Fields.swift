/// The IPv4 header fields a frame builder uses (addresses and protocol come per packet).
package struct IPv4Fields: Hashable, Sendable {
    /// The type-of-service (DSCP and ECN) byte.
    package var typeOfService: UInt8
    /// The identification field.
    package var identification: UInt16
    /// The Don't Fragment flag.
    package var dontFragment: Bool
    /// The More Fragments flag.
    package var moreFragments: Bool
    /// The fragment offset in bytes (a multiple of 8).
    package var fragmentOffset: Int
    /// Time to live.
    package var timeToLive: UInt8
    /// Raw option bytes, padded with zeros (End of Option List) to a multiple of 4.
    package var options: [UInt8]

    /// Fields with the usual defaults: DF set, TTL 64, no options.
    package init(
        typeOfService: UInt8 = 0, identification: UInt16 = 0, dontFragment: Bool = true,
        moreFragments: Bool = false, fragmentOffset: Int = 0, timeToLive: UInt8 = 64, options: [UInt8] = []
    ) {
        self.typeOfService = typeOfService
        self.identification = identification
        self.dontFragment = dontFragment
        self.moreFragments = moreFragments
        self.fragmentOffset = fragmentOffset
        self.timeToLive = timeToLive
        self.options = options
    }

    /// The header length: 20 bytes plus the padded options.
    @inline(__always)
    package var headerLength: Int { 20 + (options.count + 3) / 4 * 4 }

    /// Writes the header at `offset` (checksum included) for a packet of `totalLength` bytes.
    @inline(__always)
    func write(
        to buffer: UnsafeMutableRawBufferPointer, at offset: Int, totalLength: Int,
        protocolNumber: UInt8, source: UInt32, destination: UInt32
    ) {
        let length = headerLength
        buffer[offset] = 0x40 | UInt8(length / 4)
        buffer[offset + 1] = typeOfService
        buffer.storeBigEndian(UInt16(truncatingIfNeeded: totalLength), at: offset + 2)
        buffer.storeBigEndian(identification, at: offset + 4)
        var flagsAndOffset = UInt16(truncatingIfNeeded: (fragmentOffset / 8) & 0x1FFF)
        if dontFragment { flagsAndOffset |= 0x4000 }
        if moreFragments { flagsAndOffset |= 0x2000 }
        buffer.storeBigEndian(flagsAndOffset, at: offset + 6)
        buffer[offset + 8] = timeToLive
        buffer[offset + 9] = protocolNumber
        buffer.storeBigEndian(UInt16(0), at: offset + 10)
        buffer.storeBigEndian(source, at: offset + 12)
        buffer.storeBigEndian(destination, at: offset + 16)
        for index in 0..<(length - 20) {
            buffer[offset + 20 + index] = index < options.count ? options[index] : 0
        }
        let header = UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + length)])
        buffer.storeBigEndian(InternetChecksum.finish(InternetChecksum.add(header)), at: offset + 10)
    }

    /// Recomputes the header checksum of an IPv4 header at `offset` in `packet` (after editing).
    package static func fixChecksum(in packet: inout [UInt8], at offset: Int = 0) {
        guard packet.count >= offset + 20 else { return }
        let length = min(Int(packet[offset] & 0x0F) * 4, packet.count - offset)
        packet[offset + 10] = 0
        packet[offset + 11] = 0
        let sum = packet.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.add(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + length)]))) }
        packet[offset + 10] = UInt8(sum >> 8)
        packet[offset + 11] = UInt8(sum & 0xFF)
    }
}
