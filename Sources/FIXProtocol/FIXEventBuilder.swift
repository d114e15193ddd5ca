import ProtocolKit

/// Turns a decoded message into the output: the `fix` record (the message's own fields) and the
/// normalised `trading` event in the shared vocabulary. Built only when someone wants it.
enum FIXEventBuilder {
    /// Tags whose values are secrets: redacted unless `--show-secrets`.
    static func isSecret(_ tag: Int, msgType: String) -> Bool {
        switch tag {
        case 554, 925, 1402, 1404: true  // Password, NewPassword, EncryptedPassword, EncryptedNewPassword
        case 95, 96: msgType == "A"  // RawData in Logon carries credentials on many venues
        case 90, 91: true  // SecureData
        default: false
        }
    }

    /// The event of `message`; nil when the interest's demand needs none (nobody reads it).
    static func message(
        _ message: FIXMessage, anomalies: FIXAnomalySet, outer: (FIXFrame, UnsafeRawBufferPointer)?,
        flow: FlowInfo, direction: Direction, time: Timestamp, options: FIXOptions, interest: EventInterest
    ) -> TradingEvent? {
        var anomalies = anomalies
        let msgType = message.msgType
        var kind = EventKind.message
        var plan = FieldPlan.everything
        if interest.tradingEvents {
            kind = Self.kind(msgType: msgType, direction: direction)
            plan = interest.plan(protocolIndex: protocolIndex, kind: kind)
            if plan.skipsKind { return nil }
            if !Self.mayBeNeeded(message, under: plan, anomalies: anomalies) { return nil }
        }
        let text = FIXTextDecoder(message: message)
        let dictionary = options.dictionary
        var record: FieldValue?
        if interest.records {
            var top: [(String, FieldValue)] = [
                ("begin_string", .string(message.beginString)),
                ("body_length", .uint(UInt64(message.frame.bodyLength))),
                ("msg_type", .string(msgType)),
            ]
            if let name = dictionary.messageName(of: msgType) { top.append(("msg_type_name", .string(name))) }
            if let sequence = message.int(34) { top.append(("msg_seq_num", .uint(UInt64(sequence)))) }
            if let sender = message.raw(49) { top.append(("sender_comp_id", .string(text.string(sender)))) }
            if let target = message.raw(56) { top.append(("target_comp_id", .string(text.string(target)))) }
            if message.value(43, is: "Y") { top.append(("poss_dup", .bool(true))) }
            top.append(("checksum_valid", .bool(message.frame.checksumValid)))
            top.append(("body_length_valid", .bool(message.frame.bodyLengthValid)))
            if let (outerFrame, _) = outer {
                top.append(("envelope", .string("FIXCOMP")))
                top.append(("compressed_length", .uint(UInt64(outerFrame.bodyLength))))
            }
            var body: [(String, FieldValue)]
            let flat = message.fields.filter { $0.tag != 8 && $0.tag != 9 && $0.tag != 10 }
            if dictionary.hasGroups {
                // With a dictionary, repeating groups nest: NoMDEntries: [{MDEntryType, ...}, ...].
                var groupAnomalies: [FIXAnomaly] = []
                let tree = FIXGroups.tree(flat, bytes: message.bytes, msgType: msgType, dictionary: dictionary, anomalies: &groupAnomalies)
                for found in groupAnomalies { anomalies.insert(found) }
                body = object(tree, message: message, msgType: msgType, text: text, options: options)
            } else {
                body = object(flat.map(FIXNode.field), message: message, msgType: msgType, text: text, options: options)
            }
            top.append(("fields", .object(body)))
            if !anomalies.isEmpty {
                top.append(("anomalies", .array(anomalies.members.map { .string($0.rawValue) })))
            }
            record = .object(top)
        }
        var fields = EventFieldBuilder(plan: plan)
        if interest.tradingEvents {
            trading(message, msgType: msgType, kind: kind, text: text, anomalies: anomalies, into: &fields)
            guard fields.needed else { return nil }
        }
        return TradingEvent(
            time: time, flow: flow, direction: direction, protocolName: "fix", kind: kind, built: fields, record: record
        )
    }

    /// The fields of `nodes` as an object keyed by field name (the tag number when the dictionary
    /// has no name); a repeated tag becomes a list, a group a list of entry objects.
    private static func object(
        _ nodes: [FIXNode], message: FIXMessage, msgType: String, text: FIXTextDecoder, options: FIXOptions
    ) -> [(String, FieldValue)] {
        var body: [(String, FieldValue)] = []
        for node in nodes {
            let name: String
            let value: FieldValue
            switch node {
            case .field(let field):
                name = options.dictionary.name(of: field.tag) ?? String(field.tag)
                value = isSecret(field.tag, msgType: msgType) && !options.showSecrets
                    ? .string("<redacted>")
                    : .string(text.string(message.value(of: field), tag: field.tag))
            case .group(let countTag, _, let entries):
                name = options.dictionary.name(of: countTag) ?? String(countTag)
                value = .array(entries.map { .object(object($0, message: message, msgType: msgType, text: text, options: options)) })
            }
            if let existing = body.lastIndex(where: { $0.0 == name }) {
                // A repeated tag (a group read without its layout) becomes a list.
                if case .array(var values) = body[existing].1, case .field = node {
                    values.append(value)
                    body[existing].1 = .array(values)
                } else {
                    body[existing].1 = .array([body[existing].1, value])
                }
            } else {
                body.append((name, value))
            }
        }
        return body
    }

    static func proprietary(
        _ view: UnsafeRawBufferPointer, _ frame: FIXFrame, flow: FlowInfo, direction: Direction, time: Timestamp
    ) -> TradingEvent {
        let token = String(utf8Bytes: UnsafeRawBufferPointer(rebasing: view[frame.beginStringStart..<(frame.beginStringStart + frame.beginStringLength)]))
        var top: [(String, FieldValue)] = [
            ("begin_string", .string(token)),
            ("body_length", .uint(UInt64(frame.bodyLength))),
            ("envelope", .string("proprietary")),
        ]
        // Such bodies often still start with a MsgType field before their binary part.
        let body = UnsafeRawBufferPointer(rebasing: view[frame.bodyStart..<frame.end])
        if body.count > 4, body[0] == UInt8(ascii: "3"), body[1] == UInt8(ascii: "5"), body[2] == UInt8(ascii: "="),
            let end = FIXFraming.nextSOH(body, from: 3), end - 3 <= 8
        {
            top.append(("msg_type", .string(String(utf8Bytes: UnsafeRawBufferPointer(rebasing: body[3..<end])))))
        }
        if frame.hasTrailer { top.append(("checksum_valid", .bool(frame.checksumValid))) }
        return TradingEvent(
            time: time, flow: flow, direction: direction, protocolName: "fix", kind: .message, record: .object(top)
        )
    }

    // MARK: - The trading event

    /// The index of "fix" in `EventVocabulary.protocols`, for `EventInterest.plan`.
    static let protocolIndex = EventVocabulary.protocols.firstIndex(of: "fix") ?? -1

    /// The kind of a message of type `msgType` travelling `direction`.
    static func kind(msgType: String, direction: Direction) -> EventKind {
        // The commonest first: a switch on a string compares case by case.
        switch msgType {
        case "8": .execution
        case "D", "AB", "E": .orderNew
        case "0": .heartbeat
        case "W", "X": .mdQuote
        case "F", "G": .orderCancel
        case "A": direction == .toServer ? .logon : .logonResult
        case "5": .logout
        case "V": .mdSubscribe
        case "Y", "3", "j", "9": .reject
        default: .message
        }
    }

    /// Whether the event of `message` can be needed under `plan`, told without building it: false
    /// only when the plan needs an event of the kind only if it carries one of its triggers, every
    /// trigger is a field this test knows, and the message carries none of them. Most FIX traffic
    /// is execution reports, which the built-in rules read only when they carry an anomaly or a
    /// routing header (OnBehalfOf, DeliverTo): building one costs far more than this test.
    static func mayBeNeeded(_ message: FIXMessage, under plan: FieldPlan, anomalies: FIXAnomalySet) -> Bool {
        let known = Trigger.shared
        guard plan.needsOnlyWith(anyOf: known.fields) else { return true }
        if !anomalies.isEmpty && plan.triggers.contains(known.anomalies) { return true }
        // Each tag asked about looked for (most are absent, which the message's tag set tells
        // without a scan). `anomaly` is a field of anomaly events only, never of a message's
        // trading event.
        return known.ids.withUnsafeBufferPointer { ids in
            known.tags.withUnsafeBufferPointer { tags in
                for index in tags.indices where plan.triggers.contains(ids[index]) && message.field(tags[index]) != nil {
                    return true
                }
                return false
            }
        }
    }

    /// The fields `mayBeNeeded` can tell are present without building the event: those
    /// `trading` copies from one header tag whatever the kind (present exactly when the tag is),
    /// `anomalies` (present exactly when the message has some) and `anomaly` (never present).
    private final class Trigger: Sendable {
        static let shared = Trigger()
        /// The ids of the fields copied from a tag, in the order of `tags`.
        let ids: [Int]
        let anomalies: Int
        let fields: EventFieldSet

        /// The tags the fields are copied from, in the order of `ids`.
        let tags = [49, 56, 50, 57, 142, 143, 115, 116, 144, 128, 129, 145, 628]

        private init() {
            let field = Field.shared
            ids = [
                field.sender, field.target, field.senderSub, field.targetSub, field.senderLocation, field.targetLocation,
                field.onBehalfOf, field.onBehalfOfSub, field.onBehalfOfLocation, field.deliverTo, field.deliverToSub,
                field.deliverToLocation, field.hops,
            ].map(\.id)
            anomalies = field.anomalies.id
            var fields = EventFieldSet.anomalyFields
            for id in ids { fields.insert(id) }
            self.fields = fields
        }
    }

    /// The event fields (names of the shared vocabulary) the builder writes: one object, fetched
    /// once per message (a `static let` per field cost a `swift_once` call at every use).
    final class Field: Sendable {
        /// The one instance.
        static let shared = Field()
        private init() {}

        let msgType = EventField("fix.msg_type")
        let sender = EventField("sender")
        let target = EventField("target")
        let senderSub = EventField("sender_sub")
        let targetSub = EventField("target_sub")
        let senderLocation = EventField("sender_location")
        let targetLocation = EventField("target_location")
        let onBehalfOf = EventField("on_behalf_of")
        let onBehalfOfSub = EventField("on_behalf_of_sub")
        let onBehalfOfLocation = EventField("on_behalf_of_location")
        let deliverTo = EventField("deliver_to")
        let deliverToSub = EventField("deliver_to_sub")
        let deliverToLocation = EventField("deliver_to_location")
        let hops = EventField("hops")
        let userID = EventField("user_id")
        let passwordPresent = EventField("password_present")
        let heartbeatInterval = EventField("heartbeat_interval")
        let resetSeqNum = EventField("reset_seq_num")
        let resultCode = EventField("result_code")
        let text = EventField("text")
        let origOrderID = EventField("orig_order_id")
        let execType = EventField("exec_type")
        let orderStatus = EventField("order_status")
        let lastPrice = EventField("last_price")
        let lastQuantity = EventField("last_quantity")
        let mdReqID = EventField("md_req_id")
        let subscriptionType = EventField("subscription_type")
        let instruments = EventField("instruments")
        let instrumentCount = EventField("instrument_count")
        let marketDepth = EventField("market_depth")
        let instrument = EventField("instrument")
        let entryCount = EventField("entry_count")
        let price = EventField("price")
        let quantity = EventField("quantity")
        let refSeqNum = EventField("ref_seq_num")
        let refMsgType = EventField("ref_msg_type")
        let anomalies = EventField("anomalies")
        let account = EventField("account")
        let clientID = EventField("client_id")
        let orderID = EventField("order_id")
        let side = EventField("side")
        let parties = EventField("parties")
    }

    /// The fields of the trading event of `message` (of `kind`) that `fields.plan` asks for.
    private static func trading(
        _ message: FIXMessage, msgType: String, kind: EventKind, text: FIXTextDecoder, anomalies: FIXAnomalySet,
        into fields: inout EventFieldBuilder
    ) {
        let field = Field.shared
        func add(_ field: EventField, _ tag: Int) {
            fields.add(field, message.raw(tag).map { .string(text.string($0, tag: tag)) })
        }
        func addNumber(_ field: EventField, _ tag: Int) {
            fields.add(field, message.raw(tag).map { value in
                let string = String(utf8Bytes: value)
                return Double(string).map(FieldValue.double) ?? .string(string)
            })
        }
        fields.add(field.msgType, .string(msgType))
        add(field.sender, 49)
        add(field.target, 56)
        add(field.senderSub, 50)
        add(field.targetSub, 57)
        add(field.senderLocation, 142)
        add(field.targetLocation, 143)
        add(field.onBehalfOf, 115)
        add(field.onBehalfOfSub, 116)
        add(field.onBehalfOfLocation, 144)
        add(field.deliverTo, 128)
        add(field.deliverToSub, 129)
        add(field.deliverToLocation, 145)
        if fields.wants(field.hops) {
            let hops = message.fields.filter { $0.tag == 628 }.map { FieldValue.string(text.string(message.value(of: $0), tag: 628)) }
            if !hops.isEmpty { fields.add(field.hops, .array(hops)) }
        }
        // By kind (`kind(msgType:direction:)` of this message), not by comparing the MsgType again.
        switch kind {
        case .logon, .logonResult:
            add(field.userID, 553)
            fields.add(field.passwordPresent, .bool(message.field(554) != nil))
            fields.add(field.heartbeatInterval, message.int(108).map { .uint(UInt64($0)) })
            if message.value(141, is: "Y") { fields.add(field.resetSeqNum, .bool(true)) }
            if kind == .logonResult { fields.add(field.resultCode, .string("accepted")) }
        case .logout:
            add(field.text, 58)
        case .orderNew:
            addOrder(message, text: text, into: &fields)
        case .orderCancel:
            addOrder(message, text: text, into: &fields)
            add(field.origOrderID, 41)
        case .execution:
            addOrder(message, text: text, into: &fields)
            add(field.execType, 150)
            add(field.orderStatus, 39)
            addNumber(field.lastPrice, 31)
            addNumber(field.lastQuantity, 32)
        case .mdSubscribe:
            add(field.mdReqID, 262)
            add(field.subscriptionType, 263)
            if fields.wants(field.instruments) || fields.wants(field.instrumentCount) {
                let symbols = message.fields.filter { $0.tag == 55 }.map { FieldValue.string(text.string(message.value(of: $0), tag: 55)) }
                fields.add(field.instruments, .array(symbols))
                fields.add(field.instrumentCount, .uint(UInt64(symbols.count)))
            }
            fields.add(field.marketDepth, message.int(264).map { .uint(UInt64($0)) })
        case .mdQuote:
            add(field.mdReqID, 262)
            add(field.instrument, 55)
            fields.add(field.entryCount, message.int(268).map { .uint(UInt64($0)) })
            addNumber(field.price, 270)
            addNumber(field.quantity, 271)
        case .reject where msgType == "Y":
            add(field.mdReqID, 262)
            add(field.resultCode, 281)
            add(field.text, 58)
        case .reject:
            add(field.refSeqNum, 45)
            add(field.refMsgType, 372)
            add(field.resultCode, msgType == "3" ? 373 : msgType == "j" ? 380 : 102)
            add(field.text, 58)
        default:
            break
        }
        if !anomalies.isEmpty {
            fields.add(field.anomalies, .array(anomalies.members.map { .string($0.rawValue) }))
        }
    }

    /// Side (54) in the shared vocabulary (`buy`, `sell`, ... as CTP's Direction); other values as sent.
    static func sideName(_ value: UnsafeRawBufferPointer) -> String {
        guard value.count == 1 else { return String(utf8Bytes: value) }
        switch value[0] {
        case UInt8(ascii: "1"): return "buy"
        case UInt8(ascii: "2"): return "sell"
        case UInt8(ascii: "3"): return "buy_minus"
        case UInt8(ascii: "4"): return "sell_plus"
        case UInt8(ascii: "5"): return "sell_short"
        case UInt8(ascii: "6"): return "sell_short_exempt"
        case UInt8(ascii: "7"): return "undisclosed"
        case UInt8(ascii: "8"): return "cross"
        case UInt8(ascii: "9"): return "cross_short"
        default: return String(utf8Bytes: value)
        }
    }

    private static func addOrder(_ message: FIXMessage, text: FIXTextDecoder, into fields: inout EventFieldBuilder) {
        let field = Field.shared
        func add(_ field: EventField, _ tag: Int) {
            fields.add(field, message.raw(tag).map { .string(text.string($0, tag: tag)) })
        }
        add(field.account, 1)
        add(field.clientID, 109)
        add(field.orderID, 11)
        add(field.instrument, 55)
        fields.add(field.side, message.raw(54).map { .string(FIXEventBuilder.sideName($0)) })
        func addNumber(_ wanted: EventField, _ tag: Int) {
            // `fields.plan`, not `fields.wants`: a method call on the captured builder copies it.
            guard fields.plan.wants(wanted), let value = message.raw(tag) else { return }
            let string = String(utf8Bytes: value)
            fields.add(wanted, Double(string).map(FieldValue.double) ?? .string(string))
        }
        addNumber(field.price, 44)
        addNumber(field.quantity, 38)
        guard fields.wants(field.parties) else { return }
        // Parties: each PartyID (448) with the source (447) and role (452) that follow it.
        var parties: [FieldValue] = []
        var current: [(String, FieldValue)] = []
        for field in message.fields {
            switch field.tag {
            case 448:
                if !current.isEmpty { parties.append(.object(current)) }
                current = [("id", .string(text.string(message.value(of: field), tag: 448)))]
            case 447 where !current.isEmpty:
                current.append(("source", .string(String(utf8Bytes: message.value(of: field)))))
            case 452 where !current.isEmpty:
                current.append(("role", .string(String(utf8Bytes: message.value(of: field)))))
            default:
                break
            }
        }
        if !current.isEmpty { parties.append(.object(current)) }
        if !parties.isEmpty { fields.add(field.parties, .array(parties)) }
    }
}

/// Text decoding for one message. MessageEncoding (347), when given, decodes every text field —
/// the Encoded* fields it is defined for, and the plain fields that Chinese STEP and FIXT gateways
/// fill with GBK as well; without it STEP decodes as GBK and everything else as UTF-8. Invalid
/// bytes become U+FFFD; the output is always valid UTF-8.
struct FIXTextDecoder {
    let encoding: TextEncoding

    init(message: FIXMessage) {
        encoding = message.ascii(347).flatMap { TextEncoding(name: $0) }
            ?? FIXTextDecoder.assumed(forBeginString: message.beginStringBytes)
    }

    func string(_ bytes: UnsafeRawBufferPointer, tag: Int = 0) -> String {
        Charset.decode(bytes, as: encoding)
    }

    /// The encoding to assume when a message does not say: GBK for STEP (Chinese exchanges write
    /// GBK text without always sending 347), UTF-8 otherwise. Read from the BeginString's bytes,
    /// so that no string is built per message.
    static func assumed(forBeginString bytes: some Sequence<UInt8>) -> TextEncoding {
        bytes.starts(with: "STEP".utf8) ? .gbk : .utf8
    }
}
