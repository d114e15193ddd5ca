import Foundation
import Inspector
import PacketCapture
import TestSupport
import Testing

/// One flow a committed capture must give, client to server.
struct ExpectedFlow: Sendable, CustomStringConvertible {
    var proto = "TCP"
    var client: String
    /// nil for loopback recordings, whose ports change with every recording.
    var clientPort: Int?
    var server: String
    var serverPort: Int?
    /// Stream bytes delivered each way (TCP), or datagrams each way (UDP).
    var toServer: Int
    var toClient: Int
    var gapsToServer = 0
    var gapsToClient = 0
    var reason = "closed"
    var orientation = "syn"

    static func tcp(
        _ client: String, _ clientPort: Int?, _ server: String, _ serverPort: Int?, _ toServer: Int, _ toClient: Int,
        gaps: (Int, Int) = (0, 0), reason: String = "closed", orientation: String = "syn"
    ) -> ExpectedFlow {
        ExpectedFlow(
            client: client, clientPort: clientPort, server: server, serverPort: serverPort, toServer: toServer,
            toClient: toClient, gapsToServer: gaps.0, gapsToClient: gaps.1, reason: reason, orientation: orientation)
    }

    static func udp(
        _ client: String, _ clientPort: Int, _ server: String, _ serverPort: Int, datagrams: (Int, Int)
    ) -> ExpectedFlow {
        ExpectedFlow(
            proto: "UDP", client: client, clientPort: clientPort, server: server, serverPort: serverPort,
            toServer: datagrams.0, toClient: datagrams.1, reason: "shutdown", orientation: "ephemeral_port")
    }

    var description: String {
        "\(proto) \(client):\(clientPort.map(String.init) ?? "*") -> \(server):\(serverPort.map(String.init) ?? "*")"
    }
}

/// What `Captures/MANIFEST.md` says a committed capture must give, plus the stats the run must count.
struct ExpectedCapture: Sendable, CustomTestStringConvertible {
    var file: String
    var packets: Int
    var flows: [ExpectedFlow]
    /// Stats counters by dotted name (`tcp.gaps`, `skipped.link.truncated`); unnamed counters of
    /// `checkedCounters` must be 0.
    var counters: [String: Int] = [:]
    /// Warnings the run gives about the file.
    var warnings = 0

    var testDescription: String { file }

    /// Counters checked on every capture (default 0 unless `counters` says otherwise).
    static let checkedCounters = [
        "tcp.gaps", "tcp.gap_bytes", "tcp.conflicting_overlaps", "tcp.midstream_pickups", "tcp.out_of_window",
        "tcp.buffer_limit_gaps", "ip.fragments", "ip.fragments_reassembled", "ip.fragments_dropped",
    ] + SkipReason.allCases.map { "skipped.\($0.name)" }

    static func loopback(_ file: String, _ address: String, packets: Int = 14, bytes: (Int, Int) = (54, 516)) -> ExpectedCapture {
        ExpectedCapture(file: file, packets: packets, flows: [.tcp(address, nil, address, nil, bytes.0, bytes.1)])
    }

    /// The table, one entry per committed capture (the not-a-capture file is in `BadInputTests`).
    static let all: [ExpectedCapture] = [
        loopback("loopback-tcp.pcap", "127.0.0.1"),
        loopback("loopback-tcp6.pcap", "::1"),
        loopback("loopback-bulk.pcap", "127.0.0.1", packets: 1186, bytes: (262_144, 196_608)),
        loopback("loopback-sll2.pcap", "127.0.0.1"),
        loopback("loopback-sll.pcap", "127.0.0.1"),
        loopback("loopback-nano.pcap", "127.0.0.1"),
        loopback("loopback-tcp.pcapng", "127.0.0.1"),
        ExpectedCapture(file: "synthetic-vlan-qinq.pcap", packets: 35, flows: [
            .tcp("10.0.100.1", 40100, "10.0.100.2", 8080, 200, 3000),
            .tcp("10.0.20.1", 40020, "10.0.20.2", 8080, 300, 5000),
            .tcp("2001:db8:200::1", 40200, "2001:db8:200::2", 8080, 100, 100),
        ]),
        ExpectedCapture(file: "synthetic-raw-ipv4.pcap", packets: 14, flows: [
            .tcp("192.0.2.10", 51000, "192.0.2.20", 443, 517, 4000),
            .udp("192.0.2.10", 53535, "192.0.2.53", 7053, datagrams: (1, 1)),
        ]),
        ExpectedCapture(file: "synthetic-raw-ipv6.pcap", packets: 16, flows: [
            .tcp("2001:db8::10", 51001, "2001:db8::20", 443, 700, 9000),
        ]),
        ExpectedCapture(file: "synthetic-raw.pcap", packets: 21, flows: [
            .tcp("198.51.100.1", 52000, "198.51.100.2", 9000, 64, 2048),
            .tcp("2001:db8:101::1", 52001, "2001:db8:101::2", 9000, 128, 1024),
        ]),
        ExpectedCapture(file: "synthetic-null.pcap", packets: 33, flows: [
            .tcp("127.0.0.1", 53000, "127.0.0.1", 7000, 100, 1000),  // AF_INET, little-endian
            .tcp("::1", 53001, "::1", 7001, 200, 2000),  // AF_INET6 = 30, little-endian
            .tcp("127.0.0.1", 53002, "127.0.0.1", 7002, 300, 3000),  // AF_INET, big-endian
        ]),
        ExpectedCapture(file: "synthetic-loop.pcap", packets: 22, flows: [
            .tcp("127.0.0.1", 54000, "127.0.0.1", 7100, 150, 1500),
            .tcp("::1", 54001, "::1", 7101, 250, 2500),
        ]),
        // 7 of the 8 data segments are fragmented (3 fragments each, one sent twice: 22); the last
        // (400 B) fits one packet. With the UDP datagram's 3: 25 fragments, 8 datagrams rebuilt.
        ExpectedCapture(
            file: "synthetic-ipv4-fragments.pcap", packets: 34,
            flows: [
                .tcp("10.4.0.1", 45000, "10.4.0.2", 9100, 4000, 6000),
                .udp("10.4.0.1", 45001, "10.4.0.2", 9101, datagrams: (1, 0)),
            ],
            counters: ["ip.fragments": 25, "ip.fragments_reassembled": 8, "skipped.ip.fragment_buffered": 17]),
        // 6 data segments in 600 B fragments (17 fragments); the 200 B one travels as an atomic
        // fragment, like the SYN-ACK, and needs no reassembly.
        ExpectedCapture(
            file: "synthetic-ipv6-ext-fragments.pcap", packets: 26,
            flows: [.tcp("2001:db8:6::1", 46000, "2001:db8:6::2", 9200, 3000, 5000)],
            counters: ["ip.fragments": 17, "ip.fragments_reassembled": 6, "skipped.ip.fragment_buffered": 11]),
        ExpectedCapture(
            file: "synthetic-midstream.pcap", packets: 12,
            flows: [.tcp("172.16.5.1", 47000, "172.16.5.2", 9300, 400, 5500, orientation: "ephemeral_port")],
            counters: ["tcp.midstream_pickups": 2]),
        ExpectedCapture(file: "synthetic-seq-wrap.pcap", packets: 36, flows: [
            .tcp("10.7.0.1", 48000, "10.7.0.2", 9400, 20000, 20000),
        ]),
        ExpectedCapture(file: "synthetic-two-interfaces.pcapng", packets: 22, flows: [
            .tcp("10.8.0.1", 49000, "10.8.0.2", 9500, 500, 1500),
            .tcp("10.8.1.1", 49001, "10.8.1.2", 9501, 600, 1600),
        ]),
        // The hole is only given up when the flow ends (no ACK-based gap detection), so the flow
        // ends at shutdown although both FINs were captured.
        ExpectedCapture(
            file: "synthetic-gap-reorder.pcap", packets: 52,
            flows: [.tcp("10.9.0.1", 50000, "10.9.0.2", 9600, 28927, 8000, gaps: (1, 0), reason: "closed")],
            counters: ["tcp.gaps": 1, "tcp.gap_bytes": 1073]),
        ExpectedCapture(
            file: "synthetic-truncated.pcap", packets: 5,
            flows: [.tcp("10.10.0.1", 50100, "10.10.0.2", 9700, 300, 0, reason: "shutdown")],
            warnings: 1),
        // 1000 B and 3000 B sent; one c2s and three s2c data packets cut to 42 payload bytes.
        ExpectedCapture(
            file: "synthetic-snaplen-96.pcap", packets: 12,
            flows: [.tcp("10.11.0.1", 50200, "10.11.0.2", 9800, 42, 126, gaps: (1, 3))],
            counters: ["tcp.gaps": 4, "tcp.gap_bytes": 4000 - 168]),
        // 19 malformed packets. The manifest suggests ipv4.bad_length for the fragment ending past
        // 65535; the fragment reassembler drops it (ip.fragment_dropped), which is as right.
        ExpectedCapture(
            file: "synthetic-malformed.pcap", packets: 29,
            flows: [.tcp("10.12.0.1", 50300, "10.12.0.2", 9900, 500, 700)],
            counters: [
                "skipped.ipv4.bad_header": 4, "skipped.ipv4.bad_length": 2, "skipped.ipv6.bad_header": 2,
                "skipped.ipv6.bad_extension_header": 1, "skipped.link.not_ip": 1, "skipped.link.truncated": 3,
                "skipped.tcp.bad_header": 3, "skipped.udp.bad_header": 2, "skipped.ip.fragment_dropped": 1,
                "ip.fragments": 1, "ip.fragments_dropped": 1,
            ]),
    ]
}

@Suite("Committed captures through the whole analyzer")
struct CaptureAnalysisTests {
    @Test("each committed capture gives the flows and counters its manifest entry says", arguments: ExpectedCapture.all)
    func committedCapture(_ expected: ExpectedCapture) throws {
        let run = try EndToEnd.analyze([CommittedCaptures.path(expected.file)])
        #expect(run.outcome.exitStatus == 0)
        #expect(run.errors.isEmpty)
        #expect(run.warnings.count == expected.warnings)
        #expect(run.warnings.allSatisfy { $0.source.hasSuffix(expected.file) })

        let flows = run.flows
        #expect(flows.count == expected.flows.count, "flow records: \(flows.map(\.line))")
        for want in expected.flows {
            let matching = flows.filter { Self.matches($0, want) }
            guard matching.count == 1, let flow = matching.first else {
                Issue.record("\(matching.count) flow records for \(want): \(flows.map(\.line))")
                continue
            }
            Self.check(flow, want)
        }

        let stats = try #require(run.stats, "no stats record last")
        #expect(stats.int("capture", "packets") == expected.packets)
        #expect(stats.int("capture", "files") == 1)
        #expect(stats.int("capture", "files_failed") == 0)
        #expect(stats.int("flows", "tcp") == expected.flows.count { $0.proto == "TCP" })
        #expect(stats.int("flows", "udp") == expected.flows.count { $0.proto == "UDP" })
        for name in ExpectedCapture.checkedCounters {
            #expect(stats.int(dotted: name) == expected.counters[name] ?? 0, "\(name)")
        }
        // Every delivered stream byte is in some flow's record, and nowhere else.
        let streamBytes = flows.reduce(0) { $0 + ($1.int("tcp", "stream_bytes_toserver") ?? 0) + ($1.int("tcp", "stream_bytes_toclient") ?? 0) }
        #expect(stats.int("tcp", "reassembled_bytes") == streamBytes)
        #expect(stats.int("output", "records") == flows.count)
    }

    static func matches(_ flow: EVERecord, _ want: ExpectedFlow) -> Bool {
        flow.string("proto") == want.proto && flow.string("src_ip") == want.client && flow.string("dest_ip") == want.server
            && (want.clientPort == nil || flow.int("src_port") == want.clientPort)
            && (want.serverPort == nil || flow.int("dest_port") == want.serverPort)
    }

    static func check(_ flow: EVERecord, _ want: ExpectedFlow) {
        #expect(flow.string("flow", "reason") == want.reason, "\(want)")
        #expect(flow.string("flow", "orientation") == want.orientation, "\(want)")
        #expect(flow.value(["app_proto"]) == nil)
        let clientPort = flow.int("src_port") ?? 0
        let serverPort = flow.int("dest_port") ?? 0
        #expect(clientPort > 0 && serverPort > 0 && clientPort != serverPort, "\(want)")
        if want.proto == "TCP" {
            #expect(flow.int("tcp", "stream_bytes_toserver") == want.toServer, "\(want)")
            #expect(flow.int("tcp", "stream_bytes_toclient") == want.toClient, "\(want)")
            #expect(flow.int("tcp", "gaps_toserver") == want.gapsToServer, "\(want)")
            #expect(flow.int("tcp", "gaps_toclient") == want.gapsToClient, "\(want)")
            if want.orientation == "syn" { #expect(flow.int("tcp", "syn") == 1) }
            if want.reason == "closed" { #expect(flow.int("tcp", "fin") == 1) }
            // tcp_flags: two lowercase hex digits, agreeing with the flag members.
            let flagText = flow.string("tcp", "tcp_flags") ?? ""
            #expect(flagText.count == 2 && flagText == flagText.lowercased(), "\(want)")
            let flags = UInt8(flagText, radix: 16) ?? 0
            for (bit, name) in [(UInt8(0x01), "fin"), (0x02, "syn"), (0x04, "rst"), (0x08, "psh"), (0x10, "ack")] {
                #expect((flags & bit != 0) == (flow.int("tcp", name) == 1), "\(name) in \(flagText): \(want)")
            }
        } else {
            #expect(flow.value(["tcp"]) == nil)
            #expect(flow.int("flow", "pkts_toserver") == want.toServer, "\(want)")
            #expect(flow.int("flow", "pkts_toclient") == want.toClient, "\(want)")
        }
    }

    @Test("the table covers every supported link type, pcapng with one and two interfaces, and nanosecond pcap")
    func tableCoversTheFormats() throws {
        var linkTypes = Set<Int32>()
        for expected in ExpectedCapture.all {
            linkTypes.insert(try CaptureFile(path: CommittedCaptures.path(expected.file)).linkType.rawValue)
        }
        // Ethernet, NULL, DLT_RAW (LINKTYPE_RAW 101 as libpcap maps it), LOOP, SLL, SLL2, raw IPv4/IPv6.
        #expect(linkTypes.isSuperset(of: [1, 0, LinkType.raw.rawValue, 108, 113, 276, 228, 229]), "\(linkTypes.sorted())")
        let files = Set(ExpectedCapture.all.map(\.file))
        let committed = try FileManager.default.contentsOfDirectory(atPath: CommittedCaptures.folder.path)
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }
        #expect(Set(committed).subtracting(files) == ["synthetic-not-a-capture.pcap"])
        #expect(try ClassicPcap(path: CommittedCaptures.path("loopback-nano.pcap")).nanosecond)
        #expect(try ClassicPcap(path: CommittedCaptures.path("synthetic-seq-wrap.pcap")).nanosecond)
    }

    @Test("the malformed capture: all 29 packets accounted for, 19 skipped and the valid conversation's 10 in its flow")
    func malformedPacketsAccountedFor() throws {
        let run = try EndToEnd.analyze([CommittedCaptures.path("synthetic-malformed.pcap")])
        let stats = try #require(run.stats)
        let skipped = SkipReason.allCases.reduce(0) { $0 + (stats.int("skipped", $1.name) ?? 0) }
        #expect(skipped == 19)
        let flow = try #require(run.flows.first)
        #expect(run.flows.count == 1)
        #expect(flow.int("flow", "pkts_toserver") == 6)
        #expect(flow.int("flow", "pkts_toclient") == 4)
        #expect(stats.int("tcp", "out_of_window") == 0)
        #expect(stats.int("capture", "packets") == skipped + 10)
    }

    // MARK: - Timestamps

    @Test(
        "flow records of nanosecond pcaps carry the packets' times, microseconds floored",
        arguments: ["loopback-nano.pcap", "synthetic-seq-wrap.pcap"])
    func nanosecondTimes(_ file: String) throws {
        let capture = try ClassicPcap(path: CommittedCaptures.path(file))
        let first = try #require(capture.records.first).time
        let last = try #require(capture.records.last).time
        #expect(first % 1000 != 0 || last % 1000 != 0, "the capture should have sub-microsecond digits")
        let run = try EndToEnd.analyze([CommittedCaptures.path(file)])
        let flow = try #require(run.flows.first)
        #expect(flow.string("timestamp") == EndToEnd.suricataTime(nanoseconds: last))
        #expect(flow.string("flow", "end") == EndToEnd.suricataTime(nanoseconds: last))
        #expect(flow.string("flow", "start") == EndToEnd.suricataTime(nanoseconds: first))
        #expect(run.stats?.string("timestamp") == EndToEnd.suricataTime(nanoseconds: last))
        let pattern = #/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+0000$/#
        #expect(try pattern.wholeMatch(in: flow.string("timestamp") ?? "") != nil)
    }

    @Test("pcapng with a microsecond and a nanosecond interface: each flow's times are its packets' times")
    func twoInterfaceTimes() throws {
        // Packet times from tshark: eth0 (if_tsresol 6) 1700000000.000000000 ... .001500000,
        // eth1 (if_tsresol 9) 1700000000.000030007 ... .001530007.
        let run = try EndToEnd.analyze([CommittedCaptures.path("synthetic-two-interfaces.pcapng")])
        let eth0 = try #require(run.flows.first { $0.int("src_port") == 49000 })
        let eth1 = try #require(run.flows.first { $0.int("src_port") == 49001 })
        #expect(eth0.string("flow", "start") == "2023-11-14T22:13:20.000000+0000")
        #expect(eth0.string("timestamp") == "2023-11-14T22:13:20.001500+0000")
        #expect(eth1.string("flow", "start") == "2023-11-14T22:13:20.000030+0000")
        #expect(eth1.string("timestamp") == "2023-11-14T22:13:20.001530+0000")
        #expect(eth1.string("timestamp") == EndToEnd.suricataTime(nanoseconds: 1_700_000_000_001_530_007))
    }

    // MARK: - Several inputs

    @Test("two captures analyzed together give the union of their flow records")
    func twoCapturesTogether() throws {
        let names = ["loopback-tcp.pcap", "synthetic-vlan-qinq.pcap"]
        let paths = names.map(CommittedCaptures.path)
        let together = try EndToEnd.analyze(paths)
        let apart = try paths.map { try EndToEnd.analyze([$0]) }
        #expect(together.outcome.exitStatus == 0)
        #expect(together.flows.count == 4)
        #expect(together.sortedFlowLines == apart.flatMap(\.sortedFlowLines).sorted())
        let stats = try #require(together.stats)
        #expect(stats.int("capture", "files") == 2)
        #expect(stats.int("capture", "packets") == 14 + 35)
        #expect(stats.int("flows", "tcp") == 4)
    }

    /// The packets of a classic pcap split over two files.
    enum Split: String, CaseIterable, Sendable {
        /// The first half of the packets in one file, the second half in the other.
        case halves
        /// Packets dealt alternately to the two files, so reading must interleave them.
        case alternate
    }

    @Test(
        "a capture split over files and analyzed as a folder gives the whole file's flow records",
        arguments: ["synthetic-gap-reorder.pcap", "loopback-bulk.pcap", "synthetic-ipv4-fragments.pcap"], Split.allCases)
    func splitCapture(_ file: String, _ split: Split) throws {
        let capture = try ClassicPcap(path: CommittedCaptures.path(file))
        let scratch = try ScratchFolder()
        // Names sort against time order: the folder must be merged by packet time, not by name.
        let writers = try ["b-first.pcap", "a-second.pcap"].map {
            try PcapWriter(path: scratch.file($0), linkType: LinkType(rawValue: capture.linkType), nanosecond: true)
        }
        for (index, record) in capture.records.enumerated() {
            let target = split == .halves ? (index < capture.records.count / 2 ? 0 : 1) : index % 2
            writers[target].write(frame: record.bytes, time: Timestamp(nanoseconds: record.time), originalLength: record.wireLength)
        }
        for writer in writers { try writer.close() }

        let whole = try EndToEnd.analyze([CommittedCaptures.path(file)])
        let parts = try EndToEnd.analyze([scratch.path])
        #expect(parts.outcome.exitStatus == 0)
        #expect(parts.stats?.int("capture", "files") == 2)
        #expect(parts.stats?.int("capture", "packets") == capture.records.count)
        #expect(parts.flows.count == whole.flows.count)
        #expect(parts.sortedFlowLines == whole.sortedFlowLines)
        for name in ["tcp.gaps", "tcp.gap_bytes", "tcp.reassembled_bytes", "flows.tcp", "flows.udp", "ip.fragments_reassembled"] {
            #expect(parts.stats?.int(dotted: name) == whole.stats?.int(dotted: name), "\(name)")
        }
    }

    // MARK: - Determinism

    @Test("analyzing the same inputs twice gives byte-identical EVE output")
    func deterministic() throws {
        let inputs = [CommittedCaptures.folder.path]
        let first = try EndToEnd.analyze(inputs)
        let second = try EndToEnd.analyze(inputs)
        #expect(first.flows.count >= 20)
        #expect(first.eve == second.eve)
    }
}
