/// Builds CTP (FTD/FTDC) frames byte by byte for tests and capture generators, independent of the
/// decoder it tests: field bodies packed member by member (big-endian), the 20-byte FTDC header,
/// the CRP header with zero-run compression, the FTD header with its extension tags, and knobs
/// that damage each of those on purpose.
///
/// ```swift
/// var login = CTPFrameBuilder.Body()
/// login.text("20260102", 9); login.text("9999", 11); login.text("trader", 16)
/// let packet = CTPFrameBuilder.packet(tid: 0x3000, fields: [.init(0x1002, login.bytes)])
/// let frame = CTPFrameBuilder.frame(packet)          // type 2, CRP 01 03, compressed
/// ```
package enum CTPFrameBuilder {
    /// A field: its id and body.
    package struct Field: Hashable, Sendable {
        /// The field id.
        package var fid: UInt16
        /// The body (the packed struct).
        package var body: [UInt8]
        /// Written instead of the body's length when set (a field running past the content).
        package var lengthOverride: UInt16?

        /// A field with id `fid` and body `body`.
        package init(_ fid: UInt16, _ body: [UInt8], lengthOverride: UInt16? = nil) {
            self.fid = fid
            self.body = body
            self.lengthOverride = lengthOverride
        }
    }

    /// A packed struct body, written member by member.
    package struct Body: Hashable, Sendable {
        /// The bytes so far.
        package var bytes: [UInt8] = []

        /// An empty body.
        package init() {}

        /// `char[size]`: the bytes of `text` (cut to size - 1), NUL-terminated, zero-padded.
        package mutating func text(_ text: String, _ size: Int) {
            raw(Array(text.utf8), size)
        }

        /// `char[size]` holding `value` (cut to size - 1), then zeros.
        package mutating func raw(_ value: [UInt8], _ size: Int) {
            let kept = value.prefix(size - 1)
            bytes += kept
            bytes += [UInt8](repeating: 0, count: size - kept.count)
        }

        /// `char`.
        package mutating func char(_ value: Character) {
            bytes.append(value.asciiValue ?? 0)
        }

        /// `int`, big-endian.
        package mutating func int(_ value: Int32) {
            let bits = UInt32(bitPattern: value)
            bytes += [UInt8(bits >> 24), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits & 0xFF)]
        }

        /// `short`, big-endian.
        package mutating func short(_ value: Int16) {
            let bits = UInt16(bitPattern: value)
            bytes += [UInt8(bits >> 8), UInt8(bits & 0xFF)]
        }

        /// `double`, big-endian IEEE 754 (nil writes DBL_MAX, CTP's "no value").
        package mutating func double(_ value: Double?) {
            let bits = (value ?? Double.greatestFiniteMagnitude).bitPattern
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        }

        /// `count` zero bytes (a reserve slot or an empty member).
        package mutating func zeros(_ count: Int) {
            bytes += [UInt8](repeating: 0, count: count)
        }
    }

    // MARK: - Compression

    /// Zero-run compression as SFIT's `Zerocompress` does it: each run of zeros becomes 0xE0 + n
    /// (n up to 15), each byte 0xE0...0xEF is escaped as `E0 b`, anything else is copied.
    package static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0 {
                var run = 0
                while index < bytes.count && bytes[index] == 0 && run < 15 {
                    run += 1
                    index += 1
                }
                out.append(0xE0 | UInt8(run))
                continue
            }
            if byte & 0xF0 == 0xE0 { out.append(0xE0) }
            out.append(byte)
            index += 1
        }
        return out
    }

    // MARK: - Packets and frames

    /// An FTDC packet: the 20-byte header and the fields. `fieldCount` and `contentLength` are
    /// the true ones unless given.
    package static func packet(
        version: UInt8 = 0x0F, chain: Character = "L", series: UInt16 = 0, tid: UInt32, sequence: UInt32 = 0,
        requestID: UInt32 = 0, fields: [Field], fieldCount: UInt16? = nil, contentLength: UInt16? = nil
    ) -> [UInt8] {
        var content: [UInt8] = []
        for field in fields {
            let length = field.lengthOverride ?? UInt16(field.body.count)
            content += [UInt8(field.fid >> 8), UInt8(field.fid & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF)]
            content += field.body
        }
        var header: [UInt8] = [version, chain.asciiValue ?? 0]
        header += [UInt8(series >> 8), UInt8(series & 0xFF)]
        header += bigEndian(tid)
        header += bigEndian(sequence)
        let count = fieldCount ?? UInt16(fields.count)
        header += [UInt8(count >> 8), UInt8(count & 0xFF)]
        let length = contentLength ?? UInt16(truncatingIfNeeded: content.count)
        header += [UInt8(length >> 8), UInt8(length & 0xFF)]
        header += bigEndian(requestID)
        return header + content
    }

    /// An FTD frame around `packet`: Type 2 with the CRP header `01 03` and the packet zero-run
    /// compressed (`01 00` and the packet as is when `compressed` is false), after `extensions`
    /// (raw TLV bytes). `type`, `crpType` and `contentLength` override the true values.
    package static func frame(
        _ packet: [UInt8], compressed: Bool = true, extensions: [UInt8] = [], type: UInt8 = 2, crpType: UInt8 = 1,
        method: UInt8? = nil, contentLength: UInt16? = nil
    ) -> [UInt8] {
        let payload = compressed ? compress(packet) : packet
        let content = type == 1 ? packet : [crpType, method ?? (compressed ? 3 : 0)] + payload
        let length = contentLength ?? UInt16(truncatingIfNeeded: content.count)
        return [type, UInt8(extensions.count), UInt8(length >> 8), UInt8(length & 0xFF)] + extensions + content
    }

    /// A whole data frame: `packet(...)` inside `frame(...)`, compressed.
    package static func message(
        tid: UInt32, series: UInt16 = 0, sequence: UInt32 = 0, requestID: UInt32 = 0, chain: Character = "L",
        version: UInt8 = 0x0F, fields: [Field], compressed: Bool = true
    ) -> [UInt8] {
        frame(
            packet(version: version, chain: chain, series: series, tid: tid, sequence: sequence, requestID: requestID, fields: fields),
            compressed: compressed)
    }

    /// The keep-alive frame: Type 0, extension tag 0x05 with no data.
    package static let heartbeat: [UInt8] = [0x00, 0x02, 0x00, 0x00, 0x05, 0x00]

    /// The heartbeat-timeout announcement: Type 0, extension tag 0x07 with the seconds big-endian.
    package static func heartbeatTimeout(_ seconds: UInt32) -> [UInt8] {
        [0x00, 0x06, 0x00, 0x00, 0x07, 0x04] + bigEndian(seconds)
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
