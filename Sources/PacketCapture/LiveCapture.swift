import CPcap
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings for reading a live interface.
package struct LiveCaptureOptions: Sendable {
    /// The interface name (`eth0`, `lo`, `any`).
    package var interface: String
    /// A BPF filter expression applied in the kernel, if any.
    package var filter: String?
    /// Bytes kept of each packet.
    package var snapshotLength: Int32 = 262_144
    /// The kernel ring buffer size in MiB: large, so that bursts wait in the kernel rather than
    /// being dropped while the pipeline catches up.
    package var bufferMegabytes: Int32 = 256
    /// Whether to put the interface in promiscuous mode.
    package var promiscuous = true
    /// How long one read waits for a packet before returning (so a stop request is noticed); also
    /// how long the kernel holds a partly filled block of packets before handing it over.
    package var readTimeoutMilliseconds: Int32 = 100
    /// libpcap's immediate mode: each packet is handed over as it arrives. On Linux libpcap then
    /// uses TPACKET_V2, whose ring frames are all snapshot-length sized, so the buffer holds far
    /// fewer packets (256 MiB with the default snapshot length: about 1,000). Off by default:
    /// TPACKET_V3 packs packets into blocks, handed over when full or after the read timeout.
    package var immediate = false

    /// Options for `interface` with the defaults.
    package init(interface: String) {
        self.interface = interface
    }
}

/// Kernel counters of a live capture, from `pcap_stats`.
package struct LiveCaptureStatistics: Sendable, Equatable {
    /// Packets received by the filter.
    package var received: UInt64
    /// Packets dropped because the buffer was full.
    package var dropped: UInt64
    /// Packets dropped by the interface or its driver.
    package var interfaceDropped: UInt64
}

/// A live interface read through libpcap (`pcap_create`, buffer size, BPF; immediate mode on
/// request).
package final class LiveCapture {
    /// What one read gave.
    package enum ReadResult {
        /// A packet; its bytes are valid until the next read.
        case packet(CapturedPacket)
        /// No packet within the read timeout.
        case timeout
        /// The capture was stopped with `stop()`.
        case stopped
        /// The capture failed; the reason says why.
        case failed(String)
    }

    /// The options it was opened with.
    package let options: LiveCaptureOptions
    /// The interface's link-layer type.
    package let linkType: LinkType
    /// A warning libpcap gave while activating (for example promiscuous mode not supported).
    package let activationWarning: String?
    private let handle: OpaquePointer
    /// The descriptor polled for the read timeout (libpcap's own timeout does not make a read
    /// return on Linux when no packet comes), or -1 to read in blocking mode.
    private let selectableDescriptor: Int32
    /// Set by `stop()`; a non-blocking libpcap read does not report the break itself.
    private let stopRequested = Atomic<Bool>(false)

    /// Opens and activates the interface, then sets the filter.
    package init(options: LiveCaptureOptions) throws(CaptureError) {
        self.options = options
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let created = pcap_create(options.interface, &errorBuffer) else {
            throw CaptureError(.liveSetup, source: options.interface, reason: Self.text(errorBuffer))
        }
        pcap_set_snaplen(created, options.snapshotLength)
        pcap_set_promisc(created, options.promiscuous ? 1 : 0)
        pcap_set_buffer_size(created, options.bufferMegabytes &* 1_048_576)
        pcap_set_timeout(created, options.readTimeoutMilliseconds)
        pcap_set_immediate_mode(created, options.immediate ? 1 : 0)
        _ = pcap_set_tstamp_precision(created, Int32(PCAP_TSTAMP_PRECISION_NANO))
        let status = pcap_activate(created)
        if status < 0 {
            let detail = String(cString: pcap_geterr(created))
            let summary = String(cString: pcap_statustostr(status))
            pcap_close(created)
            let reason = detail.isEmpty ? summary : "\(summary): \(detail)"
            throw CaptureError(.liveSetup, source: options.interface, reason: reason)
        }
        // The filter is set before `self` is complete: a throw after that would also run deinit,
        // closing the handle a second time.
        if let filter = options.filter {
            var program = bpf_program()
            if pcap_compile(created, &program, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 {
                let reason = String(cString: pcap_geterr(created))
                pcap_close(created)
                throw CaptureError(.badFilter, source: options.interface, reason: "filter \"\(filter)\": \(reason)")
            }
            defer { pcap_freecode(&program) }
            if pcap_setfilter(created, &program) != 0 {
                let reason = String(cString: pcap_geterr(created))
                pcap_close(created)
                throw CaptureError(.badFilter, source: options.interface, reason: "filter \"\(filter)\": \(reason)")
            }
        }
        var descriptor = pcap_get_selectable_fd(created)
        if descriptor >= 0, pcap_setnonblock(created, 1, &errorBuffer) != 0 { descriptor = -1 }
        selectableDescriptor = descriptor
        activationWarning = status > 0 ? String(cString: pcap_statustostr(status)) : nil
        handle = created
        linkType = LinkType(rawValue: pcap_datalink(created))
    }

    deinit {
        pcap_close(handle)
    }

    /// Waits up to the read timeout for the next packet.
    package func next() -> ReadResult {
        if stopRequested.load(ordering: .relaxed) { return .stopped }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        var status = pcap_next_ex(handle, &header, &data)
        if status == 0, selectableDescriptor >= 0 {
            var readable = pollfd(fd: selectableDescriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&readable, 1, options.readTimeoutMilliseconds)
            if stopRequested.load(ordering: .relaxed) { return .stopped }
            status = pcap_next_ex(handle, &header, &data)
        }
        switch status {
        case 1:
            guard let header, let data else { return .timeout }
            let record = header.pointee
            return .packet(CapturedPacket(
                time: Timestamp(seconds: Int64(record.ts.tv_sec), nanoseconds: Int64(record.ts.tv_usec)),
                bytes: UnsafeRawBufferPointer(start: data, count: Int(record.caplen)),
                wireLength: Int(record.len),
                linkType: linkType,
                sourceIndex: 0
            ))
        case 0:
            return .timeout
        case PCAP_ERROR_BREAK:
            return .stopped
        default:
            return .failed(String(cString: pcap_geterr(handle)))
        }
    }

    /// Makes the current or next read return `.stopped` (safe to call from a signal handler's thread).
    package func stop() {
        stopRequested.store(true, ordering: .relaxed)
        pcap_breakloop(handle)
    }

    /// libpcap's received and dropped counters.
    package var statistics: LiveCaptureStatistics? {
        var stats = pcap_stat()
        guard pcap_stats(handle, &stats) == 0 else { return nil }
        return LiveCaptureStatistics(received: UInt64(stats.ps_recv), dropped: UInt64(stats.ps_drop), interfaceDropped: UInt64(stats.ps_ifdrop))
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
