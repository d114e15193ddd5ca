import FlowTracking
import PacketCapture
import ProtocolKit
import RuleEngine

extension JSONWriter {
    /// Writes an alert as an EVE record: the envelope of the event that completed the evidence
    /// (oriented by its direction, like Suricata's alert on a packet), `direction`, `alert`
    /// (`action`, `gid`, `signature_id`, `rev`, `signature`, `category`, `severity`,
    /// `severity_name`, `rule`) and `evidence` (`group`, `count`, `threshold`, `window`, `distinct`,
    /// `occurrence`, `first_time`, `last_time`, `flow_ids`, `flow_count`, `fields`, `notes`).
    package mutating func alertRecord(_ alert: Alert, communityID: String?) {
        let source = alert.flow.source(alert.direction)
        let destination = alert.flow.destination(alert.direction)
        beginEVERecord(EVEEnvelope(
            timestamp: alert.time, eventType: "alert",
            source: source.address, sourcePort: source.port,
            destination: destination.address, destinationPort: destination.port,
            transport: alert.flow.transport, flowID: alert.flow.id,
            communityID: communityID, appProto: alert.protocolName
        ))
        field("direction", alert.direction.description)
        key("alert")
        beginObject()
        field("action", "allowed")
        field("gid", 1)
        field("signature_id", alert.ruleID)
        field("rev", 1)
        field("signature", alert.signature)
        field("category", alert.category.rawValue)
        field("severity", alert.severity.suricataLevel)
        field("severity_name", alert.severity.rawValue)
        field("rule", alert.ruleName)
        endObject()

        let evidence = alert.evidence
        key("evidence")
        beginObject()
        if !evidence.group.isEmpty {
            key("group")
            beginObject()
            for (name, value) in evidence.group {
                key(name)
                string(value)
            }
            endObject()
        }
        field("count", evidence.count)
        if let threshold = evidence.threshold { field("threshold", threshold) }
        if let window = evidence.window { field("window", window.description) }
        if let distinct = evidence.distinct {
            key("distinct")
            beginObject()
            field("field", distinct.field)
            field("count", distinct.total)
            key("values")
            beginArray()
            for value in distinct.values { string(value) }
            endArray()
            endObject()
        }
        if let occurrence = evidence.occurrence {
            key("occurrence")
            beginObject()
            field("threshold", occurrence.threshold)
            field("window", occurrence.window.description)
            endObject()
        }
        field("first_time", evidence.firstTime)
        field("last_time", evidence.lastTime)
        key("flow_ids")
        beginArray()
        for id in evidence.flows { uint(id) }
        endArray()
        field("flow_count", evidence.flowCount)
        if !evidence.fields.isEmpty {
            key("fields")
            beginObject()
            for entry in evidence.fields {
                key(entry.name)
                beginArray()
                for value in entry.values { string(value) }
                endArray()
                if entry.more {
                    key(entry.name + "_truncated")
                    bool(true)
                }
            }
            endObject()
        }
        for (name, note) in evidence.notes {
            key(name)
            value(note)
        }
        endObject()
        endRecord()
    }
}
