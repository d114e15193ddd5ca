import ProtocolKit

/// One HTTP/1.x message of the TdxTradeServer wrapper (notes section 2.3; FINDINGS.md section 8):
/// `POST /api` with a JSON body `{"func": ..., "params": {...}}`, or that JSON AES-128-CBC
/// encrypted, base64 with line breaks and URL-encoded; replies `{"success": ..., "data" | "error": ...}`.
struct TDXHTTPMessage {
    /// `POST /api HTTP/1.1` or `HTTP/1.1 200 OK`.
    var startLine: String
    var headers: [(String, String)]
    var body: [UInt8]

    /// Whether it is a request (its start line does not begin with `HTTP/`).
    var isRequest: Bool { !startLine.hasPrefix("HTTP/") }

    /// The first header named `name` (case-insensitive).
    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The start line's parts: method, target, version (request) or version, status, reason (response).
    var parts: [Substring] { startLine.split(separator: " ", maxSplits: 2) }

    /// The body as JSON, when it is JSON.
    var json: FieldValue? {
        guard let first = body.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
            first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
        else { return nil }
        return body.withUnsafeBytes { TDXJSON.parse($0) }
    }

    /// The length of the ciphertext a URL-encoded base64 body carries (its decoded length), or
    /// nil when the body is not URL-encoded base64.
    var ciphertextLength: Int? {
        var symbols = 0
        var padding = 0
        var index = 0
        while index < body.count {
            var byte = body[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < body.count, let high = Self.hexValue(body[index + 1]), let low = Self.hexValue(body[index + 2]) else {
                    return nil
                }
                byte = high << 4 | low
                index += 3
            } else {
                index += 1
            }
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "+"), UInt8(ascii: "/"):
                guard padding == 0 else { return nil }
                symbols += 1
            case UInt8(ascii: "="):
                padding += 1
            case 0x0A, 0x0D:
                continue
            default:
                return nil
            }
        }
        guard symbols > 0, (symbols + padding) % 4 == 0, padding <= 2 else { return nil }
        return (symbols + padding) / 4 * 3 - padding
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}

/// One direction of the wrapper's HTTP: messages framed by Content-Length, held until whole.
struct TDXHTTPStream {
    /// Bytes of a message not yet whole.
    var buffer: [UInt8] = []
    /// Body bytes still to skip (a body over the cap).
    var skipping = 0
    /// Once a message could not be framed, the rest of the direction is skipped.
    var broken = false

    /// The longest header block accepted.
    static let maxHeaderBytes = 16 * 1024

    /// What framing one more chunk gave.
    enum Event {
        case message(TDXHTTPMessage)
        case anomaly(TDXAnomaly, bytes: Int)
    }

    /// A message whose head was read, waiting for its body: the head, where its body starts in
    /// `buffer`, and the body's length.
    private var waiting: (message: TDXHTTPMessage, bodyStart: Int, length: Int)?
    /// How far `buffer` was searched for the end of a head.
    private var scanned = 0

    /// Forgets what is held (a gap or the end cut it).
    mutating func discard() {
        buffer = []
        waiting = nil
        scanned = 0
    }

    /// Takes the next bytes of the direction; returns the whole messages and the problems found.
    mutating func take(_ bytes: UnsafeRawBufferPointer, maxBody: Int) -> [Event] {
        guard !broken else { return [] }
        var input = bytes
        if skipping > 0 {
            let skipped = min(skipping, input.count)
            skipping -= skipped
            input = UnsafeRawBufferPointer(rebasing: input[skipped...])
        }
        buffer.append(contentsOf: input)
        var events: [Event] = []
        while !buffer.isEmpty && !broken {
            if let (message, bodyStart, length) = waiting {
                guard buffer.count - bodyStart >= length else { break }
                var whole = message
                whole.body = Array(buffer[bodyStart..<(bodyStart + length)])
                buffer.removeFirst(bodyStart + length)
                waiting = nil
                scanned = 0
                events.append(.message(whole))
                continue
            }
            guard let end = Self.headerEnd(buffer, from: max(0, scanned - 3)) else {
                scanned = buffer.count
                if buffer.count > Self.maxHeaderBytes {
                    events.append(.anomaly(.httpUnframed, bytes: buffer.count))
                    broken = true
                    buffer = []
                }
                break
            }
            let head = String(decoding: buffer[..<end], as: UTF8.self)
            var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
            let startLine = lines.isEmpty ? "" : lines.removeFirst()
            var headers: [(String, String)] = []
            for line in lines where !line.isEmpty {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = String(line[..<colon])
                let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
                headers.append((name, String(value)))
            }
            let message = TDXHTTPMessage(startLine: startLine, headers: headers, body: [])
            let chunked = message.header("Transfer-Encoding")?.lowercased().contains("chunked") ?? false
            let length: Int
            if let declared = message.header("Content-Length").flatMap({ Int($0.trimmingSpaces) }), declared >= 0, !chunked {
                length = declared
            } else if message.isRequest && !chunked && message.parts.first != "POST" && message.parts.first != "PUT" {
                length = 0
            } else {
                events.append(.anomaly(.httpUnframed, bytes: buffer.count))
                broken = true
                buffer = []
                break
            }
            let bodyStart = end + 4
            if length > maxBody {
                events.append(.anomaly(.httpBodyOverCap, bytes: length))
                let available = buffer.count - bodyStart
                skipping = max(0, length - available)
                buffer.removeFirst(min(buffer.count, bodyStart + length))
                scanned = 0
                events.append(.message(message))
                continue
            }
            waiting = (message, bodyStart, length)
        }
        return events
    }

    /// The offset of the first `\r\n\r\n` at or after `start`, if any.
    private static func headerEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= 4, start <= bytes.count - 4 else { return nil }
        for index in start...(bytes.count - 4)
        where bytes[index] == 0x0D && bytes[index + 1] == 0x0A && bytes[index + 2] == 0x0D && bytes[index + 3] == 0x0A {
            return index
        }
        return nil
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

/// Whether the first bytes of a client stream are a request to the TdxTradeServer wrapper:
/// `POST /api` and, once the body has come, a JSON body with a `func` member, or a URL-encoded
/// base64 body whose decoded length is a multiple of 16 (the AES mode).
enum TDXHTTPProbe {
    static let prefix = Array("POST /api".utf8)

    /// Match, no match, or not enough bytes to tell.
    static func probe(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        let compared = min(bytes.count, prefix.count)
        guard bytes.prefix(compared).elementsEqual(prefix.prefix(compared)) else { return .noMatch }
        guard bytes.count > prefix.count else { return .needMoreData }
        let next = bytes[prefix.count]
        guard next == UInt8(ascii: " ") || next == UInt8(ascii: "?") || next == UInt8(ascii: "/") else { return .noMatch }
        var stream = TDXHTTPStream()
        let events = stream.take(bytes, maxBody: 1 << 20)
        for event in events {
            guard case .message(let message) = event else { return .noMatch }
            if let json = message.json {
                return json[member: "func"] != nil ? .match : .noMatch
            }
            if let length = message.ciphertextLength, length > 0, length % 16 == 0 { return .match }
            return .noMatch
        }
        return stream.broken ? .noMatch : .needMoreData
    }
}
