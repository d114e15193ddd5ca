import PacketCapture
import TestSupport

/// A small JSON value with ordered keys, written the same way on every run.
indirect enum JSONValue {
    case string(String)
    case int(Int)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Pretty-printed text (two-space indent); arrays of scalars and small objects stay on one line.
    func text(indent: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent)
        let inner = String(repeating: " ", count: indent + 2)
        switch self {
        case .string(let value): return JSONValue.quote(value)
        case .int(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .array(let items):
            if items.isEmpty { return "[]" }
            if items.allSatisfy(\.isScalar) { return "[" + items.map { $0.text() }.joined(separator: ", ") + "]" }
            return "[\n" + items.map { inner + $0.text(indent: indent + 2) }.joined(separator: ",\n") + "\n" + pad + "]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            if members.allSatisfy({ $0.1.isScalar || $0.1.isScalarArray }) && members.count <= 12 {
                return "{" + members.map { JSONValue.quote($0.0) + ": " + $0.1.text() }.joined(separator: ", ") + "}"
            }
            return "{\n" + members.map { inner + JSONValue.quote($0.0) + ": " + $0.1.text(indent: indent + 2) }
                .joined(separator: ",\n") + "\n" + pad + "}"
        }
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    private var isScalarArray: Bool {
        if case .array(let items) = self { return items.allSatisfy(\.isScalar) }
        return false
    }

    private static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// One complete message the decoder should report.
struct FIXTruthMessage {
    /// Which way it went.
    var side: TCPConversation.Side
    /// The outer BeginString (`FIX.4.4`, `FIXCOMP`, `O`, ...).
    var beginString: String
    /// MsgType (of the inner message for FIXCOMP).
    var msgType: String
    /// MsgSeqNum (of the inner message for FIXCOMP); nil when the message has none.
    var msgSeqNum: Int?
    /// Anomaly names expected on this message.
    var anomalies: [String] = []
    /// The inner BeginString of a FIXCOMP frame.
    var inner: String?

    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("direction", .string(side == .client ? "c2s" : "s2c")),
            ("begin_string", .string(beginString)),
            ("msg_type", .string(msgType)),
            ("msg_seq_num", msgSeqNum.map { .int($0) } ?? .null),
        ]
        if let inner { members.append(("inner_begin_string", .string(inner))) }
        members.append(("anomalies", .array(anomalies.map { .string($0) })))
        return .object(members)
    }
}

/// One TCP conversation of a FIX capture with its ground truth: the complete messages in stream
/// order per direction, and the anomalies reported for the stream rather than for a message
/// (skipped junk, a message cut by a gap).
struct FIXCase {
    /// What the case is.
    var summary: String
    /// What tshark 4.0.17 does with it (section 1.7 of the protocol notes), for the truth file.
    var tshark: String
    /// The packets.
    var conversation: TCPConversation
    /// The complete messages, in the order they were built.
    var messages: [FIXTruthMessage] = []
    /// Stream-level anomalies: (side, name).
    var streamAnomalies: [(TCPConversation.Side, String)] = []
    /// A note on what is partial or special.
    var note: String?
    /// The SendingTime counter.
    private var clock = 0

    /// A case on a fresh conversation between `client` and `server`, starting `index` seconds
    /// after the capture epoch.
    init(
        _ summary: String, tshark: String, client: Endpoint, server: Endpoint, index: Int, handshake: Bool = true,
        maximumSegmentSize: Int = 1460
    ) {
        self.summary = summary
        self.tshark = tshark
        let seed = UInt32(client.port) &* 0x9E37_79B1 &+ UInt32(server.port)
        conversation = TCPConversation(
            client: client, server: server, clientInitialSequence: seed,
            serverInitialSequence: seed &* 0x85EB_CA6B &+ 0x1234,
            start: Recipe.time(microseconds: Int64(index) * 1_000_000), step: 1_500_000,
            maximumSegmentSize: maximumSegmentSize)
        if handshake { conversation.handshake() }
    }

    /// The port that names the case.
    var port: Int { Int(conversation.client.port) }

    /// A message from `side` with the usual header (35, [1128,] 49, 56, 34, 52) and fields added by
    /// `build`; recorded as a complete message unless `record` is false.
    mutating func message(
        _ side: TCPConversation.Side, _ type: String, seq: Int?, version: String = "FIX.4.4",
        ids: (client: String, server: String) = ("TSCLIENT", "TSBROKER"), applVerID: String? = nil,
        anomalies: [String] = [], record: Bool = true, build: (inout FIXMessageBuilder) -> Void = { _ in }
    ) -> FIXMessageBuilder {
        var message = FIXMessageBuilder(beginString: version, msgType: type)
        if let applVerID { message.add(1128, applVerID) }
        message.add(49, side == .client ? ids.client : ids.server)
        message.add(56, side == .client ? ids.server : ids.client)
        if let seq { message.add(34, seq) }
        clock += 1
        message.add(52, sendingTime(clock))
        build(&message)
        if record {
            messages.append(FIXTruthMessage(side: side, beginString: version, msgType: type, msgSeqNum: seq, anomalies: anomalies))
        }
        return message
    }

    /// Records a complete message built some other way (FIXCOMP, proprietary envelopes).
    mutating func record(_ message: FIXTruthMessage) {
        messages.append(message)
    }

    /// `20231114-22:13:20.NNN`, one millisecond per message of the case.
    func sendingTime(_ tick: Int) -> String {
        let milliseconds = String(tick * 7 % 1000)
        return "20231114-22:13:2\(tick / 143 % 10)." + String(repeating: "0", count: 3 - milliseconds.count) + milliseconds
    }

    /// Sends `bytes` from `side` in MSS-sized segments and an ACK back.
    mutating func send(_ side: TCPConversation.Side, _ bytes: [UInt8]) {
        conversation.send(from: side, bytes)
    }

    /// Sends one built message.
    mutating func send(_ side: TCPConversation.Side, _ message: FIXMessageBuilder) {
        send(side, message.bytes())
    }

    /// The segments carrying `bytes` from `side`, cut after each of `sizes` bytes (the rest in
    /// a last segment), starting at the side's next sequence number; nothing is appended.
    func pieces(_ side: TCPConversation.Side, _ bytes: [UInt8], sizes: [Int]) -> [Segment] {
        var segments: [Segment] = []
        var sequence = conversation.nextSequence(of: side)
        var offset = 0
        var index = 0
        while offset < bytes.count {
            let size = index < sizes.count ? sizes[index] : bytes.count - offset
            let end = min(bytes.count, offset + max(1, size))
            let flags: TCPFlags = end == bytes.count ? [.ack, .psh] : .ack
            segments.append(Segment(sequence: sequence, flags: flags, payload: Array(bytes[offset..<end])))
            sequence &+= UInt32(end - offset)
            offset = end
            index += 1
        }
        return segments
    }

    /// Sends `bytes` from `side` cut after each of `sizes` bytes, then an ACK back.
    mutating func send(_ side: TCPConversation.Side, _ bytes: [UInt8], sizes: [Int], acknowledge: Bool = true) {
        conversation.append(pieces(side, bytes, sizes: sizes), from: side)
        if acknowledge { conversation.acknowledge(from: side.other) }
    }

    /// Handshake-less cases and cases that end the usual way both close with FIN.
    mutating func close() {
        conversation.close()
    }

    /// The JSON object of this case.
    var json: JSONValue {
        let names = Set(messages.flatMap(\.anomalies) + streamAnomalies.map(\.1)).sorted()
        var members: [(String, JSONValue)] = [
            ("port", .int(port)),
            ("client", .string(conversation.client.description)),
            ("server", .string(conversation.server.description)),
            ("case", .string(summary)),
            ("complete_messages", .int(messages.count)),
            ("anomalies", .array(names.map { .string($0) })),
            ("stream_anomalies", .array(streamAnomalies.map {
                .object([("direction", .string($0.0 == .client ? "c2s" : "s2c")), ("anomaly", .string($0.1))])
            })),
        ]
        if let note { members.append(("note", .string(note))) }
        members.append(("tshark_4_0_17", .string(tshark)))
        members.append(("messages", .array(messages.map(\.json))))
        return .object(members)
    }
}

/// A whole FIX capture: its cases, interleaved by time, and the truth file describing them.
struct FIXCaptureSet {
    /// The capture's file name (for the truth file).
    var file: String
    /// The subcommand that writes it.
    var command: String
    /// The cases.
    var cases: [FIXCase]
    /// Extra top-level truth members.
    var extra: [(String, JSONValue)] = []

    /// Total complete messages.
    var total: Int { cases.reduce(0) { $0 + $1.messages.count } }

    /// The capture and its truth file.
    func generated(truthFile: String) -> GeneratedCapture {
        let frames = TCPConversation.interleave(cases.map(\.conversation))
        var counts: [String: Int] = [:]
        for message in cases.flatMap(\.messages) { counts[message.msgType, default: 0] += 1 }
        let anomalies = Set(cases.flatMap { $0.messages.flatMap(\.anomalies) + $0.streamAnomalies.map(\.1) }).sorted()
        var members: [(String, JSONValue)] = [
            ("capture", .string(file)),
            ("made_by", .string("capgen \(command) --out Captures/fix")),
            ("complete_messages", .int(total)),
        ]
        members += extra
        members.append(("messages_by_msg_type", .object(counts.keys.sorted().map { ($0, .int(counts[$0]!)) })))
        members.append(("anomalies", .array(anomalies.map { .string($0) })))
        members.append(("flows", .array(cases.map(\.json))))
        let truth = JSONValue.object(members).text() + "\n"
        let perPort = cases.map { "\($0.port): \($0.messages.count)" }.joined(separator: ", ")
        let expected = """
            \(total) complete FIX messages in \(cases.count) TCP flows (per client port \(perPort)); \
            anomalies \(anomalies.joined(separator: ", ")); truth in \(truthFile)
            """
        return GeneratedCapture(
            bytes: PcapWriter.fileBytes(frames, linkType: .ethernet), packets: frames.count, expected: expected,
            companions: [CompanionFile(name: truthFile, bytes: Array(truth.utf8))])
    }
}
