import PacketCapture

/// The flow fields every flow-bound EVE record starts with (Suricata's common header).
package struct EVEEnvelope: Sendable, Hashable {
    /// Packet time of the event.
    package var timestamp: Timestamp
    /// The EVE `event_type` (`alert`, `flow`, `fix`, ...).
    package var eventType: String
    /// Source address (the flow's client side for flow-level records).
    package var source: IPAddress
    /// Source port.
    package var sourcePort: UInt16
    /// Destination address.
    package var destination: IPAddress
    /// Destination port.
    package var destinationPort: UInt16
    /// TCP or UDP; written as `proto`.
    package var transport: TransportProtocol
    /// The flow id (`flow_id`), the same for every record of one flow.
    package var flowID: UInt64
    /// The Community ID (`community_id`), when enabled.
    package var communityID: String?
    /// The application protocol (`app_proto`), once detected.
    package var appProto: String?

    /// An envelope with all fields given.
    package init(
        timestamp: Timestamp, eventType: String, source: IPAddress, sourcePort: UInt16,
        destination: IPAddress, destinationPort: UInt16, transport: TransportProtocol, flowID: UInt64,
        communityID: String? = nil, appProto: String? = nil
    ) {
        self.timestamp = timestamp
        self.eventType = eventType
        self.source = source
        self.sourcePort = sourcePort
        self.destination = destination
        self.destinationPort = destinationPort
        self.transport = transport
        self.flowID = flowID
        self.communityID = communityID
        self.appProto = appProto
    }
}

extension JSONWriter {
    /// Opens a flow-bound EVE record and writes its header, in Suricata's order: `timestamp`,
    /// `flow_id`, `event_type`, `src_ip`, `src_port`, `dest_ip`, `dest_port`, `proto`, then
    /// `app_proto` and `community_id` when present. The record object stays open: add the event's
    /// own fields, then call `endRecord()`.
    package mutating func beginEVERecord(_ envelope: EVEEnvelope) {
        beginObject()
        field("timestamp", envelope.timestamp)
        field("flow_id", envelope.flowID)
        field("event_type", envelope.eventType)
        key("src_ip")
        ipAddress(envelope.source)
        field("src_port", envelope.sourcePort)
        key("dest_ip")
        ipAddress(envelope.destination)
        field("dest_port", envelope.destinationPort)
        key("proto")
        beforeValue()
        appendRaw(envelope.transport == .tcp ? "\"TCP\"" : "\"UDP\"")
        field("app_proto", ifPresent: envelope.appProto)
        field("community_id", ifPresent: envelope.communityID)
    }

    /// Opens a record with no flow (the stats record, for example): `timestamp` and `event_type`.
    /// Add the event's fields, then call `endRecord()`.
    package mutating func beginRecord(timestamp: Timestamp, eventType: String) {
        beginObject()
        field("timestamp", timestamp)
        field("event_type", eventType)
    }

    /// Closes the record (and anything the caller left open, so the line stays valid JSON) and
    /// ends the line with `\n`.
    package mutating func endRecord() {
        while depth > 0 { closeContainer() }
        append(UInt8(ascii: "\n"))
    }

    /// Writes an IP address as a string value: IPv4 digits directly, IPv6 in RFC 5952 form.
    package mutating func ipAddress(_ address: IPAddress) {
        guard let v4 = address.ipv4Value else {
            string(address.description)
            return
        }
        beforeValue()
        // "255.255.255.255" in one copy.
        write(upTo: 17) { out in Self.ipv4Text(v4, into: out) }
    }

    /// Writes IPv4 address `v4` in dotted decimal, quoted, at `out` (at most 17 bytes); returns
    /// how many bytes.
    @inline(__always)
    static func ipv4Text(_ v4: UInt32, into out: UnsafeMutablePointer<UInt8>) -> Int {
        out[0] = UInt8(ascii: "\"")
        var at = 1
        for shift in stride(from: 24, through: 0, by: -8) {
            at += decimal(UInt64((v4 >> UInt32(shift)) & 0xFF), into: out + at)
            out[at] = shift > 0 ? UInt8(ascii: ".") : UInt8(ascii: "\"")
            at += 1
        }
        return at
    }
}
