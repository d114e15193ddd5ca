import FlowTracking
import PacketCapture
import ProtocolKit

extension JSONWriter {
    /// Writes an event field value: scalars as JSON scalars, objects with their keys in order.
    package mutating func value(_ value: FieldValue) {
        switch value {
        case .string(let text): string(text)
        case .int(let number): int(number)
        case .uint(let number): uint(number)
        case .double(let number): double(number)
        case .bool(let flag): bool(flag)
        case .null: null()
        case .object(let members):
            beginObject()
            for (name, member) in members {
                key(name)
                self.value(member)
            }
            endObject()
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        }
    }

    /// Writes one decoder event as an EVE record: the envelope oriented by the event's direction,
    /// `direction`, the protocol's own record under the protocol's name, and the normalised
    /// `trading` object (`kind` and the shared-vocabulary fields).
    package mutating func eventRecord(_ event: TradingEvent, communityID: String?) {
        let source = event.flow.source(event.direction)
        let destination = event.flow.destination(event.direction)
        beginEVERecord(EVEEnvelope(
            timestamp: event.time, eventType: event.protocolName,
            source: source.address, sourcePort: source.port,
            destination: destination.address, destinationPort: destination.port,
            transport: event.flow.transport, flowID: event.flow.id,
            communityID: communityID, appProto: event.protocolName
        ))
        field("direction", event.direction.description)
        if let record = event.record {
            key(event.protocolName)
            value(record)
        }
        key("trading")
        beginObject()
        field("kind", event.kind.rawValue)
        for (name, member) in event.fields {
            key(name)
            value(member)
        }
        endObject()
        endRecord()
    }

    /// Writes a Suricata-style `flow` record for a flow that left the table (client to server).
    package mutating func flowRecord(
        _ flow: FlowInfo, summary: FlowSummary, reason: FlowEndReason, appProto: String?, communityID: String?
    ) {
        beginEVERecord(EVEEnvelope(
            timestamp: summary.lastSeen, eventType: "flow",
            source: flow.client, sourcePort: flow.clientPort,
            destination: flow.server, destinationPort: flow.serverPort,
            transport: flow.transport, flowID: flow.id,
            communityID: communityID, appProto: appProto
        ))
        key("flow")
        beginObject()
        field("pkts_toserver", summary.packets.toServer)
        field("pkts_toclient", summary.packets.toClient)
        field("bytes_toserver", summary.bytes.toServer)
        field("bytes_toclient", summary.bytes.toClient)
        field("start", flow.start)
        field("end", summary.lastSeen)
        field("age", max(0, summary.lastSeen.seconds - flow.start.seconds))
        field("reason", reason.rawValue)
        field("orientation", flow.orientation.rawValue)
        endObject()
        if flow.transport == .tcp {
            key("tcp")
            beginObject()
            let flags = summary.tcpFlags
            key("tcp_flags")
            beforeValue()
            write(upTo: 4) { out in  // two lowercase hex digits, quoted
                out[0] = UInt8(ascii: "\"")
                out[1] = Self.hexDigit(flags.rawValue >> 4)
                out[2] = Self.hexDigit(flags.rawValue & 0x0F)
                out[3] = UInt8(ascii: "\"")
                return 4
            }
            if flags.contains(.syn) { field("syn", true) }
            if flags.contains(.fin) { field("fin", true) }
            if flags.contains(.rst) { field("rst", true) }
            if flags.contains(.psh) { field("psh", true) }
            if flags.contains(.ack) { field("ack", true) }
            field("stream_bytes_toserver", summary.streamBytes.toServer)
            field("stream_bytes_toclient", summary.streamBytes.toClient)
            field("gaps_toserver", summary.gaps.toServer)
            field("gaps_toclient", summary.gaps.toClient)
            endObject()
        }
        endRecord()
    }
}
