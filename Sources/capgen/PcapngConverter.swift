import PacketCapture
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Why a conversion failed.
struct ConversionError: Error, CustomStringConvertible {
    /// What went wrong.
    var description: String
}

/// Converts a classic pcap file (either byte order, micro or nanosecond) to pcapng with the
/// Swift writer, for machines without `editcap`.
enum PcapngConverter {
    /// Reads `input` and writes `output`; returns the number of packets.
    static func convert(input: String, output: String) throws -> Int {
        let bytes = try readFile(input)
        guard bytes.count >= 24 else { throw ConversionError(description: "\(input): too short for a pcap header") }
        func word(_ offset: Int, swapped: Bool) -> UInt32 {
            let value = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
            return swapped ? value.byteSwapped : value
        }
        let magic = word(0, swapped: false)
        let swapped: Bool
        let nanosecond: Bool
        switch magic {
        case 0xA1B2_C3D4: (swapped, nanosecond) = (false, false)
        case 0xA1B2_3C4D: (swapped, nanosecond) = (false, true)
        case 0xD4C3_B2A1: (swapped, nanosecond) = (true, false)
        case 0x4D3C_B2A1: (swapped, nanosecond) = (true, true)
        default: throw ConversionError(description: "\(input): not a classic pcap file")
        }
        let snapshotLength = Int(word(16, swapped: swapped))
        let linkValue = Int32(bitPattern: word(20, swapped: swapped) & 0x0FFF_FFFF)
        let linkType = LinkType(rawValue: linkValue == 101 ? LinkType.raw.rawValue : linkValue)
        let writer = try PcapngWriter(path: output)
        writer.addInterface(linkType: linkType, snapshotLength: snapshotLength, nanosecond: nanosecond)
        var offset = 24
        while offset + 16 <= bytes.count {
            let seconds = Int64(word(offset, swapped: swapped))
            let fraction = Int64(word(offset + 4, swapped: swapped))
            let captured = Int(word(offset + 8, swapped: swapped))
            let original = Int(word(offset + 12, swapped: swapped))
            guard offset + 16 + captured <= bytes.count else { break }
            let time = Timestamp(seconds: seconds, nanoseconds: nanosecond ? fraction : fraction * 1000)
            writer.write(frame: Array(bytes[(offset + 16)..<(offset + 16 + captured)]), time: time, originalLength: original)
            offset += 16 + captured
        }
        try writer.close()
        return writer.packetCount
    }

    /// The whole content of a file.
    static func readFile(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw ConversionError(description: "\(path): cannot open") }
        defer { close(descriptor) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { throw ConversionError(description: "\(path): read failed") }
            if count == 0 { break }
            out += chunk[0..<count]
        }
        return out
    }
}
