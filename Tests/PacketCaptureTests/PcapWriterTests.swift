import CPcap
import Foundation
import PacketCapture
import Testing
import TestSupport

/// Round trips through the TestSupport capture writers and libpcap.
@Suite struct PcapWriterTests {
    struct ReadPacket: Equatable {
        var seconds: Int
        var fraction: Int
        var capturedLength: Int
        var originalLength: Int
        var bytes: [UInt8]
    }

    /// Reads a capture file with libpcap at nanosecond precision.
    static func read(path: String) throws -> (linkType: Int32, packets: [ReadPacket]) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline_with_tstamp_precision(
            path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        else {
            throw ReadError(message: errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        defer { pcap_close(handle) }
        var packets: [ReadPacket] = []
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            let status = pcap_next_ex(handle, &header, &data)
            if status == -2 { break }
            guard status == 1, let header, let data else {
                throw ReadError(message: String(cString: pcap_geterr(handle)))
            }
            let caplen = Int(header.pointee.caplen)
            packets.append(ReadPacket(
                seconds: Int(header.pointee.ts.tv_sec), fraction: Int(header.pointee.ts.tv_usec),
                capturedLength: caplen, originalLength: Int(header.pointee.len),
                bytes: Array(UnsafeBufferPointer(start: data, count: caplen))))
        }
        return (pcap_datalink(handle), packets)
    }

    struct ReadError: Error { var message: String }

    static func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "tapsentry-\(getpid())-\(name)"
    }

    static let frames: [TimedFrame] = {
        let builder = FrameBuilder()
        let client = Endpoint("192.0.2.1", 40000)
        let server = Endpoint("192.0.2.2", 443)
        return (0..<5).map { index in
            let time = Timestamp(seconds: 1_700_000_000 + Int64(index), nanoseconds: 123_456_789 + Int64(index))
            let payload = [UInt8](repeating: UInt8(index), count: index * 100)
            return (time, builder.tcp(from: client, to: server, sequence: UInt32(index * 100), payload: payload))
        }
    }()

    @Test func microsecondPcapRoundTrip() throws {
        let path = Self.temporaryPath("micro.pcap")
        defer { unlink(path) }
        let writer = try PcapWriter(path: path, linkType: .ethernet)
        writer.write(Self.frames)
        try writer.close()
        let (linkType, packets) = try Self.read(path: path)
        #expect(linkType == LinkType.ethernet.rawValue)
        #expect(packets.count == Self.frames.count)
        for (packet, expected) in zip(packets, Self.frames) {
            #expect(packet.seconds == Int(expected.time.seconds))
            #expect(packet.fraction == Int(expected.time.fraction / 1000) * 1000)
            #expect(packet.bytes == expected.frame)
            #expect(packet.originalLength == expected.frame.count)
        }
    }

    @Test func nanosecondPcapKeepsNanoseconds() throws {
        let path = Self.temporaryPath("nano.pcap")
        defer { unlink(path) }
        let writer = try PcapWriter(path: path, linkType: .ethernet, nanosecond: true)
        writer.write(Self.frames)
        try writer.close()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(bytes[0..<4]) == [0x4D, 0x3C, 0xB2, 0xA1])
        let (_, packets) = try Self.read(path: path)
        #expect(packets.map(\.fraction) == Self.frames.map { Int($0.time.fraction) })
        #expect(packets.map(\.bytes) == Self.frames.map(\.frame))
    }

    @Test func inMemoryBytesMatchFile() throws {
        let path = Self.temporaryPath("same.pcap")
        defer { unlink(path) }
        let writer = try PcapWriter(path: path, linkType: .linuxSLL2, nanosecond: true)
        writer.write(Self.frames)
        try writer.close()
        let memory = PcapWriter.fileBytes(Self.frames, linkType: .linuxSLL2, nanosecond: true)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == memory)
    }

    @Test func snapshotLengthCutsFramesAndKeepsOriginalLength() throws {
        let path = Self.temporaryPath("snap.pcap")
        defer { unlink(path) }
        let writer = try PcapWriter(path: path, linkType: .ethernet, snapshotLength: 64)
        writer.write(Self.frames)
        writer.write(frame: [1, 2, 3], time: Timestamp(seconds: 1, nanoseconds: 0), originalLength: 1500)
        try writer.close()
        let (_, packets) = try Self.read(path: path)
        #expect(packets.count == 6)
        for (packet, expected) in zip(packets, Self.frames) {
            #expect(packet.capturedLength == min(64, expected.frame.count))
            #expect(packet.originalLength == expected.frame.count)
            #expect(packet.bytes == Array(expected.frame.prefix(64)))
        }
        #expect(packets.last?.originalLength == 1500)
    }

    @Test func rawLinkTypeIsWrittenAsLinktypeRaw() throws {
        let bytes = PcapWriter.fileBytes([], linkType: .raw)
        #expect(Array(bytes[20..<24]) == [101, 0, 0, 0])
        let path = Self.temporaryPath("raw.pcap")
        defer { unlink(path) }
        let writer = try PcapWriter(path: path, linkType: .raw)
        try writer.close()
        #expect(try Self.read(path: path).linkType == LinkType.raw.rawValue)
    }

    @Test func pcapngWithTwoResolutions() throws {
        let path = Self.temporaryPath("two.pcapng")
        defer { unlink(path) }
        let writer = try PcapngWriter(path: path)
        let micro = writer.addInterface(linkType: .ethernet, name: "eth0")
        let nano = writer.addInterface(linkType: .ethernet, nanosecond: true)
        for (index, item) in Self.frames.enumerated() {
            writer.write(frame: item.frame, time: item.time, interface: index % 2 == 0 ? micro : nano)
        }
        try writer.close()
        let (linkType, packets) = try Self.read(path: path)
        #expect(linkType == LinkType.ethernet.rawValue)
        #expect(packets.count == Self.frames.count)
        for (index, (packet, expected)) in zip(packets, Self.frames).enumerated() {
            let fraction = Int(expected.time.fraction)
            #expect(packet.seconds == Int(expected.time.seconds))
            #expect(packet.fraction == (index % 2 == 0 ? fraction / 1000 * 1000 : fraction))
            #expect(packet.bytes == expected.frame)
        }
    }

    @Test func pcapngInMemoryMatchesFile() throws {
        let path = Self.temporaryPath("same.pcapng")
        defer { unlink(path) }
        let file = try PcapngWriter(path: path, linkType: .ipv4, nanosecond: true)
        let memory = PcapngWriter(linkType: .ipv4, nanosecond: true)
        let builder = FrameBuilder(link: .rawIPv4)
        let frame = builder.udp(from: Endpoint("10.0.0.1", 53), to: Endpoint("10.0.0.2", 5353), payload: [1, 2, 3])
        for writer in [file, memory] { writer.write(frame: frame, time: Timestamp(nanoseconds: 42)) }
        try file.close()
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == memory.bytes)
        let (linkType, packets) = try Self.read(path: path)
        #expect(linkType == LinkType.ipv4.rawValue)
        #expect(packets.map(\.bytes) == [frame])
        #expect(packets.first?.fraction == 42)
    }

    @Test func openFailureIsReported() {
        #expect(throws: CaptureWriteError.self) {
            _ = try PcapWriter(path: "/nonexistent-dir/x.pcap", linkType: .ethernet)
        }
    }
}
