import EventOutput
import Foundation
import PacketCapture
import Testing

@Suite("EVE records")
struct EVEEnvelopeTests {
    private static let envelope = EVEEnvelope(
        timestamp: Timestamp(seconds: 1_795_321_620, nanoseconds: 123_456_789), eventType: "alert",
        source: IPAddress(ipv4: 0x0A00_0001), sourcePort: 51_234,
        destination: IPAddress(high: 0x2001_0DB8_0000_0000, low: 1), destinationPort: 9_876,
        transport: .tcp, flowID: 1_234_567_890_123_456, communityID: "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
        appProto: "fix")

    @Test("header keys in Suricata's order, parsed back with JSONSerialization")
    func fullRecord() throws {
        var writer = JSONWriter()
        writer.beginEVERecord(Self.envelope)
        writer.key("alert")
        writer.beginObject()
        writer.field("signature_id", 1_000_001)
        writer.field("signature", "relay \"many\" accounts")
        writer.endObject()
        writer.endRecord()
        let line = String(decoding: writer.bytes, as: UTF8.self)
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)

        let object = try #require(try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String: Any])
        #expect(object["timestamp"] as? String == "2026-11-22T04:27:00.123456+0000")
        #expect((object["flow_id"] as? NSNumber)?.uint64Value == 1_234_567_890_123_456)
        #expect(object["event_type"] as? String == "alert")
        #expect(object["src_ip"] as? String == "10.0.0.1")
        #expect((object["src_port"] as? NSNumber)?.intValue == 51_234)
        #expect(object["dest_ip"] as? String == "2001:db8::1")
        #expect((object["dest_port"] as? NSNumber)?.intValue == 9_876)
        #expect(object["proto"] as? String == "TCP")
        #expect(object["app_proto"] as? String == "fix")
        #expect(object["community_id"] as? String == "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
        let alert = try #require(object["alert"] as? [String: Any])
        #expect(alert["signature"] as? String == "relay \"many\" accounts")

        let order = ["timestamp", "flow_id", "event_type", "src_ip", "src_port", "dest_ip", "dest_port",
                     "proto", "app_proto", "community_id", "alert"]
        let positions = try order.map { key in
            try #require(line.firstRange(of: "\"\(key)\":")?.lowerBound, "missing \(key)")
        }
        #expect(positions == positions.sorted())
    }

    @Test("optional header fields are omitted when absent")
    func optionalFields() throws {
        var envelope = Self.envelope
        envelope.communityID = nil
        envelope.appProto = nil
        envelope.transport = .udp
        var writer = JSONWriter()
        writer.beginEVERecord(envelope)
        writer.endRecord()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String: Any])
        #expect(object["app_proto"] == nil && object["community_id"] == nil)
        #expect(object["proto"] as? String == "UDP")
        #expect(object.count == 8)
    }

    @Test("records without a flow")
    func flowlessRecord() {
        var writer = JSONWriter()
        writer.beginRecord(timestamp: Timestamp(nanoseconds: 0), eventType: "stats")
        writer.key("stats")
        writer.beginObject()
        writer.field("packets", UInt64(42))
        writer.endObject()
        writer.endRecord()
        #expect(String(decoding: writer.bytes, as: UTF8.self)
            == "{\"timestamp\":\"1970-01-01T00:00:00.000000+0000\",\"event_type\":\"stats\",\"stats\":{\"packets\":42}}\n")
    }

    @Test("IP addresses")
    func addresses() {
        #expect(render { $0.ipAddress(IPAddress(ipv4: 0)) } == "\"0.0.0.0\"")
        #expect(render { $0.ipAddress(IPAddress(ipv4: 0xFFFF_FFFF)) } == "\"255.255.255.255\"")
        #expect(render { $0.ipAddress(IPAddress(ipv4: 0xC0A8_0A01)) } == "\"192.168.10.1\"")
        #expect(render { $0.ipAddress(IPAddress(high: 0xFE80_0000_0000_0000, low: 0x0200_86FF_FE05_80DA) ) }
            == "\"fe80::200:86ff:fe05:80da\"")
    }
}
