import PacketCapture

/// A frame and the time it was captured, as the builders produce them.
package typealias TimedFrame = (time: Timestamp, frame: [UInt8])

/// Writes a classic pcap file (little-endian, magic `0xa1b2c3d4` for microsecond or `0xa1b23c4d`
/// for nanosecond timestamps) to a file or into memory.
///
/// Output goes through a large buffer, so writing hundreds of megabytes costs little more than
/// the copies. Writes do not throw; `close()` reports the first failure.
///
/// ```swift
/// let writer = try PcapWriter(path: "/tmp/x.pcap", linkType: .ethernet, nanosecond: true)
/// writer.write(frame: bytes, time: Timestamp(seconds: 1_700_000_000, nanoseconds: 5))
/// try writer.close()
/// ```
package final class PcapWriter {
    /// The link type written in the file header.
    package let linkType: LinkType
    /// The snapshot length written in the file header; longer frames are cut to it.
    package let snapshotLength: Int
    /// Whether timestamps are written with nanosecond resolution.
    package let nanosecond: Bool
    /// The number of packet records written.
    package private(set) var packetCount = 0
    private let output: CaptureOutput

    /// A writer into a file at `path` (created or truncated).
    package init(
        path: String, linkType: LinkType, snapshotLength: Int = 262_144, nanosecond: Bool = false
    ) throws(CaptureWriteError) {
        self.output = try CaptureOutput(path: path)
        self.linkType = linkType
        self.snapshotLength = snapshotLength
        self.nanosecond = nanosecond
        writeHeader()
    }

    /// A writer into memory; read the file's bytes with `bytes`.
    package init(linkType: LinkType, snapshotLength: Int = 262_144, nanosecond: Bool = false) {
        self.output = CaptureOutput()
        self.linkType = linkType
        self.snapshotLength = snapshotLength
        self.nanosecond = nanosecond
        writeHeader()
    }

    /// The file written so far, for an in-memory writer.
    package var bytes: [UInt8] { output.bytes }

    /// The number of bytes written so far, header included.
    package var byteCount: Int { output.totalBytes }

    private func writeHeader() {
        output.writeLittleEndian(nanosecond ? UInt32(0xA1B2_3C4D) : UInt32(0xA1B2_C3D4))
        output.writeLittleEndian(UInt16(2))
        output.writeLittleEndian(UInt16(4))
        output.writeLittleEndian(UInt32(0))  // thiszone
        output.writeLittleEndian(UInt32(0))  // sigfigs
        output.writeLittleEndian(UInt32(truncatingIfNeeded: snapshotLength))
        output.writeLittleEndian(linkType.fileHeaderValue)
    }

    /// Appends one packet record. The frame is cut to the snapshot length; `originalLength`
    /// (the length on the wire) defaults to the frame's length.
    @inline(__always)
    package func write(frame: UnsafeRawBufferPointer, time: Timestamp, originalLength: Int? = nil) {
        let captured = min(frame.count, snapshotLength)
        let fraction = nanosecond ? time.fraction : time.fraction / 1000
        var header = (
            UInt32(truncatingIfNeeded: time.seconds).littleEndian,
            UInt32(truncatingIfNeeded: fraction).littleEndian,
            UInt32(truncatingIfNeeded: captured).littleEndian,
            UInt32(truncatingIfNeeded: originalLength ?? frame.count).littleEndian
        )
        withUnsafeBytes(of: &header) { output.write($0) }
        output.write(UnsafeRawBufferPointer(rebasing: frame[0..<captured]))
        packetCount += 1
    }

    /// Appends one packet record from a byte array.
    @inline(__always)
    package func write(frame: [UInt8], time: Timestamp, originalLength: Int? = nil) {
        frame.withUnsafeBytes { write(frame: $0, time: time, originalLength: originalLength) }
    }

    /// Appends every frame in order.
    package func write(_ frames: [TimedFrame]) {
        for item in frames { write(frame: item.frame, time: item.time) }
    }

    /// Appends raw bytes as they are (to build damaged files on purpose).
    package func writeRaw(_ bytes: [UInt8]) {
        output.write(bytes)
    }

    /// Writes buffered bytes out; throws the first failure so far.
    package func flush() throws(CaptureWriteError) { try output.flush() }

    /// Flushes and closes the file; throws the first failure, if any.
    package func close() throws(CaptureWriteError) { try output.close() }

    /// A whole pcap file in memory holding `frames`.
    package static func fileBytes(
        _ frames: [TimedFrame], linkType: LinkType, snapshotLength: Int = 262_144, nanosecond: Bool = false
    ) -> [UInt8] {
        let writer = PcapWriter(linkType: linkType, snapshotLength: snapshotLength, nanosecond: nanosecond)
        writer.write(frames)
        return writer.bytes
    }
}

extension LinkType {
    /// The LINKTYPE_ value for a file header: libpcap's DLT values except raw IP, which files
    /// carry as LINKTYPE_RAW (101) because DLT_RAW differs between platforms.
    package var fileHeaderValue: UInt32 {
        switch rawValue {
        case LinkType.raw.rawValue, LinkType.rawOpenBSD.rawValue: 101
        default: UInt32(truncatingIfNeeded: rawValue)
        }
    }
}
