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
    static func index(of name: String) -> Int {
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

    /// A kind of the vocabulary with its position known (the constants below).
    @inlinable
    init(vocabulary name: String, index: Int) {
        rawValue = name
        self.index = index
    }

    // The vocabulary's kinds, made in place rather than kept in `static let`s: decoders name a
    // kind per event, and a stored static is read through its lazy-initialisation check
    // (`swift_once`) at every use. Their positions are those of `index(of:)` (a test checks).
    @inlinable package static var logon: EventKind { EventKind(vocabulary: "logon", index: 0) }
    @inlinable package static var logonResult: EventKind { EventKind(vocabulary: "logon_result", index: 1) }
    @inlinable package static var authenticate: EventKind { EventKind(vocabulary: "authenticate", index: 2) }
    @inlinable package static var authenticateResult: EventKind { EventKind(vocabulary: "authenticate_result", index: 3) }
    @inlinable package static var relayClientInfo: EventKind { EventKind(vocabulary: "relay_client_info", index: 4) }
    @inlinable package static var orderNew: EventKind { EventKind(vocabulary: "order_new", index: 5) }
    @inlinable package static var orderCancel: EventKind { EventKind(vocabulary: "order_cancel", index: 6) }
    @inlinable package static var execution: EventKind { EventKind(vocabulary: "execution", index: 7) }
    @inlinable package static var mdSubscribe: EventKind { EventKind(vocabulary: "md_subscribe", index: 8) }
    @inlinable package static var mdQuote: EventKind { EventKind(vocabulary: "md_quote", index: 9) }
    @inlinable package static var heartbeat: EventKind { EventKind(vocabulary: "heartbeat", index: 10) }
    @inlinable package static var logout: EventKind { EventKind(vocabulary: "logout", index: 11) }
    @inlinable package static var anomaly: EventKind { EventKind(vocabulary: "anomaly", index: 12) }
    /// Traffic on a trading channel that cannot be decoded (TDX's port 7708): its flow only.
    @inlinable package static var tradeChannel: EventKind { EventKind(vocabulary: "trade_channel", index: 15) }
    /// A session, business or market-data reject.
    @inlinable package static var reject: EventKind { EventKind(vocabulary: "reject", index: 13) }
    /// A decoded message with no trading meaning of its own (kept for per-message output).
    @inlinable package static var message: EventKind { EventKind(vocabulary: "message", index: 14) }

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

extension String {
    /// `==` with the lengths compared first, for looking fields up by name: names are mostly told
    /// apart by their length (read from the string itself), while `==` on two strings that do
    /// not share storage (a rule's name and a decoder's literal) goes through the runtime's
    /// comparison.
    @inlinable @inline(__always)
    package func sameName(as other: String) -> Bool {
        utf8.count == other.utf8.count && self == other
    }
}
