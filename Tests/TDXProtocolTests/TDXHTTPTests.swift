import ProtocolKit
import TestSupport
import Testing

@testable import TDXProtocol

/// The TdxTradeServer HTTP wrapper (notes section 2.3; FINDINGS.md section 8).
@Suite("TDX HTTP wrapper")
struct TDXHTTPTests {
    static let flow = FlowInfo(
        client: IPAddress(ipv4: 0x0A1E_063D), clientPort: 48208, server: IPAddress(ipv4: 0x0A1E_0001), serverPort: 10092,
        transport: .tcp, id: 3, start: .zero, orientation: .handshake)

    static func post(_ body: String, json: Bool = true) -> [UInt8] {
        var head = "POST /api HTTP/1.1\r\nHost: 10.30.0.1:10092\r\nUser-Agent: python-requests/2.34.2\r\n"
        head += "Content-Length: \(body.utf8.count)\r\n"
        if json { head += "Content-Type: application/json\r\n" }
        return Array((head + "\r\n").utf8) + Array(body.utf8)
    }

    static func response(_ body: String) -> [UInt8] {
        Array("HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
    }

    static let logon = post(
        #"{"func": "logon", "params": {"ip": "10.30.100.8", "port": 7708, "version": "6.40", "yyb_id": 9, "account_no": "880012345678", "trade_account": "880012345678", "jy_password": "Jy-Pass-4321", "tx_password": "Tx-7788"}}"#)
    static let order = post(
        #"{"func": "send_order", "params": {"client_id": 1, "category": 1, "price_type": 0, "gddm": "A123456789", "zqdm": "600519", "price": 1450.5, "quantity": 100}}"#)

    @Test("logon: account_no, version, branch, trading server; the passwords are never written", arguments: [1, 7, 1460])
    func logonRedacted(chunk: Int) throws {
        let sink = run(
            [
                .data(.toServer, Self.logon), .data(.toClient, Self.response(#"{"success": true, "data": {"client_id": 1}}"#)),
                .data(.toServer, Self.order), .data(.toClient, Self.response(#"{"success": false, "error": "资金不足"}"#)),
            ], chunk: chunk, flow: Self.flow)
        #expect(sink.events.map(\.kind) == [.logon, .logonResult, .orderNew, .reject])
        let logon = sink.events[0]
        #expect(logon[field: "account"] == .string("880012345678"))
        #expect(logon[field: "client_version"] == .string("6.40"))
        #expect(logon[field: "branch_id"] == .string("9"))
        #expect(logon[field: "tdx.trade_server"] == .string("10.30.100.8:7708"))
        #expect(logon[field: "password_present"] == .bool(true))
        #expect(logon.tdx("params")?[member: "jy_password"] == .string("<redacted>"))
        let text = sink.events.map { "\($0.record.map { "\($0)" } ?? "") \($0.fields)" }.joined()
        #expect(!text.contains("Jy-Pass-4321") && !text.contains("Tx-7788"))
        #expect(sink.events[1][field: "tdx.client_id"] == .int(1))
        let order = sink.events[2]
        #expect(order[field: "instrument"] == .string("600519") && order[field: "side"] == .string("sell"))
        #expect(order[field: "price"] == .double(1450.5) && order[field: "quantity"] == .int(100))
        #expect(sink.events[3][field: "text"] == .string("资金不足"))
        #expect(sink.events[3][field: "tdx.func"] == .string("send_order"))
        #expect(sink.counter("http_wrapper_flows") == 1 && sink.counter("http_requests") == 2)
    }

    @Test("the AES mode: URL-encoded base64 bodies are reported encrypted with the ciphertext length")
    func encrypted() throws {
        let base64 = String(repeating: "QUJD", count: 19) + "%0A" + String(repeating: "QUJD", count: 2) + "QUI%3D"
        let sink = run([.data(.toServer, Self.post(base64, json: false))], flow: Self.flow)
        let event = try #require(sink.events.first)
        #expect(event[field: "tdx.encrypted"] == .bool(true))
        // 22 groups of four symbols, the last with one padding byte: 66 - 1 = 65 bytes.
        #expect(event[field: "tdx.ciphertext_length"] == .uint(65))
        #expect(sink.counter("http_encrypted_requests") == 1)
        #expect(sink.anomalyNames == [])
    }

    @Test("the probe takes POST /api with a func or an AES body, and leaves other HTTP alone")
    func probes() {
        #expect(probe(Self.logon) == .match)
        #expect(probe(Array(Self.logon.prefix(40))) == .needMoreData)
        // 16 bytes of ciphertext (one AES block) match; 24 do not.
        #expect(probe(Self.post(String(repeating: "QUJD", count: 5) + "QQ%3D%3D", json: false)) == .match)
        #expect(probe(Self.post(String(repeating: "QUJD", count: 8), json: false)) == .noMatch)
        #expect(probe(Self.post(#"{"user": "x"}"#)) == .noMatch)
        #expect(probe(Array("POST /apiv2 HTTP/1.1\r\n".utf8)) == .noMatch)
        #expect(probe(Array("POST /login HTTP/1.1\r\n".utf8)) == .noMatch)
    }

    @Test("a message that cannot be framed, or a body over the cap, is an anomaly and never a failure")
    func unframed() {
        let chunked = Array("POST /api HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".utf8)
        #expect(run([.data(.toServer, chunked)], flow: Self.flow).anomalyNames == ["http_unframed"])
        var options = TDXOptions()
        options.maxHTTPBodyBytes = 10
        let sink = run([.data(.toServer, Self.logon + Self.order)], flow: Self.flow, options: options)
        #expect(sink.anomalyNames.filter { $0 == "http_body_over_cap" }.count == 2)
        #expect(sink.counter("anomalies.http_body_over_cap") == 2)
    }

    @Test("a 100 KiB body one byte at a time is framed once, without rereading its head per byte")
    func largeBodyByteByByte() throws {
        let rows = (0..<2000).map { #"{"证券代码": "\#(600000 + $0)", "证券名称": "测试", "证券数量": "100"}"# }.joined(separator: ",")
        let reply = Self.response(#"{"success": true, "data": ["# + rows + "]}")
        #expect(reply.count > 100_000)
        let query = Self.post(#"{"func": "query_data", "params": {"client_id": 1, "category": 1}}"#)
        let sink = run([.data(.toServer, query), .data(.toClient, reply)], chunk: 1, flow: Self.flow)
        let event = try #require(sink.events.last)
        #expect(event.tdx("data_rows") == .uint(2000))
        #expect(event.tdx("func") == .string("query_data"))
    }

    @Test("secrets are found by name at any depth")
    func redaction() {
        let value = FieldValue.object([
            ("jy_password", .string("a")), ("nested", .object([("txPwd", .string("b")), ("pin", .string("1234"))])),
            ("empty_password", .string("")), ("account_no", .string("1")),
        ])
        #expect(TDXEventBuilder.redact(value) == .object([
            ("jy_password", .string("<redacted>")), ("nested", .object([("txPwd", .string("<redacted>")), ("pin", .string("<redacted>"))])),
            ("empty_password", .string("")), ("account_no", .string("1")),
        ]))
    }
}
