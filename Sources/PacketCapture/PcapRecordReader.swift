#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The records of a classic pcap file (version 2.4, micro- or nanosecond magic, either byte
/// order), read straight from the file descriptor in large blocks and handed out in place.
///
/// libpcap reads each record with two `fread` calls that copy it out of the stdio buffer into a
/// buffer of its own; here a record is read once, by the system call, and parsed where it lies.
/// libpcap still opens the file (and checks its header), reads pcapng, standard input and the
/// old variants of the format; this reader takes over after the header and keeps libpcap's
/// checks and messages for damaged records, so that a file reads the same either way.
final class PcapRecordReader {
    /// What one read gave (as `CaptureFile.ReadResult`, the packet's bytes valid until the next
    /// read).
    enum Record {
        case packet(time: Timestamp, bytes: UnsafeRawBufferPointer, wireLength: Int)
        case end
        case failed(String)
    }

    /// libpcap's largest captured length for the link types read here (`MAXIMUM_SNAPLEN`).
    static let maximumCaptureLength = 262_144
    private static let headerLength = 16
    /// Room for several of the largest records, so that a refill always has space for one whole.
    private static let blockSize = 1 << 20

    private let descriptor: Int32
    private let swapped: Bool
    private let nanosecond: Bool
    /// The file's snapshot length as libpcap adjusted it (`pcap_snapshot`).
    private let snapshot: Int
    private let buffer: UnsafeMutableRawPointer
    /// Bytes of `buffer` read from the file, and those parsed.
    private var filled = 0
    private var consumed = 0
    /// Where in the file `buffer` starts.
    private var bufferOffset: Int64
    private var atEnd = false

    /// The byte order and resolution of a plain version 2.4 pcap file whose first 24 bytes are
    /// `header`, or nil for any other file.
    static func format(of header: [UInt8]) -> (swapped: Bool, nanosecond: Bool)? {
        guard header.count >= 24 else { return nil }
        let magic = header.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        let format: (swapped: Bool, nanosecond: Bool)
        switch magic {
        case 0xA1B2_C3D4: format = (false, false)
        case 0xD4C3_B2A1: format = (true, false)
        case 0xA1B2_3C4D: format = (false, true)
        case 0x4D3C_B2A1: format = (true, true)
        default: return nil
        }
        let version = header.withUnsafeBytes { ($0.loadUnaligned(fromByteOffset: 4, as: UInt16.self), $0.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) }
        // Version 2.3 files may have the two lengths the other way round (libpcap guesses), and
        // older ones have.
        let major = format.swapped ? version.0.byteSwapped : version.0
        let minor = format.swapped ? version.1.byteSwapped : version.1
        guard major == 2, minor == 4 else { return nil }
        return format
    }

    /// A reader of the records of `descriptor` from file offset `offset` (just after the file
    /// header) in the `format` of its header, or nil when its link type may carry records larger
    /// than `maximumCaptureLength` (libpcap then reads them).
    init?(descriptor: Int32, offset: Int64, format: (swapped: Bool, nanosecond: Bool), linkType: LinkType, snapshot: Int) {
        switch linkType {
        case .null, .ethernet, .raw, .rawOpenBSD, .linktypeRaw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2: break
        default: return nil
        }
        guard snapshot > 0, snapshot <= Self.maximumCaptureLength, lseek(descriptor, off_t(offset), SEEK_SET) == off_t(offset) else {
            return nil
        }
        self.descriptor = descriptor
        (swapped, nanosecond) = format
        self.snapshot = snapshot
        bufferOffset = offset
        buffer = .allocate(byteCount: Self.blockSize, alignment: 64)
    }

    deinit {
        buffer.deallocate()
    }

    /// How far into the file parsing has got, in bytes.
    var position: Int64 { bufferOffset + Int64(consumed) }

    /// The next record.
    @inline(__always)
    func next() -> Record {
        if filled &- consumed < Self.headerLength {
            if let failure = refill() { return failure }
            let left = filled &- consumed
            if left == 0 { return .end }
            if left < Self.headerLength {
                return .failed("truncated dump file; tried to read \(Self.headerLength) header bytes, only got \(left)")
            }
        }
        let header = UnsafeRawPointer(buffer + consumed)
        var seconds = header.loadUnaligned(as: UInt32.self)
        var fraction = header.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        var captured = header.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        var original = header.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
        if swapped {
            seconds = seconds.byteSwapped
            fraction = fraction.byteSwapped
            captured = captured.byteSwapped
            original = original.byteSwapped
        }
        let length = Int(captured)
        if length > Self.maximumCaptureLength {
            if length > snapshot {
                return .failed("invalid packet capture length \(captured), bigger than snaplen of \(snapshot)")
            }
            return .failed("invalid packet capture length \(captured), bigger than maximum of \(Self.maximumCaptureLength)")
        }
        let record = Self.headerLength &+ length
        if filled &- consumed < record {
            if let failure = refill() { return failure }
            let got = filled &- consumed &- Self.headerLength
            if got < length {
                // libpcap reads at most the snapshot length first, then discards the rest.
                let tried = length > snapshot && got < snapshot ? snapshot : length
                return .failed("truncated dump file; tried to read \(tried) captured bytes, only got \(got)")
            }
        }
        let start = buffer + (consumed &+ Self.headerLength)
        consumed &+= record
        // A record longer than the file's snapshot length is cut to it, as libpcap does.
        let kept = min(length, snapshot)
        let nanoseconds = nanosecond ? Int64(Int32(bitPattern: fraction)) : Int64(Int32(bitPattern: fraction)) &* 1000
        return .packet(
            time: Timestamp(seconds: Int64(Int32(bitPattern: seconds)), nanoseconds: nanoseconds),
            bytes: UnsafeRawBufferPointer(start: start, count: kept), wireLength: Int(original))
    }

    /// Moves the unparsed bytes to the front of the buffer and reads up to a full buffer; a read
    /// error is the failure returned.
    private func refill() -> Record? {
        guard !atEnd else { return nil }
        let left = filled &- consumed
        if consumed > 0 {
            if left > 0 { buffer.copyMemory(from: buffer + consumed, byteCount: left) }
            bufferOffset &+= Int64(consumed)
            filled = left
            consumed = 0
        }
        while filled < Self.blockSize {
            let count = read(descriptor, buffer + filled, Self.blockSize &- filled)
            if count > 0 {
                filled &+= count
            } else if count == 0 {
                atEnd = true
                break
            } else if errno != EINTR {
                atEnd = true
                return .failed("error reading dump file: \(systemError())")
            }
        }
        return nil
    }
}
