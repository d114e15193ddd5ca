import EventOutput
import FlowTracking
import PacketCapture

/// What a run counted, for the closing `stats` record and the terminal summary.
package struct RunStatistics: Sendable {
    /// Capture records read.
    package var packets: UInt64 = 0
    /// Captured bytes read (frame lengths as captured).
    package var bytes: UInt64 = 0
    /// Capture files read, and those that could not be opened.
    package var files = 0
    /// Inputs that could not be used.
    package var filesFailed = 0
    /// Packets not handed to flow tracking, by reason.
    package var skipped = SkipCounters()
    /// Flow-table counters.
    package var flows = FlowStatistics()
    /// TCP reassembly counters.
    package var tcp = TCPStatistics()
    /// The most reassembly memory held at once.
    package var reassemblyMemoryPeak = 0
    /// IP fragment reassembly counters.
    package var fragments = FragmentStatistics()
    /// Decoder events seen.
    package var events: UInt64 = 0
    /// Records written to the EVE output (stats record excluded).
    package var recordsWritten: UInt64 = 0
    /// Packet time of the last packet.
    package var lastPacket: Timestamp?
    /// Counters reported by the protocol decoders, by protocol (`fix.messages`, ...).
    package var protocols: [(String, [(String, UInt64)])] = []
    /// libpcap's counters, for a live capture.
    package var live: LiveCaptureStatistics?
    /// The CPU each worker of a sharded run kept to (nil: one thread, or workers left to the
    /// scheduler, by choice or because the system refused). Not in the stats record.
    package var workerCPUs: [Int]?
    /// What the rules raised (nil when no rules ran).
    package var alerts: AlertStatistics?

    /// No counts.
    package init() {}
}

extension JSONWriter {
    /// Writes the closing `stats` record: counters as nested objects whose dotted paths are the
    /// documented names (`capture.packets`, `tcp.gaps`, `skipped.<reason>`...).
    package mutating func statsRecord(_ stats: RunStatistics) {
        beginRecord(timestamp: stats.lastPacket ?? .zero, eventType: "stats")
        key("stats")
        beginObject()

        key("capture")
        beginObject()
        field("packets", stats.packets)
        field("bytes", stats.bytes)
        field("files", stats.files)
        field("files_failed", stats.filesFailed)
        if let live = stats.live {
            field("kernel_received", live.received)
            field("kernel_dropped", live.dropped)
            field("interface_dropped", live.interfaceDropped)
        }
        endObject()

        key("flows")
        beginObject()
        field("tcp", stats.flows.tcp)
        field("udp", stats.flows.udp)
        field("active_peak", stats.flows.peakActive)
        field("closed", stats.flows.closed)
        field("timed_out", stats.flows.timedOut)
        field("evicted", stats.flows.evicted)
        field("reused", stats.flows.reused)
        endObject()

        key("tcp")
        beginObject()
        field("reassembled_bytes", stats.tcp.reassembledBytes)
        field("gaps", stats.tcp.gaps)
        field("gap_bytes", stats.tcp.gapBytes)
        field("out_of_order", stats.tcp.outOfOrderSegments)
        field("retransmitted_bytes", stats.tcp.retransmittedBytes)
        field("conflicting_overlaps", stats.tcp.conflictingOverlaps)
        field("out_of_window", stats.tcp.outOfWindowSegments)
        field("data_after_end", stats.tcp.dataAfterEnd)
        field("buffer_limit_gaps", stats.tcp.bufferLimitGaps)
        field("midstream_pickups", stats.tcp.midstreamPickups)
        field("memory_peak", stats.reassemblyMemoryPeak)
        endObject()

        key("ip")
        beginObject()
        field("fragments", stats.fragments.fragments)
        field("fragments_reassembled", stats.fragments.reassembled)
        field("fragments_dropped", stats.fragments.dropped)
        field("fragment_conflicts", stats.fragments.conflictingOverlaps)
        endObject()

        key("skipped")
        beginObject()
        for reason in SkipReason.allCases {
            key(reason.name)
            uint(stats.skipped[reason])
        }
        endObject()

        for (name, counters) in stats.protocols {
            key(name)
            beginObject()
            for (counter, value) in counters {
                key(counter)
                uint(value)
            }
            endObject()
        }

        if let alerts = stats.alerts { alertStatistics(alerts) }

        key("output")
        beginObject()
        field("events", stats.events)
        field("records", stats.recordsWritten)
        endObject()

        endObject()
        endRecord()
    }
}
