import FlowTracking
import PacketCapture
import ProtocolKit

/// One test case a rule carries: events in, the alerts expected out.
package struct RuleTest: Sendable {
    /// What the case shows.
    package var name: String
    /// The site registry of the case (nil: none, the defaults).
    package var site: SiteRegistry?
    /// The events, in order.
    package var events: [TestEvent]
    /// How many alerts the rule must raise.
    package var expectedAlerts: Int
    /// The group key values the first alert must have, when given.
    package var expectedGroup: [(String, String)]?
    /// The count the first alert must report, when given.
    package var expectedCount: Int?
    /// Line of the case in the rule file.
    package var line: Int
}

/// A synthetic event of a rule test, expanded `repeat` times (`{n}` in texts becomes 1, 2, ...).
package struct TestEvent: Sendable {
    /// Seconds after the test's start (nil: one second after the previous event).
    package var at: Double?
    /// The event kind.
    package var kind: String
    /// The protocol.
    package var protocolName: String
    /// Which way it travels.
    package var direction: Direction
    /// The client endpoint, `address:port` (may hold `{n}`).
    package var client: String
    /// The server endpoint, `address:port` (may hold `{n}`).
    package var server: String
    /// Fields, by name; text values may hold `{n}`.
    package var fields: [(String, EventVocabulary.ValueType, TestValue)]
    /// How many copies.
    package var repeatCount: Int
    /// Seconds between copies.
    package var every: Double
}

/// A field value of a test event as written.
package enum TestValue: Sendable {
    case scalar(String)
    case list([String])
}

/// Turns test events into trading events with made-up flows.
package enum TestEventFactory {
    /// 2026-01-05 01:00:00 UTC, the packet time of a test's start (a Monday, 09:00 in Shanghai).
    package static let epoch = Timestamp(seconds: 1_767_574_800, nanoseconds: 0)

    /// The trading events of `events`, in time order (copies interleaved by their times; ties keep
    /// the written order).
    package static func expand(_ events: [TestEvent]) throws -> [TradingEvent] {
        var out: [(Int64, Int, TradingEvent)] = []
        var previous: Double = -1
        var flows: [String: FlowInfo] = [:]
        for event in events {
            let start = event.at ?? (previous + 1)
            for copy in 0..<max(1, event.repeatCount) {
                let n = String(copy + 1)
                let seconds = start + Double(copy) * event.every
                previous = seconds
                let time = epoch.adding(nanoseconds: Int64((seconds * 1e9).rounded()))
                let client = try endpoint(event.client.replacing("{n}", with: n))
                let server = try endpoint(event.server.replacing("{n}", with: n))
                let flowKey = "\(client.0)|\(client.1)|\(server.0)|\(server.1)"
                let flow: FlowInfo
                if let known = flows[flowKey] {
                    flow = known
                } else {
                    flow = FlowInfo(
                        client: client.0, clientPort: client.1, server: server.0, serverPort: server.1,
                        transport: .tcp, id: flowID(flowKey), start: time, orientation: .handshake
                    )
                    flows[flowKey] = flow
                }
                var fields: [(String, FieldValue)] = []
                for (name, type, value) in event.fields {
                    fields.append((name, fieldValue(value, type: type, n: n)))
                }
                let trading = TradingEvent(
                    time: time, flow: flow, direction: event.direction, protocolName: event.protocolName,
                    kind: EventKind(rawValue: event.kind), fields: fields
                )
                out.append((time.nanoseconds, out.count, trading))
            }
        }
        return out.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map(\.2)
    }

    private static func fieldValue(_ value: TestValue, type: EventVocabulary.ValueType, n: String) -> FieldValue {
        switch value {
        case .list(let items):
            return .array(items.map { .string($0.replacing("{n}", with: n)) })
        case .scalar(let text):
            let text = text.replacing("{n}", with: n)
            switch type {
            case .number:
                if let integer = Int64(text) { return .int(integer) }
                return Double(text).map(FieldValue.double) ?? .string(text)
            case .bool:
                return .bool(text == "true")
            case .list:
                return .array([.string(text)])
            default:
                return .string(text)
            }
        }
    }

    /// `10.0.0.1:80`, `[2001:db8::1]:80`.
    static func endpoint(_ text: String) throws -> (IPAddress, UInt16) {
        var host = Substring(text)
        var port: UInt16 = 0
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":"), let value = UInt16(rest.dropFirst()) { port = value }
        } else if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
            host = text[..<colon]
            guard let value = UInt16(text[text.index(after: colon)...]) else {
                throw RuleError(.badValue, file: "", line: 0, column: 0, "'\(text)' is not address:port")
            }
            port = value
        }
        guard let address = IPNetwork.parseAddress(String(host)) else {
            throw RuleError(.badValue, file: "", line: 0, column: 0, "'\(text)' is not address:port")
        }
        return (address, port)
    }

    /// A 52-bit id from the flow's text (FNV-1a).
    private static func flowID(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash & ((1 << 52) - 1)
    }
}
