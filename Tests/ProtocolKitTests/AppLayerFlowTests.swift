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
    Array(text.utf8).withUnsafeBytes { layer.streamData($0, direction: direction, time: .zero) }
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
