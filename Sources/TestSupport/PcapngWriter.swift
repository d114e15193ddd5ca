import PacketCapture

/// Writes a pcapng file (little-endian): one Section Header Block, one Interface Description
/// Block per `addInterface` call, and an Enhanced Packet Block per packet.
///
/// Interfaces may differ in snapshot length and timestamp resolution (`if_tsresol` 9 for
/// nanoseconds; microseconds by default). libpcap 1.10 reads the result as long as every
/// interface has the same link type.
package final class PcapngWriter {
    /// One interface as described in its IDB.
    package struct Interface: Sendable {
        /// The interface's link type.
        package var linkType: LinkType
        /// Its snapshot length.
        package var snapshotLength: Int
        /// Whether its timestamps are in nanoseconds.
        package var nanosecond: Bool
    }

    /// The interfaces described so far, by interface id.
    package private(set) var interfaces: [Interface] = []
    /// The number of packet blocks written.
    package private(set) var packetCount = 0
    private let output: CaptureOutput

    /// A writer into a file at `path` (created or truncated); writes the section header.
    package init(path: String) throws(CaptureWriteError) {
        self.output = try CaptureOutput(path: path)
        writeSectionHeader()
    }

    /// A writer into memory; read the file's bytes with `bytes`.
    package init() {
        self.output = CaptureOutput()
        writeSectionHeader()
    }

    /// A writer into memory with one interface already described.
    package convenience init(linkType: LinkType, snapshotLength: Int = 262_144, nanosecond: Bool = false) {
        self.init()
        addInterface(linkType: linkType, snapshotLength: snapshotLength, nanosecond: nanosecond)
    }

    /// A writer into a file with one interface already described.
    package convenience init(
        path: String, linkType: LinkType, snapshotLength: Int = 262_144, nanosecond: Bool = false
    ) throws(CaptureWriteError) {
        try self.init(path: path)
        addInterface(linkType: linkType, snapshotLength: snapshotLength, nanosecond: nanosecond)
    }

    /// The file written so far, for an in-memory writer.
    package var bytes: [UInt8] { output.bytes }

    private func writeSectionHeader() {
        output.writeLittleEndian(UInt32(0x0A0D_0D0A))
        output.writeLittleEndian(UInt32(28))
        output.writeLittleEndian(UInt32(0x1A2B_3C4D))
        output.writeLittleEndian(UInt16(1))
        output.writeLittleEndian(UInt16(0))
        output.writeLittleEndian(UInt64.max)  // section length unknown
        output.writeLittleEndian(UInt32(28))
    }

    /// Writes an Interface Description Block and returns the new interface's id.
    @discardableResult
    package func addInterface(
        linkType: LinkType, snapshotLength: Int = 262_144, nanosecond: Bool = false, name: String? = nil
    ) -> Int {
        var options: [UInt8] = []
        if let name {
            appendOption(code: 2, value: Array(name.utf8), to: &options)
        }
        if nanosecond {
            appendOption(code: 9, value: [9], to: &options)
        }
        if !options.isEmpty {
            options += [0, 0, 0, 0]  // opt_endofopt
        }
        let total = UInt32(20 + options.count)
        output.writeLittleEndian(UInt32(1))
        output.writeLittleEndian(total)
        output.writeLittleEndian(UInt16(truncatingIfNeeded: linkType.fileHeaderValue))
        output.writeLittleEndian(UInt16(0))
        output.writeLittleEndian(UInt32(truncatingIfNeeded: snapshotLength))
        output.write(options)
        output.writeLittleEndian(total)
        interfaces.append(Interface(linkType: linkType, snapshotLength: snapshotLength, nanosecond: nanosecond))
        return interfaces.count - 1
    }

    private func appendOption(code: UInt16, value: [UInt8], to options: inout [UInt8]) {
        withUnsafeBytes(of: code.littleEndian) { options += $0 }
        withUnsafeBytes(of: UInt16(value.count).littleEndian) { options += $0 }
        options += value
        options += [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
    }

    /// Appends an Enhanced Packet Block on `interface`. The frame is cut to that interface's
    /// snapshot length; `originalLength` defaults to the frame's length. An unknown interface
    /// id is written as given (to build damaged files on purpose).
    package func write(
        frame: UnsafeRawBufferPointer, time: Timestamp, interface: Int = 0, originalLength: Int? = nil
    ) {
        let description = interfaces.indices.contains(interface) ? interfaces[interface] : nil
        let captured = min(frame.count, description?.snapshotLength ?? frame.count)
        let padding = (4 - captured % 4) % 4
        let total = UInt32(32 + captured + padding)
        let units = (description?.nanosecond ?? false)
            ? UInt64(bitPattern: time.nanoseconds) : UInt64(bitPattern: time.nanoseconds / 1000)
        output.writeLittleEndian(UInt32(6))
        output.writeLittleEndian(total)
        output.writeLittleEndian(UInt32(truncatingIfNeeded: interface))
        output.writeLittleEndian(UInt32(truncatingIfNeeded: units >> 32))
        output.writeLittleEndian(UInt32(truncatingIfNeeded: units))
        output.writeLittleEndian(UInt32(truncatingIfNeeded: captured))
        output.writeLittleEndian(UInt32(truncatingIfNeeded: originalLength ?? frame.count))
        output.write(UnsafeRawBufferPointer(rebasing: frame[0..<captured]))
        if padding > 0 { output.writeZeros(padding) }
        output.writeLittleEndian(total)
        packetCount += 1
    }

    /// Appends an Enhanced Packet Block from a byte array.
    package func write(frame: [UInt8], time: Timestamp, interface: Int = 0, originalLength: Int? = nil) {
        frame.withUnsafeBytes { write(frame: $0, time: time, interface: interface, originalLength: originalLength) }
    }

    /// Appends every frame in order on `interface`.
    package func write(_ frames: [TimedFrame], interface: Int = 0) {
        for item in frames { write(frame: item.frame, time: item.time, interface: interface) }
    }

    /// Writes buffered bytes out; throws the first failure so far.
    package func flush() throws(CaptureWriteError) { try output.flush() }

    /// Flushes and closes the file; throws the first failure, if any.
    package func close() throws(CaptureWriteError) { try output.close() }
}
