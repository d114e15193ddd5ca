/// Splits IP packets into fragments, the way a sender or router would.
package enum IPFragmenter {
    /// The fragments of an IPv4 packet, in order. Each carries at most `fragmentPayloadSize`
    /// bytes of the original payload (rounded down to a multiple of 8, at least 8). The first
    /// fragment keeps every option, later ones only those with the copy bit. A packet that is
    /// already a fragment is split further (offsets and the MF flag follow it). A packet too
    /// short to be IPv4 is returned unchanged.
    package static func fragmentIPv4(_ packet: [UInt8], fragmentPayloadSize: Int) -> [[UInt8]] {
        guard packet.count >= 20 else { return [packet] }
        let headerLength = Int(packet[0] & 0x0F) * 4
        let totalLength = min(Int(packet[2]) << 8 | Int(packet[3]), packet.count)
        guard headerLength >= 20, totalLength >= headerLength else { return [packet] }
        let step = max(8, fragmentPayloadSize / 8 * 8)
        let flags = UInt16(packet[6]) << 8 | UInt16(packet[7])
        let baseOffset = Int(flags & 0x1FFF) * 8
        let originalMore = flags & 0x2000 != 0
        let payload = Array(packet[headerLength..<totalLength])
        let laterHeader = Array(packet[0..<20]) + copiedOptions(Array(packet[20..<headerLength]))

        var fragments: [[UInt8]] = []
        var start = 0
        repeat {
            let end = min(start + step, payload.count)
            var fragment = (start == 0 ? Array(packet[0..<headerLength]) : laterHeader)
            let fragmentHeaderLength = fragment.count
            fragment[0] = 0x40 | UInt8(fragmentHeaderLength / 4)
            fragment += payload[start..<end]
            let length = fragment.count
            fragment[2] = UInt8(length >> 8)
            fragment[3] = UInt8(length & 0xFF)
            let more = end < payload.count || originalMore
            let offsetField = UInt16((baseOffset + start) / 8) & 0x1FFF | (more ? 0x2000 : 0)
            fragment[6] = UInt8(offsetField >> 8)
            fragment[7] = UInt8(offsetField & 0xFF)
            IPv4Fields.fixChecksum(in: &fragment)
            fragments.append(fragment)
            start = end
        } while start < payload.count
        return fragments
    }

    /// The options with the copy bit set, padded to a multiple of 4.
    private static func copiedOptions(_ options: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < options.count {
            let type = options[index]
            if type == 0 { break }
            if type == 1 {
                index += 1
                continue
            }
            guard index + 1 < options.count else { break }
            let length = max(2, Int(options[index + 1]))
            let end = min(index + length, options.count)
            if type & 0x80 != 0 { out += options[index..<end] }
            index = end
        }
        while out.count % 4 != 0 { out.append(0) }
        return out
    }

    /// The fragments of an IPv6 packet, in order. The unfragmentable part (fixed header,
    /// Hop-by-Hop, and everything up to the last Routing header) is repeated in each fragment,
    /// followed by a Fragment header with `identification`; each fragment carries at most
    /// `fragmentPayloadSize` bytes of the rest (rounded down to a multiple of 8, at least 8).
    /// A packet too short to be IPv6 is returned unchanged.
    package static func fragmentIPv6(
        _ packet: [UInt8], fragmentPayloadSize: Int, identification: UInt32
    ) -> [[UInt8]] {
        guard packet.count >= 40 else { return [packet] }
        let totalLength = min(40 + (Int(packet[4]) << 8 | Int(packet[5])), packet.count)
        var nextHeaderField = 6
        var unfragmentableEnd = 40
        var cursor = 40
        var next = packet[6]
        while next == 0 || next == 43 || next == 60, cursor + 2 <= totalLength {
            let length = (Int(packet[cursor + 1]) + 1) * 8
            if next == 0 || next == 43 {
                nextHeaderField = cursor
                unfragmentableEnd = min(cursor + length, totalLength)
            }
            next = packet[cursor]
            cursor += length
        }
        let step = max(8, fragmentPayloadSize / 8 * 8)
        let firstHeader = packet[nextHeaderField]
        let fragmentable = Array(packet[unfragmentableEnd..<totalLength])
        var fragments: [[UInt8]] = []
        var start = 0
        repeat {
            let end = min(start + step, fragmentable.count)
            var fragment = Array(packet[0..<unfragmentableEnd])
            fragment[nextHeaderField] = 44
            let more = end < fragmentable.count
            let offsetField = UInt16(start / 8) << 3 | (more ? 1 : 0)
            fragment += [
                firstHeader, 0, UInt8(offsetField >> 8), UInt8(offsetField & 0xFF),
                UInt8(identification >> 24), UInt8((identification >> 16) & 0xFF),
                UInt8((identification >> 8) & 0xFF), UInt8(identification & 0xFF),
            ]
            fragment += fragmentable[start..<end]
            let payloadLength = fragment.count - 40
            fragment[4] = UInt8(payloadLength >> 8)
            fragment[5] = UInt8(payloadLength & 0xFF)
            fragments.append(fragment)
            start = end
        } while start < fragmentable.count
        return fragments
    }
}
