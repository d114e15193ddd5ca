import FlowTracking
import PacketCapture

/// The kind of a trading event; the raw value is the shared vocabulary that rules match on.
@usableFromInline
package struct EventKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    @usableFromInline package var rawValue: String {
        didSet { index = Self.index(of: rawValue) }
    }
    /// Its position in `EventVocabulary.kinds` (-1 for a kind outside the vocabulary), so that
    /// per-kind tables need no string work.
    @usableFromInline package internal(set) var index: Int

    @usableFromInline
    package init(rawValue: String) {
        self.rawValue = rawValue
        index = Self.index(of: rawValue)
    }

    /// The position of the kind named `name` in `EventVocabulary.kinds`.
    private static func index(of name: String) -> Int {
        switch name {
        case "logon": 0
        case "logon_result": 1
        case "authenticate": 2
        case "authenticate_result": 3
        case "relay_client_info": 4
        case "order_new": 5
        case "order_cancel": 6
        case "execution": 7
        case "md_subscribe": 8
        case "md_quote": 9
        case "heartbeat": 10
        case "logout": 11
        case "anomaly": 12
        case "reject": 13
        case "message": 14
        case "trade_channel": 15
        default: -1
        }
    }

    /// Kinds of the vocabulary compare by position, others by name (a name outside the vocabulary
    /// never equals one inside it).
    @inlinable
    package static func == (lhs: EventKind, rhs: EventKind) -> Bool {
        if lhs.index >= 0 || rhs.index >= 0 { return lhs.index == rhs.index }
        return lhs.rawValue == rhs.rawValue
    }
    @usableFromInline package func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    package static let logon = EventKind(rawValue: "logon")
    package static let logonResult = EventKind(rawValue: "logon_result")
    package static let authenticate = EventKind(rawValue: "authenticate")
    package static let authenticateResult = EventKind(rawValue: "authenticate_result")
    package static let relayClientInfo = EventKind(rawValue: "relay_client_info")
    package static let orderNew = EventKind(rawValue: "order_new")
    package static let orderCancel = EventKind(rawValue: "order_cancel")
    package static let execution = EventKind(rawValue: "execution")
    package static let mdSubscribe = EventKind(rawValue: "md_subscribe")
    package static let mdQuote = EventKind(rawValue: "md_quote")
    package static let heartbeat = EventKind(rawValue: "heartbeat")
    package static let logout = EventKind(rawValue: "logout")
    package static let anomaly = EventKind(rawValue: "anomaly")
    /// Traffic on a trading channel that cannot be decoded (TDX's port 7708): its flow only.
    package static let tradeChannel = EventKind(rawValue: "trade_channel")
    /// A session, business or market-data reject.
    package static let reject = EventKind(rawValue: "reject")
    /// A decoded message with no trading meaning of its own (kept for per-message output).
    package static let message = EventKind(rawValue: "message")

    @usableFromInline package var description: String { rawValue }
}

/// A value in an event: scalars, or nested objects and arrays for per-message records.
///
/// Not `indirect`: the nested cases already live in their arrays' storage, and an indirect enum
/// boxes every value on the heap (one allocation, retain and release per field of every event).
@usableFromInline
package enum FieldValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case null
    /// Keys in the order they are written.
    case object([(String, FieldValue)])
    case array([FieldValue])

    @usableFromInline
    package static func == (lhs: FieldValue, rhs: FieldValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.uint(a), .uint(b)): a == b
        case let (.double(a), .double(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case (.null, .null): true
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.array(a), .array(b)): a == b
        default: false
        }
    }
}

/// A fact a decoder states about the traffic: what happened, when, on which flow, with which
/// fields. Decoders never judge; rules read these.
package struct TradingEvent: Sendable {
    /// Packet time of the bytes that completed the message.
    package var time: Timestamp
    /// The flow it travelled on.
    package var flow: FlowInfo
    /// Which way it travelled.
    package var direction: Direction
    /// The decoder's name (`app_proto`).
    package var protocolName: String
    /// What happened.
    package var kind: EventKind
    /// Normalised fields in the shared vocabulary (`account`, `user_id`, `instrument`, ...).
    package var fields: [(String, FieldValue)]
    /// The protocol's own record of the message (written under the protocol's name), if any.
    package var record: FieldValue?
    /// The vocabulary fields among `fields`, when the decoder kept count (`EventFieldBuilder`):
    /// lets the rules tell a field is missing without reading the list. Nil: unknown.
    package var present: EventFieldSet?

    /// An event with every part given.
    package init(
        time: Timestamp, flow: FlowInfo, direction: Direction, protocolName: String, kind: EventKind,
        fields: [(String, FieldValue)] = [], record: FieldValue? = nil
    ) {
        self.time = time
        self.flow = flow
        self.direction = direction
        self.protocolName = protocolName
        self.kind = kind
        self.fields = fields
        self.record = record
    }

    /// An event whose fields an `EventFieldBuilder` built.
    package init(
        time: Timestamp, flow: FlowInfo, direction: Direction, protocolName: String, kind: EventKind,
        built fields: EventFieldBuilder, record: FieldValue? = nil
    ) {
        self.init(time: time, flow: flow, direction: direction, protocolName: protocolName, kind: kind, fields: fields.fields, record: record)
        present = fields.present
    }

    /// The value of field `name`, if present.
    package subscript(field name: String) -> FieldValue? {
        fields.first { $0.0 == name }?.1
    }
}
