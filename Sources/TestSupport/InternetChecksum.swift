import PacketCapture

/// The Internet checksum (RFC 1071) used by IPv4, TCP and UDP.
package enum InternetChecksum {
    /// Adds the bytes to a running sum as big-endian 16-bit words (a last odd byte is padded
    /// with zero). Only the last chunk summed may have an odd length.
    @inline(__always)
    package static func add(_ bytes: UnsafeRawBufferPointer, to initial: UInt64 = 0) -> UInt64 {
        var sum = initial
        var index = 0
        let count = bytes.count
        while index + 4 <= count {
            sum &+= UInt64(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self)))
            index += 4
        }
        if index + 2 <= count {
            sum &+= UInt64(bytes[index]) << 8 | UInt64(bytes[index + 1])
            index += 2
        }
        if index < count {
            sum &+= UInt64(bytes[index]) << 8
        }
        return sum
    }

    /// Folds a running sum to 16 bits and complements it: the value to store in the header.
    @inline(__always)
    package static func finish(_ sum: UInt64) -> UInt16 {
        var folded = sum
        while folded > 0xFFFF { folded = (folded & 0xFFFF) &+ (folded >> 16) }
        return ~UInt16(truncatingIfNeeded: folded)
    }

    /// The checksum of a byte array.
    package static func checksum(_ bytes: [UInt8]) -> UInt16 {
        bytes.withUnsafeBytes { finish(add($0)) }
    }

    /// The sum of the TCP/UDP pseudo-header for IPv4 or IPv6 (chosen by the source's family).
    @inline(__always)
    package static func pseudoHeaderSum(
        source: IPAddress, destination: IPAddress, protocolNumber: UInt8, length: Int
    ) -> UInt64 {
        var sum: UInt64 = 0
        if source.isIPv4 {
            sum &+= source.low & 0xFFFF_FFFF
            sum &+= destination.low & 0xFFFF_FFFF
        } else {
            for value in [source.high, source.low, destination.high, destination.low] {
                sum &+= value >> 32
                sum &+= value & 0xFFFF_FFFF
            }
        }
        sum &+= UInt64(protocolNumber)
        sum &+= UInt64(length)
        return sum
    }
}
