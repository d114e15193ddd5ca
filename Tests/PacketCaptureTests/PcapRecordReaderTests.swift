import Foundation
import PacketCapture
import Testing

/// The block reader of plain pcap files against libpcap's own record reading: the same packets,
/// the same end, the same message for a damaged record, whatever the byte order, timestamp
/// resolution and damage.
@Suite struct PcapRecordReaderTests {
    /// One record as written: header fields and captured bytes.
    struct Record {
        var seconds: UInt32
        var fraction: UInt32
        var captured: UInt32
        var original: UInt32
        var bytes: [UInt8]

        init(seconds: UInt32 = 1_700_000_000, fraction: UInt32 = 123_456, bytes: [UInt8], captured: UInt32? = nil, original: UInt32? = nil) {
            self.seconds = seconds
            self.fraction = fraction
            self.bytes = bytes
            self.captured = captured ?? UInt32(bytes.count)
            self.original = original ?? UInt32(bytes.count)
        }
    }

    /// What one reader made of a file: packets (time, bytes, wire length), then how it ended.
    struct Reading: Equatable, CustomStringConvertible {
        var packets: [String] = []
        var ending = ""
        var description: String { "\(packets.count) packets, then \(ending)" }
    }

    /// A pcap file's bytes: its header (magic by resolution, either byte order) and records.
    static func file(
        bigEndian: Bool = false, nanosecond: Bool = false, version: (UInt16, UInt16) = (2, 4), snapshot: UInt32 = 262_144,
        linkType: UInt32 = 1, records: [Record], trailing: [UInt8] = []
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        func put32(_ value: UInt32) {
            let ordered = bigEndian ? value.bigEndian : value.littleEndian
            withUnsafeBytes(of: ordered) { bytes += $0 }
        }
        func put16(_ value: UInt16) {
            let ordered = bigEndian ? value.bigEndian : value.littleEndian
            withUnsafeBytes(of: ordered) { bytes += $0 }
        }
        put32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        put16(version.0)
        put16(version.1)
        put32(0)
        put32(0)
        put32(snapshot)
        put32(linkType)
        for record in records {
            put32(record.seconds)
            put32(record.fraction)
            put32(record.captured)
            put32(record.original)
            bytes += record.bytes
        }
        return bytes + trailing
    }

    static func read(_ bytes: [UInt8], throughLibpcap: Bool) throws -> Reading {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tapsentry-records-\(UUID().uuidString).pcap").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try CaptureFile(path: path, throughLibpcap: throughLibpcap)
        var reading = Reading()
        while true {
            switch file.next() {
            case .packet(let packet):
                var sum: UInt64 = 0xcbf2_9ce4_8422_2325
                for byte in packet.bytes { sum = (sum ^ UInt64(byte)) &* 0x100_0000_01b3 }
                reading.packets.append("\(packet.time.seconds).\(packet.time.fraction) \(packet.wireLength) \(packet.bytes.count) \(sum)")
            case .end:
                reading.ending = "end"
                return reading
            case .failed(let reason):
                reading.ending = "failed: \(reason)"
                return reading
            }
        }
    }

    /// Reads `bytes` both ways and expects the same; returns the block reader's reading.
    @discardableResult
    static func expectSame(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> Reading {
        let blocks = try read(bytes, throughLibpcap: false)
        let libpcap = try read(bytes, throughLibpcap: true)
        #expect(blocks == libpcap, sourceLocation: sourceLocation)
        return blocks
    }

    static let frames: [[UInt8]] = (0..<40).map { index in (0..<(60 + index * 37)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) } }

    @Test("clean files in either byte order and resolution read alike", arguments: [false, true], [false, true])
    func clean(bigEndian: Bool, nanosecond: Bool) throws {
        let records = Self.frames.enumerated().map { index, frame in
            Record(seconds: 1_700_000_000 + UInt32(index), fraction: nanosecond ? 999_999_999 - UInt32(index) : 999_999 - UInt32(index), bytes: frame)
        }
        let reading = try Self.expectSame(Self.file(bigEndian: bigEndian, nanosecond: nanosecond, records: records))
        #expect(reading.packets.count == 40)
        #expect(reading.ending == "end")
    }

    @Test("a file of many blocks reads alike, records straddling the block ends")
    func manyBlocks() throws {
        // About 10 MB: records of up to 65 KB, and some of the largest length a capture may have,
        // cross the 1 MiB block boundaries at many offsets.
        let records = (0..<300).map { index in
            let length = index % 50 == 7 ? 262_144 : 1 + (index * 7_919) % 65_000
            return Record(fraction: UInt32(index), bytes: [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: length))
        }
        let reading = try Self.expectSame(Self.file(records: records))
        #expect(reading.packets.count == 300)
    }

    @Test("empty files, and records with no bytes, read alike")
    func empty() throws {
        #expect(try Self.expectSame(Self.file(records: [])).ending == "end")
        #expect(try Self.expectSame(Self.file(records: [Record(bytes: []), Record(bytes: [1])])).packets.count == 2)
    }

    @Test("a record cut short, in its header or its bytes, fails with libpcap's message")
    func truncated() throws {
        let whole = Self.file(records: [Record(bytes: Self.frames[3]), Record(bytes: Self.frames[4])])
        for cut in [1, 7, 15, 16, 17, Self.frames[4].count + 15] {
            let reading = try Self.expectSame(Array(whole.dropLast(cut)))
            #expect(reading.packets.count == 1)
            #expect(reading.ending.hasPrefix("failed: truncated dump file"))
        }
    }

    @Test("records longer than the snapshot length are cut to it; past libpcap's maximum they fail")
    func overlong() throws {
        let long = [UInt8](repeating: 0xAB, count: 3_000)
        let cut = try Self.expectSame(Self.file(snapshot: 1_000, records: [Record(bytes: long), Record(bytes: [1, 2, 3])]))
        #expect(cut.packets.count == 2)
        // Cut short inside the snapshot length, and inside the part beyond it.
        for dropped in [2_500, 1_000] {
            let reading = try Self.expectSame(Array(Self.file(snapshot: 1_000, records: [Record(bytes: long)]).dropLast(dropped)))
            #expect(reading.ending.hasPrefix("failed: truncated dump file"))
        }
        // A length no capture can have, whether or not the snapshot length allows it.
        let huge = Record(bytes: [1, 2, 3], captured: 300_000)
        for snapshot: UInt32 in [1_000, 262_144] {
            let reading = try Self.expectSame(Self.file(snapshot: snapshot, records: [Record(bytes: [9]), huge]))
            #expect(reading.packets.count == 1)
            #expect(reading.ending.hasPrefix("failed: invalid packet capture length 300000"))
        }
    }

    @Test("a wire length shorter than the captured one, and negative times, are passed on as libpcap does")
    func oddHeaders() throws {
        let records = [
            Record(bytes: Self.frames[0], original: 10),
            Record(seconds: 0xFFFF_FFF0, fraction: 0xFFFF_FFFF, bytes: Self.frames[1]),
        ]
        for nanosecond in [false, true] {
            #expect(try Self.expectSame(Self.file(nanosecond: nanosecond, records: records)).packets.count == 2)
        }
    }

    @Test("version 2.3 files and other link types are left to libpcap, and read alike")
    func leftToLibpcap() throws {
        let records = [Record(bytes: Self.frames[5], captured: 80, original: 40)].map { record in
            var swappedLengths = record
            swappedLengths.bytes = Array(record.bytes.prefix(80))
            return swappedLengths
        }
        try Self.expectSame(Self.file(version: (2, 3), records: records))
        try Self.expectSame(Self.file(linkType: 147, records: [Record(bytes: Self.frames[6])]))
    }
}
