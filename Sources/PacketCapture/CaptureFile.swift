import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One pcap or pcapng file (or standard input) opened through libpcap's offline API with
/// nanosecond timestamps. The records of a plain pcap file are then read by `PcapRecordReader`,
/// in large blocks; those of other files, through libpcap.
package final class CaptureFile {
    /// What reading the next record gave.
    package enum ReadResult {
        /// A packet; its bytes are valid until the next read.
        case packet(CapturedPacket)
        /// The file ended cleanly.
        case end
        /// The file ended in the middle of a record or could not be read further; the reason says why.
        case failed(String)
    }

    /// The path as given (`-` for standard input).
    package let path: String
    /// The link-layer type of the file's packets.
    package let linkType: LinkType
    /// The file's size in bytes, when known (0 for standard input).
    package let size: Int64
    /// Which input this is, copied into every packet.
    package let sourceIndex: Int
    private var handle: OpaquePointer?
    /// The stdio buffer of the file: glibc ignores the size given to `setvbuf` without a buffer
    /// and reads 4 KiB at a time, one system call per 4 KiB.
    private var readBuffer: UnsafeMutablePointer<CChar>?
    private static let readBufferSize = 1 << 20
    /// The stream buffer of a file whose records `PcapRecordReader` reads.
    private static let headerBufferSize = 64 << 10
    /// The records of a plain pcap file, read past libpcap (nil: libpcap reads them).
    private var records: PcapRecordReader?
    /// `records` as `next` reads it, once per packet: without a retain and a release each time
    /// (set and cleared with it).
    private var recordReader: Unmanaged<PcapRecordReader>?

    /// Opens `path` (`-` reads standard input); `throughLibpcap` has every record read by
    /// libpcap (for comparing the two readers).
    package init(path: String, sourceIndex: Int = 0, throughLibpcap: Bool = false) throws(CaptureError) {
        self.path = path
        self.sourceIndex = sourceIndex
        let file: UnsafeMutablePointer<FILE>
        if path == "-" {
            guard let input = fdopen(dup(STDIN_FILENO), "rb") else {
                throw CaptureError(.cannotOpen, source: path, reason: "cannot read standard input: \(systemError())")
            }
            file = input
            size = 0
        } else {
            var info = stat()
            if stat(path, &info) != 0 {
                throw CaptureError(.cannotOpen, source: path, reason: systemError())
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                throw CaptureError(.cannotOpen, source: path, reason: "is a directory")
            }
            guard let opened = fopen(path, "rb") else {
                throw CaptureError(.cannotOpen, source: path, reason: systemError())
            }
            file = opened
            size = Int64(info.st_size)
        }
        // A plain pcap file is read by `PcapRecordReader` once libpcap has read its header: the
        // stream then needs only a small buffer.
        var plain: (swapped: Bool, nanosecond: Bool)?
        if path != "-" && !throughLibpcap {
            var header = [UInt8](repeating: 0, count: 24)
            if header.withUnsafeMutableBytes({ pread(fileno(file), $0.baseAddress, 24, 0) }) == 24 {
                plain = PcapRecordReader.format(of: header)
            }
        }
        let bufferSize = plain == nil ? Self.readBufferSize : Self.headerBufferSize
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bufferSize)
        setvbuf(file, buffer, _IOFBF, bufferSize)
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let opened = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer) else {
            fclose(file)
            buffer.deallocate()
            let reason = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw CaptureError(.notACapture, source: path, reason: Self.explain(reason))
        }
        handle = opened
        readBuffer = buffer
        linkType = LinkType(rawValue: pcap_datalink(opened))
        // libpcap has read the 24-byte file header, and nothing more, through the stream.
        if let plain, ftello(file) == 24 {
            records = PcapRecordReader(
                descriptor: fileno(file), offset: 24, format: plain, linkType: linkType, snapshot: Int(pcap_snapshot(opened)))
            recordReader = records.map { Unmanaged.passUnretained($0) }
        }
    }

    deinit {
        close()
    }

    /// Closes the file; further reads return `.end`.
    package func close() {
        recordReader = nil
        records = nil
        if let handle {
            pcap_close(handle)
            self.handle = nil
        }
        readBuffer?.deallocate()
        readBuffer = nil
    }

    /// Reads the next record.
    @inline(__always)
    package func next() -> ReadResult {
        guard let handle else { return .end }
        if let recordReader {
            switch recordReader._withUnsafeGuaranteedRef({ $0.next() }) {
            case .packet(let time, let bytes, let wireLength):
                return .packet(CapturedPacket(time: time, bytes: bytes, wireLength: wireLength, linkType: linkType, sourceIndex: sourceIndex))
            case .end: return .end
            case .failed(let reason): return .failed(reason)
            }
        }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(handle, &header, &data)
        if status == 1, let header, let data {
            let record = header.pointee
            let time = Timestamp(seconds: Int64(record.ts.tv_sec), nanoseconds: Int64(record.ts.tv_usec))
            return .packet(CapturedPacket(
                time: time,
                bytes: UnsafeRawBufferPointer(start: data, count: Int(record.caplen)),
                wireLength: Int(record.len),
                linkType: linkType,
                sourceIndex: sourceIndex
            ))
        }
        if status == PCAP_ERROR_BREAK || status == 0 {
            return .end
        }
        return .failed(String(cString: pcap_geterr(handle)))
    }

    /// How far into the file reading has got, in bytes (for progress).
    package var position: Int64 {
        if let records { return records.position }
        guard let handle, let file = pcap_file(handle) else { return size }
        return Int64(ftello(file))
    }

    private static func explain(_ reason: String) -> String {
        if reason.contains("unknown file format") {
            return "not a pcap or pcapng capture (unknown file format)"
        }
        if reason.contains("truncated dump file") || reason.contains("tried to read") {
            return "not a capture: too short for a capture file header (\(reason))"
        }
        return reason
    }
}

/// The text of the current `errno`.
func systemError() -> String {
    String(cString: strerror(errno))
}
