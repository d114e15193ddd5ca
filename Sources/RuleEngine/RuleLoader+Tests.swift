import FlowTracking
import ProtocolKit

/// Reading a rule's `tests`: cases of synthetic events and the alerts expected.
extension RuleLoader {
    /// One case of `rule` (events default to the rule's first protocol).
    func test(_ node: YAMLNode, rule: Rule) throws -> RuleTest {
        let fields = try node.fields("a test", allowed: ["name", "site", "events", "expect"], required: ["events", "expect"])
        let expect = try fields.required("expect").fields("expect", allowed: ["alerts", "group", "count"], required: ["alerts"])
        let alertsNode = try expect.required("alerts")
        let alerts = try alertsNode.int("expect.alerts")
        guard alerts >= 0 else { throw alertsNode.error(.badValue, "expect.alerts must not be negative") }
        var group: [(String, String)]?
        if let groupNode = expect["group"] {
            group = try groupNode.mapping("expect.group").map { ($0.key, try $0.value.string($0.key)) }
        }
        let defaultProtocol = rule.match.protocols?.sorted().first ?? "fix"
        return RuleTest(
            name: try fields["name"]?.string("name") ?? "case at line \(node.line)",
            site: try fields["site"].map { try SiteRegistry(node: $0) },
            events: try fields.required("events").sequence("events").map { try testEvent($0, defaultProtocol: defaultProtocol) },
            expectedAlerts: alerts, expectedGroup: group, expectedCount: try expect["count"]?.int("expect.count"),
            line: node.line
        )
    }

    private func testEvent(_ node: YAMLNode, defaultProtocol: String) throws -> TestEvent {
        let fields = try node.fields(
            "a test event", allowed: ["at", "kind", "protocol", "direction", "client", "server", "fields", "repeat", "every"],
            required: ["kind"]
        )
        let kindNode = try fields.required("kind")
        let kind = try kindNode.string("kind")
        guard EventVocabulary.kinds.contains(where: { $0.rawValue == kind }) else {
            throw kindNode.error(.badValue, "unknown event kind '\(kind)'")
        }
        let protocolName = try fields["protocol"]?.string("protocol") ?? defaultProtocol
        var direction = Direction.toServer
        if let node = fields["direction"] {
            switch try node.string("direction") {
            case "to_server": direction = .toServer
            case "to_client": direction = .toClient
            case let text: throw node.error(.badValue, "direction must be to_server or to_client, not '\(text)'")
            }
        }
        var values: [(String, EventVocabulary.ValueType, TestValue)] = []
        if let map = fields["fields"] {
            for (name, keyNode, value) in try map.mapping("fields") {
                let field = try fieldRef(named: name, at: keyNode)
                guard field.connection == nil else {
                    throw keyNode.error(.badValue, "'\(name)' comes from the flow: set client, server or direction instead")
                }
                values.append((name, field.type, value.isSequence ? .list(try value.strings(name)) : .scalar(try value.string(name))))
            }
        }
        let client = try fields["client"]?.string("client") ?? "198.51.100.10:50000"
        let server = try fields["server"]?.string("server") ?? "10.8.0.1:41205"
        for (text, node) in [(client, fields["client"]), (server, fields["server"])] {
            do {
                _ = try TestEventFactory.endpoint(text.replacing("{n}", with: "1"))
            } catch {
                throw (node ?? node ?? fields.owner).error(.badValue, "'\(text)' is not address:port")
            }
        }
        let repeatCount = try fields["repeat"]?.int("repeat") ?? 1
        guard repeatCount >= 1, repeatCount <= 100_000 else {
            throw (fields["repeat"] ?? node).error(.badValue, "repeat must be 1 to 100000")
        }
        return TestEvent(
            at: try fields["at"]?.double("at"), kind: kind, protocolName: protocolName, direction: direction,
            client: client, server: server, fields: values, repeatCount: repeatCount,
            every: try fields["every"]?.duration("every").seconds ?? 1
        )
    }
}
