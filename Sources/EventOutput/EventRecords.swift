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
    ///
    /// A flow record between two IPv4 addresses, written as a record of its own (not inside an
    /// open object), is formatted in three copies: the text before `app_proto`, the two escaped
    /// strings, and the rest. Field by field (`flowRecordByFields`, the same bytes) it took about
    /// 8,800 instructions, one call per key and value with the nesting kept on the writer's
    /// stack; a run writes one per flow (100,000 on the mixed benchmark capture).
    ///
    /// `communityID` is the flow's digest when the record carries its Community ID (its text is
    /// written straight into the record).
    package mutating func flowRecord(
        _ flow: FlowInfo, summary: FlowSummary, reason: FlowEndReason, appProto: String?, communityID: CommunityIDDigest?
    ) {
        guard depth == 0, !isAfterKey, let client = flow.client.ipv4Value, let server = flow.server.ipv4Value else {
            return flowRecordByFields(flow, summary: summary, reason: reason, appProto: appProto, communityID: communityID?.description)
        }
        var minute = timestampMinute
        // Timestamp 33, flow id and four numbers 20 each, two addresses 17 each, 85 of text.
        write(upTo: 256) { out in
            var at = Self.put("{\"timestamp\":", at: out)
            at += Self.timestampText(summary.lastSeen, minute: &minute, quoted: true, into: out + at)
            at += Self.put(",\"flow_id\":", at: out + at)
            at += Self.decimal(flow.id, into: out + at)
            at += Self.put(",\"event_type\":\"flow\",\"src_ip\":", at: out + at)
            at += Self.ipv4Text(client, into: out + at)
            at += Self.put(",\"src_port\":", at: out + at)
            at += Self.decimal(UInt64(flow.clientPort), into: out + at)
            at += Self.put(",\"dest_ip\":", at: out + at)
            at += Self.ipv4Text(server, into: out + at)
            at += Self.put(",\"dest_port\":", at: out + at)
            at += Self.decimal(UInt64(flow.serverPort), into: out + at)
            at += Self.put(flow.transport == .tcp ? ",\"proto\":\"TCP\"" : ",\"proto\":\"UDP\"", at: out + at)
            return at
        }
        if let appProto {
            appendRaw(",\"app_proto\":")
            appendEscaped(appProto)
        }
        if let communityID {
            // "1:" and base64: nothing to escape.
            write(upTo: 20 + CommunityIDDigest.textLength) { out in
                var at = Self.put(",\"community_id\":\"", at: out)
                at += communityID.text(into: out + at)
                out[at] = UInt8(ascii: "\"")
                return at + 1
            }
        }
        let reasonText = reason.rawValue
        let orientationText = flow.orientation.rawValue
        // Eight numbers 20 each, two timestamps 33 each, the flags 4, 340 of text and the names.
        write(upTo: 640 + reasonText.utf8.count + orientationText.utf8.count) { out in
            var at = 0
            // A count each way: the to-server key and number, then the to-client ones.
            @inline(__always) func both(_ toServer: StaticString, _ toClient: StaticString, _ counts: PerDirection<UInt64>) {
                at += Self.put(toServer, at: out + at)
                at += Self.decimal(counts.toServer, into: out + at)
                at += Self.put(toClient, at: out + at)
                at += Self.decimal(counts.toClient, into: out + at)
            }
            both(",\"flow\":{\"pkts_toserver\":", ",\"pkts_toclient\":", summary.packets)
            both(",\"bytes_toserver\":", ",\"bytes_toclient\":", summary.bytes)
            at += Self.put(",\"start\":", at: out + at)
            at += Self.timestampText(flow.start, minute: &minute, quoted: true, into: out + at)
            at += Self.put(",\"end\":", at: out + at)
            at += Self.timestampText(summary.lastSeen, minute: &minute, quoted: true, into: out + at)
            at += Self.put(",\"age\":", at: out + at)
            at += Self.decimal(UInt64(max(0, summary.lastSeen.seconds - flow.start.seconds)), into: out + at)
            at += Self.put(",\"reason\":", at: out + at)
            at += Self.quoted(plain: reasonText, at: out + at)
            at += Self.put(",\"orientation\":", at: out + at)
            at += Self.quoted(plain: orientationText, at: out + at)
            out[at] = UInt8(ascii: "}")
            at += 1
            if flow.transport == .tcp {
                let flags = summary.tcpFlags
                at += Self.put(",\"tcp\":{\"tcp_flags\":\"", at: out + at)
                out[at] = Self.hexDigit(flags.rawValue >> 4)
                out[at + 1] = Self.hexDigit(flags.rawValue & 0x0F)
                out[at + 2] = UInt8(ascii: "\"")
                at += 3
                if flags.contains(.syn) { at += Self.put(",\"syn\":true", at: out + at) }
                if flags.contains(.fin) { at += Self.put(",\"fin\":true", at: out + at) }
                if flags.contains(.rst) { at += Self.put(",\"rst\":true", at: out + at) }
                if flags.contains(.psh) { at += Self.put(",\"psh\":true", at: out + at) }
                if flags.contains(.ack) { at += Self.put(",\"ack\":true", at: out + at) }
                both(",\"stream_bytes_toserver\":", ",\"stream_bytes_toclient\":", summary.streamBytes)
                both(",\"gaps_toserver\":", ",\"gaps_toclient\":", summary.gaps)
                out[at] = UInt8(ascii: "}")
                at += 1
            }
            out[at] = UInt8(ascii: "}")
            out[at + 1] = UInt8(ascii: "\n")
            return at + 2
        }
        timestampMinute = minute
    }

    /// `flowRecord` written field by field through the writer's nesting: for any addresses, and
    /// inside an open container. The same bytes as `flowRecord` where both apply (a test compares
    /// the two).
    package mutating func flowRecordByFields(
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
