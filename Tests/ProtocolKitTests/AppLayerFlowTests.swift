import FlowTracking
import PacketCapture
import TestSupport
import Testing

@testable import ProtocolKit

typealias LineDecoder = LineProtocolDecoder

typealias CollectingSink = CollectingEventSink

let testFlow = FlowInfo(
    client: IPAddress(ipv4: 0x0A00_0001), clientPort: 40000, server: IPAddress(ipv4: 0x0A00_0002), serverPort: 7777,
    transport: .tcp, id: 1, start: .zero, orientation: .handshake
)

func send(_ text: String, _ direction: Direction, to layer: AppLayerFlow) {
    _ = Array(text.utf8).withUnsafeBytes { layer.streamData($0, direction: direction, time: .zero) }
}

@Suite("Protocol detection and the decoder contract")
struct AppLayerFlowTests {
    @Test("a matching stream is decoded, including the bytes held back while probing, in arrival order")
    func matchAfterSeveralChunks() {
        let sink = CollectingSink()
        let layer = AppLayerFlow(flow: testFlow, detector: ProtocolDetector(decoders: [LineDecoder()]), events: sink)
        send("HE", .toServer, to: layer)
        send("LLO there\nsecond", .toServer, to: layer)
        #expect(layer.protocolName == "lines")
        send(" line\n", .toServer, to: layer)
        send("HELLO back\n", .toClient, to: layer)
        let lines = sink.events.compactMap { event -> String? in
            if case .string(let line)? = event[field: "line"] { return "\(event.direction):\(line)" }
            return nil
        }
        #expect(lines == ["to_server:HELLO there", "to_server:second line", "to_client:HELLO back"])
    }

    @Test("a stream that is not the protocol is left alone once both directions say no")
    func noMatch() {
        let sink = CollectingSink()
        let layer = AppLayerFlow(flow: testFlow, detector: ProtocolDetector(decoders: [LineDecoder()]), events: sink)
        send("GET / HTTP/1.1\r\n", .toServer, to: layer)
        send("HTTP/1.1 200 OK\r\n", .toClient, to: layer)
        send("HELLO\n", .toServer, to: layer)
        #expect(layer.protocolName == nil)
        #expect(sink.events.isEmpty)
    }

    @Test("probing stops at the probe limit")
    func probeLimit() {
        let sink = CollectingSink()
        let layer = AppLayerFlow(flow: testFlow, detector: ProtocolDetector(decoders: [LineDecoder()], probeLimit: 4), events: sink)
        send("HELL", .toServer, to: layer)
        send("O\n", .toServer, to: layer)
        #expect(layer.protocolName == nil)
    }

    @Test("gaps and ends reach the session")
    func gapsAndEnds() {
        let sink = CollectingSink()
        let layer = AppLayerFlow(flow: testFlow, detector: ProtocolDetector(decoders: [LineDecoder()]), events: sink)
        send("HELLO one\ntw", .toServer, to: layer)
        layer.streamGap(length: 10, direction: .toServer, time: .zero)
        send("xx\nthree\n", .toServer, to: layer)
        layer.streamEnd(direction: .toServer, time: .zero)
        let kinds = sink.events.map { $0.kind.rawValue }
        #expect(kinds == ["message", "anomaly", "message", "logout"])
        #expect(sink.events[1][field: "gap_length"] == .uint(10))
        #expect(sink.events[2][field: "line"] == .string("three"))
    }
}

/// A decoder that recognises nothing by content but takes flows to one port (an opaque channel).
struct PortClaimer: ProtocolDecoder {
    var port: UInt16
    var name: String { "claimer" }
    var servicePorts: [UInt16] { [port] }
    func probe(_ bytes: RawSpan, direction: Direction) -> ProbeResult { .noMatch }
    func makeSession(flow: FlowInfo, events: any EventSink) -> any DecoderSession { Session(flow: flow, events: events) }
    func claimsUnrecognised(_ flow: FlowInfo) -> Bool { flow.serverPort == port }

    final class Session: DecoderSession {
        let flow: FlowInfo
        let events: any EventSink
        var bytes = PerDirection(0)

        init(flow: FlowInfo, events: any EventSink) {
            self.flow = flow
            self.events = events
        }

        func data(_ bytes: RawSpan, direction: Direction, time: Timestamp) { self.bytes[direction] += bytes.byteCount }
        func gap(length: UInt64, direction: Direction, time: Timestamp) {}
        func end(direction: Direction, time: Timestamp) {
            events.emit(TradingEvent(
                time: time, flow: flow, direction: direction, protocolName: name, kind: .message,
                fields: [("bytes", .uint(UInt64(bytes[direction])))]))
        }
        var name: String { "claimer" }
    }
}

@Suite("Flows claimed by port")
struct ClaimedFlowTests {
    @Test("a flow no probe recognises goes to a decoder that claims its port, with every byte held while probing")
    func claimedAfterProbing() {
        let sink = CollectingSink()
        let detector = ProtocolDetector(decoders: [LineDecoder(), PortClaimer(port: 7777)])
        let layer = AppLayerFlow(flow: testFlow, detector: detector, events: sink)
        send("\u{16}\u{03}\u{01} not lines", .toServer, to: layer)
        send("binary reply", .toClient, to: layer)
        #expect(layer.protocolName == "claimer")
        send("more", .toServer, to: layer)
        layer.streamEnd(direction: .toServer, time: .zero)
        layer.streamEnd(direction: .toClient, time: .zero)
        #expect(sink.events.map { $0[field: "bytes"] } == [.uint(17), .uint(12)])
    }

    @Test("a decoder that recognises the content wins over a port claim; other ports are not claimed")
    func contentFirst() {
        let sink = CollectingSink()
        let layer = AppLayerFlow(flow: testFlow, detector: ProtocolDetector(decoders: [PortClaimer(port: 7777), LineDecoder()]), events: sink)
        send("HELLO there\n", .toServer, to: layer)
        #expect(layer.protocolName == "lines")
        var other = testFlow
        other.serverPort = 7778
        let unclaimed = AppLayerFlow(flow: other, detector: ProtocolDetector(decoders: [LineDecoder(), PortClaimer(port: 7777)]), events: sink)
        send("\u{16}\u{03}\u{01}", .toServer, to: unclaimed)
        send("binary", .toClient, to: unclaimed)
        #expect(unclaimed.protocolName == nil)
    }
}
