import EventOutput
import Foundation
import FlowTracking
import PacketCapture
import TestSupport
import Testing

/// The flow record's formatted fast path against the same record written field by field.
@Suite("Flow records")
struct FlowRecordTests {
    private static let reasons: [FlowEndReason] = [.closed, .timeout, .evicted, .shutdown, .reused]
    private static let orientations: [FlowInfo.Orientation] = [.handshake, .servicePort, .privilegedPort, .ephemeralPort, .firstPacket]

    /// A number of any size: mostly small, sometimes the largest.
    private static func number(_ random: inout SeededGenerator) -> UInt64 {
        switch random.next() % 4 {
        case 0: random.next() % 10
        case 1: random.next() % 100_000
        case 2: random.next()
        default: [0, 9, 10, 99, 100, UInt64.max][Int(random.next() % 6)]
        }
    }

    /// A random flow and its end: IPv4 mostly, IPv6 sometimes, times across minutes and years.
    private static func flow(_ random: inout SeededGenerator, base: Int64) -> (FlowInfo, FlowSummary, FlowEndReason, String?, CommunityIDDigest?) {
        func address() -> IPAddress {
            random.next() % 8 == 0
                ? IPAddress(high: random.next(), low: random.next() % 3)
                : IPAddress(ipv4: UInt32(truncatingIfNeeded: [0, UInt64(UInt32.max), random.next()][Int(random.next() % 3)]))
        }
        let start = Timestamp(nanoseconds: base &+ Int64(random.next() % 200_000_000_000))
        let flow = FlowInfo(
            client: address(), clientPort: UInt16(truncatingIfNeeded: random.next()), server: address(),
            serverPort: [0, 80, 65_535, UInt16(truncatingIfNeeded: random.next())][Int(random.next() % 4)],
            transport: random.next() % 2 == 0 ? .tcp : .udp, id: number(&random), start: start,
            orientation: orientations[Int(random.next() % 5)])
        var summary = FlowSummary()
        summary.packets = PerDirection(toServer: number(&random), toClient: number(&random))
        summary.bytes = PerDirection(toServer: number(&random), toClient: number(&random))
        summary.streamBytes = PerDirection(toServer: number(&random), toClient: number(&random))
        summary.gaps = PerDirection(toServer: number(&random), toClient: number(&random))
        summary.tcpFlags = TCPFlags(rawValue: UInt8(truncatingIfNeeded: random.next()))
        // Mostly after the start; sometimes before it (the age is then 0).
        summary.lastSeen = Timestamp(nanoseconds: start.nanoseconds &+ Int64(random.next() % 90_000_000_000) &- 1_000_000_000)
        let appProto = [nil, "fix", "ctp", "tdx", "odd \"proto\"\\\u{1}"][Int(random.next() % 5)]
        let communityID = [nil, flow.communityDigest, flow.communityDigest, CommunityIDDigest.none][Int(random.next() % 4)]
        return (flow, summary, reasons[Int(random.next() % 5)], appProto, communityID)
    }

    @Test("the same bytes as field by field, record after record in one writer (IPv4, IPv6, TCP, UDP, every flag, time before 1970)")
    func sameAsByFields() throws {
        var random = SeededGenerator(seed: 0xF10E)
        for base: Int64 in [1_700_000_000_000_000_000, 0, -86_400_000_000_000 * 400, Int64.max - 400_000_000_000] {
            var fast = JSONWriter(capacity: 64)
            var reference = JSONWriter(capacity: 64)
            for _ in 0..<1_000 {
                let (flow, summary, reason, appProto, communityID) = Self.flow(&random, base: base)
                fast.flowRecord(flow, summary: summary, reason: reason, appProto: appProto, communityID: communityID)
                reference.flowRecordByFields(flow, summary: summary, reason: reason, appProto: appProto, communityID: communityID?.description)
            }
            let fastLines = String(decoding: fast.bytes, as: UTF8.self).split(separator: "\n")
            let referenceLines = String(decoding: reference.bytes, as: UTF8.self).split(separator: "\n")
            #expect(fastLines.count == 1_000)
            let first = zip(fastLines, referenceLines).first { $0 != $1 }
            #expect(first == nil, "flows starting at \(base): \(first.map { "\($0.0)\n  by fields: \($0.1)" } ?? "")")
            #expect(fast.bytes == reference.bytes)
            #expect(fast.depth == 0)
        }
    }

    @Test("a flow record is one line of JSON with the flow and tcp objects")
    func parsesBack() throws {
        let flow = FlowInfo(
            client: IPAddress(ipv4: 0x0A32_0939), clientPort: 40_242, server: IPAddress(ipv4: 0x0A3C_02B8), serverPort: 80,
            transport: .tcp, id: 2_478_747_707_059_323, start: Timestamp(seconds: 1_700_000_000, nanoseconds: 14_295_000),
            orientation: .handshake)
        var summary = FlowSummary()
        summary.packets = PerDirection(toServer: 6, toClient: 6)
        summary.bytes = PerDirection(toServer: 496, toClient: 3_400)
        summary.lastSeen = Timestamp(seconds: 1_700_000_062, nanoseconds: 188_755_000)
        summary.tcpFlags = [.syn, .fin, .psh, .ack]
        var writer = JSONWriter()
        writer.flowRecord(flow, summary: summary, reason: .closed, appProto: nil, communityID: flow.communityDigest)
        let line = String(decoding: writer.bytes, as: UTF8.self)
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String: Any])
        #expect(object["timestamp"] as? String == "2023-11-14T22:14:22.188755+0000")
        #expect(object["src_ip"] as? String == "10.50.9.57")
        #expect(object["community_id"] as? String == "1:aH0xr+m5htNTb11JirdE6FeVXwc=")
        #expect(object["app_proto"] == nil)
        let flowObject = try #require(object["flow"] as? [String: Any])
        #expect((flowObject["age"] as? NSNumber)?.intValue == 62)
        #expect(flowObject["start"] as? String == "2023-11-14T22:13:20.014295+0000")
        let tcp = try #require(object["tcp"] as? [String: Any])
        #expect(tcp["tcp_flags"] as? String == "1b")
        #expect(tcp["rst"] == nil && tcp["syn"] as? Bool == true)
    }
}
