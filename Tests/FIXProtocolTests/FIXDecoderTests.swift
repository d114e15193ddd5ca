import Foundation
import ProtocolKit
import TestSupport
import Testing

@testable import FIXProtocol

/// A FIX message with a correct BodyLength and CheckSum (`|` stands for SOH).
func fixMessage(_ body: String, begin: String = "FIX.4.4", bodyLength: Int? = nil, checksum: String? = nil) -> [UInt8] {
    let bodyBytes = Array(body.replacingOccurrences(of: "|", with: "\u{01}").utf8)
    var message = Array("8=\(begin)\u{01}9=\(bodyLength ?? bodyBytes.count)\u{01}".utf8) + bodyBytes
    let sum = message.reduce(0) { ($0 + Int($1)) % 256 }
    let written = checksum ?? String(sum).leftPadded(to: 3)
    message += Array("10=\(written)\u{01}".utf8)
    return message
}

let sampleFlow = FlowInfo(
    client: IPAddress(ipv4: 0x0A00_0001), clientPort: 40000, server: IPAddress(ipv4: 0x0A00_0002), serverPort: 9876,
    transport: .tcp, id: 7, start: .zero, orientation: .handshake
)

/// Runs a session over `streams` (direction, bytes) fed `chunk` bytes at a time; returns the events.
func decode(_ streams: [(Direction, [UInt8])], chunk: Int = Int.max, options: FIXOptions = FIXOptions()) -> CollectingEventSink {
    let sink = CollectingEventSink()
    let session = FIXDecoder(options: options).makeSession(flow: sampleFlow, events: sink)
    for (direction, bytes) in streams {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            bytes[offset..<end].withUnsafeBytes { session.data($0.bytes, direction: direction, time: .zero) }
            offset = end
        }
    }
    session.end(direction: .toServer, time: .zero)
    session.end(direction: .toClient, time: .zero)
    return sink
}

extension TradingEvent {
    var fix: [(String, FieldValue)] {
        if case .object(let members)? = record { return members }
        return []
    }
    func fix(_ key: String) -> FieldValue? { fix.first { $0.0 == key }?.1 }
    var anomalies: [String] {
        if case .array(let values)? = fix("anomalies") {
            return values.compactMap { if case .string(let name) = $0 { name } else { nil } }
        }
        return []
    }
    var messageType: String? { if case .string(let type)? = fix("msg_type") { type } else { nil } }
}

@Suite("FIX framing")
struct FIXFramingTests {
    @Test("a message is framed by BodyLength and its CheckSum validated")
    func frame() {
        let message = fixMessage("35=0|49=A|56=B|34=1|")
        let result = message.withUnsafeBytes { FIXFraming.frame($0, at: 0, maxMessageSize: 1 << 20) }
        guard case .frame(let frame) = result else {
            Issue.record("not framed: \(result)")
            return
        }
        #expect(frame.end == message.count)
        #expect(frame.bodyLengthValid && frame.checksumValid && frame.checksumThreeDigits)
    }

    @Test("every prefix of a message asks for more bytes, never misframes")
    func prefixes() {
        let message = fixMessage("35=D|49=A|56=B|34=2|55=IBM|54=1|38=100|")
        for length in 0..<message.count {
            let result = Array(message[0..<length]).withUnsafeBytes { FIXFraming.frame($0, at: 0, maxMessageSize: 1 << 20) }
            #expect(result == .needMore, "prefix \(length)")
        }
    }

    @Test("zero-padded BodyLength is accepted")
    func zeroPadded() {
        let body = "35=0|49=A|56=B|"
        let count = body.utf8.count
        let message = fixMessage(body, bodyLength: nil).map { $0 }
        var padded = Array("8=FIX.4.4\u{01}9=000\(count)\u{01}".utf8) + Array(body.replacingOccurrences(of: "|", with: "\u{01}").utf8)
        let sum = padded.reduce(0) { ($0 + Int($1)) % 256 }
        padded += Array("10=\(String(sum).leftPadded(to: 3))\u{01}".utf8)
        let events = decode([(.toServer, padded)])
        #expect(events.events.count == 1)
        #expect(events.events.first?.anomalies == [])
        #expect(message.count > 0)
    }
}

@Suite("FIX sessions")
struct FIXSessionTests {
    static let conversation: [UInt8] =
        fixMessage("35=A|49=CLIENT|56=BROKER|34=1|52=20260101-00:00:00|98=0|108=30|553=trader|554=secret|")
        + fixMessage("35=D|49=CLIENT|56=BROKER|34=2|1=ACC1|11=O1|55=600000|54=1|38=100|44=10.5|40=2|")
        + fixMessage("35=D|49=CLIENT|56=BROKER|34=3|1=ACC2|11=O2|55=600001|54=2|38=200|44=11|40=2|453=2|448=P1|447=D|452=3|448=P2|447=D|452=11|")
        + fixMessage("35=0|49=CLIENT|56=BROKER|34=4|")
        + fixMessage("35=5|49=CLIENT|56=BROKER|34=5|58=bye|")

    @Test("the same stream fed 1, 2, 3, 7, 64 or 1460 bytes at a time gives the same messages", arguments: [1, 2, 3, 7, 64, 1460])
    func chunkSweep(chunk: Int) {
        let whole = decode([(.toServer, Self.conversation)])
        let chunked = decode([(.toServer, Self.conversation)], chunk: chunk)
        #expect(chunked.events.map(\.messageType) == ["A", "D", "D", "0", "5"])
        #expect(chunked.events.map(\.kind) == whole.events.map(\.kind))
        #expect(chunked.events.map(\.fields.count) == whole.events.map(\.fields.count))
        #expect(chunked.counters["fix.messages"] == 5)
    }

    @Test("logon and orders become trading events in the shared vocabulary; the password is redacted")
    func tradingEvents() {
        let events = decode([(.toServer, Self.conversation)]).events
        #expect(events.map(\.kind) == [.logon, .orderNew, .orderNew, .heartbeat, .logout])
        #expect(events[0][field: "user_id"] == .string("trader"))
        #expect(events[0][field: "password_present"] == .bool(true))
        if case .object(let fields)? = events[0].fix("fields") {
            #expect(fields.first { $0.0 == "Password" }?.1 == .string("<redacted>"))
        } else {
            Issue.record("no fields object")
        }
        #expect(events[1][field: "account"] == .string("ACC1"))
        #expect(events[1][field: "price"] == .double(10.5))
        #expect(events[1][field: "quantity"] == .double(100))
        #expect(events[2][field: "parties"] == .array([
            .object([("id", .string("P1")), ("source", .string("D")), ("role", .string("3"))]),
            .object([("id", .string("P2")), ("source", .string("D")), ("role", .string("11"))]),
        ]))
    }

    @Test(
        "a message the demand needs only for some fields is left unbuilt exactly when it carries none of them",
        arguments: [["on_behalf_of", "deliver_to", "anomaly", "anomalies"], ["hops"], ["target"], ["account", "anomalies"]]
    )
    func triggersTestedBeforeBuilding(triggerNames: [String]) {
        // Execution reports plain, routed (115, 128), with hops (628), with a bad checksum; a
        // heartbeat; an order with an account.
        let stream = fixMessage("35=8|49=A|56=B|34=1|1=ACC1|11=O1|55=X|54=1|150=0|39=0|")
            + fixMessage("35=8|49=A|56=B|115=CLIENT|34=2|1=ACC1|150=F|39=2|")
            + fixMessage("35=8|49=A|56=B|128=DESK|34=3|")
            + fixMessage("35=8|49=A|56=B|34=4|627=1|628=HOP1|")
            + fixMessage("35=8|49=A|56=B|34=5|", checksum: "000")
            + fixMessage("35=0|49=A|56=B|34=6|")
            + fixMessage("35=D|49=A|56=B|34=7|1=ACC2|11=O2|55=X|54=2|38=5|44=1.5|")
        var triggers = EventFieldSet()
        for name in triggerNames { triggers.insert(EventField(name).id) }
        var fields = triggers
        for name in ["account", "sender", "exec_type"] { fields.insert(EventField(name).id) }
        func events(always: Bool) -> [TradingEvent] {
            let plan = FieldPlan(fields: fields, always: always, triggers: triggers)
            let sink = CollectingEventSink(interest: EventInterest(records: false, tradingEvents: true, demand: EventDemand { _, _ in plan }))
            let session = FIXDecoder(options: FIXOptions()).makeSession(flow: sampleFlow, events: sink)
            stream.withUnsafeBytes { session.data($0.bytes, direction: .toServer, time: .zero) }
            return sink.events.filter { $0.kind != .anomaly }
        }
        let needed = FieldPlan(fields: fields, always: false, triggers: triggers)
        let expected = events(always: true).filter { needed.needs(present: $0.present ?? EventFieldSet()) }
        let built = events(always: false)
        #expect(built.map(\.kind) == expected.map(\.kind))
        #expect(built.map(\.present) == expected.map(\.present))
        #expect(built.map { $0[field: "sender"] } == expected.map { $0[field: "sender"] })
        #expect(!expected.isEmpty)
        #expect(expected.count < 7 || triggerNames == ["target"])
    }

    @Test("without MessageEncoding, STEP text is read as GBK and FIX text as UTF-8")
    func assumedEncoding() {
        #expect(FIXTextDecoder.assumed(forBeginString: "STEP.1.0.0".utf8) == .gbk)
        #expect(FIXTextDecoder.assumed(forBeginString: "FIX.4.4".utf8) == .utf8)
    }

    @Test("--show-secrets writes the password")
    func showSecrets() {
        var options = FIXOptions()
        options.showSecrets = true
        let events = decode([(.toServer, Self.conversation)], options: options).events
        if case .object(let fields)? = events[0].fix("fields") {
            #expect(fields.first { $0.0 == "Password" }?.1 == .string("secret"))
        }
    }

    @Test("junk before the first message is skipped and reported; the messages after it decode")
    func junk() {
        let events = decode([(.toServer, [0x00, 0xFF, 0x38, 0x3D, 0x10, 0x20, 0x99, 0x01] + Self.conversation)]).events
        #expect(events.first?.kind == .anomaly)
        #expect(events.first?[field: "anomaly"] == .string("junk_skipped"))
        #expect(events.first?[field: "length"] == .uint(8))
        #expect(events.dropFirst().map(\.messageType) == ["A", "D", "D", "0", "5"])
    }

    @Test("BodyLength, checksum and tag anomalies are named, and framing goes on")
    func anomalies() {
        let stream = fixMessage("35=0|49=A|56=B|34=1|", bodyLength: 5)
            + fixMessage("35=0|49=A|56=B|34=2|", checksum: "000")
            + fixMessage("35=0|49=A|56=B|34=3|", checksum: "81")
            + fixMessage("35=0|49=A|56=B|34=4|058=x|")
            + fixMessage("35=0|49=A|56=B|34=9|")
        let events = decode([(.toServer, stream)]).events
        #expect(events.count == 5)
        #expect(events[0].anomalies == ["body_length_mismatch"])
        #expect(events[1].anomalies == ["bad_checksum"])
        #expect(events[2].anomalies.contains("checksum_not_three_digits"))
        #expect(events[3].anomalies == ["non_canonical_tag"])
        #expect(events[4].anomalies == ["sequence_gap"])
    }

    @Test("RawData with SOH and 8=FIX inside is one field, framing unbroken")
    func rawData() {
        let data = "ab\u{01}8=FIX.4.4\u{01}9=5\u{01}="
        let stream = fixMessage("35=A|49=A|56=B|34=1|95=\(data.utf8.count)|96=\(data)|108=30|") + fixMessage("35=0|49=A|56=B|34=2|")
        var options = FIXOptions()
        options.showSecrets = true
        let events = decode([(.toServer, stream)], options: options).events
        #expect(events.map(\.messageType) == ["A", "0"])
        #expect(events[0].anomalies == [])
        if case .object(let fields)? = events[0].fix("fields") {
            #expect(fields.first { $0.0 == "RawData" || $0.0 == "96" }?.1 == .string(data))
        }
    }

    @Test("a gap cuts a message: it is reported, and decoding resumes at the next message")
    func gap() {
        let first = fixMessage("35=0|49=A|56=B|34=1|")
        let second = fixMessage("35=0|49=A|56=B|34=2|")
        let third = fixMessage("35=0|49=A|56=B|34=3|")
        let sink = CollectingEventSink()
        let session = FIXDecoder().makeSession(flow: sampleFlow, events: sink)
        (first + second.prefix(10)).withUnsafeBytes { session.data($0.bytes, direction: .toServer, time: .zero) }
        session.gap(length: 20, direction: .toServer, time: .zero)
        (Array(second.suffix(second.count - 30)) + third).withUnsafeBytes { session.data($0.bytes, direction: .toServer, time: .zero) }
        session.end(direction: .toServer, time: .zero)
        #expect(sink.events.map { $0.messageType ?? "anomaly:\($0[field: "anomaly"].map { "\($0)" } ?? "")" }.count == 3)
        #expect(sink.events[1][field: "anomaly"] == .string("truncated_at_gap"))
        #expect(sink.events[2].messageType == "0")
        #expect(sink.events[2].anomalies == [], "no sequence anomaly across a gap")
    }

    @Test("random bytes never crash or hang the decoder", arguments: 0..<20)
    func randomBytes(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var stream: [UInt8] = []
        for _ in 0..<50 {
            switch random.int(in: 0...3) {
            case 0: stream += random.bytes(count: random.int(in: 0...200))
            case 1: stream += Array(Self.conversation.prefix(random.int(in: 0...Self.conversation.count)))
            case 2: stream += Array("8=FIX.4.4\u{01}9=\(random.int(in: 0...99999))\u{01}".utf8)
            default:
                var message = Self.conversation
                for _ in 0..<5 { message[random.int(in: 0...(message.count - 1))] = UInt8(truncatingIfNeeded: random.int(in: 0...255)) }
                stream += message
            }
        }
        let sink = decode([(.toServer, stream), (.toClient, Array(stream.reversed()))], chunk: random.int(in: 1...300))
        #expect(sink.counters["fix.messages", default: 0] >= 0)
    }

    @Test("FIXCOMP frames are inflated and their inner messages decoded")
    func fixcomp() {
        // zlib stream of "8=FIX.4.1|9=5|35=0|10=163|" made with Python's zlib.compress.
        let inner = fixMessage("35=0|", begin: "FIX.4.1")
        let compressed = zlibCompressed(inner)
        let frame = Array("8=FIXCOMP\u{01}9=\(compressed.count)\u{01}".utf8) + compressed
        let events = decode([(.toClient, frame + fixMessage("35=0|", begin: "FIX.4.1"))]).events
        #expect(events.map(\.messageType) == ["0", "0"])
        #expect(events[0].fix("envelope") == .string("FIXCOMP"))
    }

    @Test("a proprietary envelope is framed by its length and reported raw")
    func proprietary() {
        let body: [UInt8] = Array("35=P\u{01}".utf8) + [0x00, 0x01, 0x02, 0xFF, 0x10]
        let frame = Array("8=O\u{01}9=\(String(body.count).leftPadded(to: 4))\u{01}".utf8) + body
        let events = decode([(.toClient, frame + frame + fixMessage("35=0|", begin: "FIX.4.1"))]).events
        #expect(events.map(\.messageType) == ["P", "P", "0"])
        #expect(events[0].fix("envelope") == .string("proprietary"))
    }
}

import CZlib

/// `bytes` compressed with zlib's `compress` (a zlib stream, as FIXCOMP carries).
func zlibCompressed(_ bytes: [UInt8]) -> [UInt8] {
    var length = compressBound(uLong(bytes.count))
    var output = [UInt8](repeating: 0, count: Int(length))
    let status = output.withUnsafeMutableBufferPointer { out in
        bytes.withUnsafeBufferPointer { input in
            compress(out.baseAddress, &length, input.baseAddress, uLong(bytes.count))
        }
    }
    precondition(status == Z_OK)
    return Array(output.prefix(Int(length)))
}
