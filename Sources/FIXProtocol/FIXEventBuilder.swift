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

    static func message(
        _ message: FIXMessage, anomalies: FIXAnomalySet, outer: (FIXFrame, UnsafeRawBufferPointer)?,
        flow: FlowInfo, direction: Direction, time: Timestamp, options: FIXOptions, interest: EventInterest
    ) -> TradingEvent {
        var anomalies = anomalies
        let msgType = message.msgType
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
        let (kind, fields) = interest.tradingEvents
            ? trading(message, msgType: msgType, direction: direction, text: text, anomalies: anomalies)
            : (EventKind.message, [])
        return TradingEvent(
            time: time, flow: flow, direction: direction, protocolName: "fix", kind: kind, fields: fields, record: record
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
        let token = String(decoding: UnsafeRawBufferPointer(rebasing: view[frame.beginStringStart..<(frame.beginStringStart + frame.beginStringLength)]), as: UTF8.self)
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
            top.append(("msg_type", .string(String(decoding: UnsafeRawBufferPointer(rebasing: body[3..<end]), as: UTF8.self))))
        }
        if frame.hasTrailer { top.append(("checksum_valid", .bool(frame.checksumValid))) }
        return TradingEvent(
            time: time, flow: flow, direction: direction, protocolName: "fix", kind: .message, record: .object(top)
        )
    }

    // MARK: - The trading event

    private static func trading(
        _ message: FIXMessage, msgType: String, direction: Direction, text: FIXTextDecoder, anomalies: FIXAnomalySet
    ) -> (EventKind, [(String, FieldValue)]) {
        var fields: [(String, FieldValue)] = [("fix.msg_type", .string(msgType))]
        func add(_ name: String, _ tag: Int) {
            if let value = message.raw(tag) { fields.append((name, .string(text.string(value, tag: tag)))) }
        }
        func addNumber(_ name: String, _ tag: Int) {
            guard let value = message.raw(tag) else { return }
            let string = String(decoding: value, as: UTF8.self)
            if let number = Double(string) { fields.append((name, .double(number))) } else { fields.append((name, .string(string))) }
        }
        add("sender", 49)
        add("target", 56)
        add("sender_sub", 50)
        add("target_sub", 57)
        add("sender_location", 142)
        add("target_location", 143)
        add("on_behalf_of", 115)
        add("on_behalf_of_sub", 116)
        add("on_behalf_of_location", 144)
        add("deliver_to", 128)
        add("deliver_to_sub", 129)
        add("deliver_to_location", 145)
        let hops = message.fields.filter { $0.tag == 628 }.map { FieldValue.string(text.string(message.value(of: $0), tag: 628)) }
        if !hops.isEmpty { fields.append(("hops", .array(hops))) }
        let kind: EventKind
        switch msgType {
        case "A":
            kind = direction == .toServer ? .logon : .logonResult
            add("user_id", 553)
            fields.append(("password_present", .bool(message.field(554) != nil)))
            if let interval = message.int(108) { fields.append(("heartbeat_interval", .uint(UInt64(interval)))) }
            if message.value(141, is: "Y") { fields.append(("reset_seq_num", .bool(true))) }
            if direction == .toClient { fields.append(("result_code", .string("accepted"))) }
        case "5":
            kind = .logout
            add("text", 58)
        case "0":
            kind = .heartbeat
        case "D", "AB", "E":
            kind = .orderNew
            addOrder(message, text: text, into: &fields)
        case "F", "G":
            kind = .orderCancel
            addOrder(message, text: text, into: &fields)
            add("orig_order_id", 41)
        case "8":
            kind = .execution
            addOrder(message, text: text, into: &fields)
            add("exec_type", 150)
            add("order_status", 39)
            addNumber("last_price", 31)
            addNumber("last_quantity", 32)
        case "V":
            kind = .mdSubscribe
            add("md_req_id", 262)
            add("subscription_type", 263)
            let symbols = message.fields.filter { $0.tag == 55 }.map { FieldValue.string(text.string(message.value(of: $0), tag: 55)) }
            fields.append(("instruments", .array(symbols)))
            fields.append(("instrument_count", .uint(UInt64(symbols.count))))
            if let depth = message.int(264) { fields.append(("market_depth", .uint(UInt64(depth)))) }
        case "W", "X":
            kind = .mdQuote
            add("md_req_id", 262)
            add("instrument", 55)
            if let entries = message.int(268) { fields.append(("entry_count", .uint(UInt64(entries)))) }
            addNumber("price", 270)
            addNumber("quantity", 271)
        case "Y":
            kind = .reject
            add("md_req_id", 262)
            add("result_code", 281)
            add("text", 58)
        case "3", "j", "9":
            kind = .reject
            add("ref_seq_num", 45)
            add("ref_msg_type", 372)
            add("result_code", msgType == "3" ? 373 : msgType == "j" ? 380 : 102)
            add("text", 58)
        default:
            kind = .message
        }
        if !anomalies.isEmpty {
            fields.append(("anomalies", .array(anomalies.members.map { .string($0.rawValue) })))
        }
        return (kind, fields)
    }

    /// Side (54) in the shared vocabulary (`buy`, `sell`, ... as CTP's Direction); other values as sent.
    static func sideName(_ value: UnsafeRawBufferPointer) -> String {
        guard value.count == 1 else { return String(decoding: value, as: UTF8.self) }
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
        default: return String(decoding: value, as: UTF8.self)
        }
    }

    private static func addOrder(_ message: FIXMessage, text: FIXTextDecoder, into fields: inout [(String, FieldValue)]) {
        func add(_ name: String, _ tag: Int) {
            if let value = message.raw(tag) { fields.append((name, .string(text.string(value, tag: tag)))) }
        }
        add("account", 1)
        add("client_id", 109)
        add("order_id", 11)
        add("instrument", 55)
        if let side = message.raw(54) { fields.append(("side", .string(FIXEventBuilder.sideName(side)))) }
        for (name, tag) in [("price", 44), ("quantity", 38)] {
            guard let value = message.raw(tag) else { continue }
            let string = String(decoding: value, as: UTF8.self)
            fields.append((name, Double(string).map(FieldValue.double) ?? .string(string)))
        }
        // Parties: each PartyID (448) with the source (447) and role (452) that follow it.
        var parties: [FieldValue] = []
        var current: [(String, FieldValue)] = []
        for field in message.fields {
            switch field.tag {
            case 448:
                if !current.isEmpty { parties.append(.object(current)) }
                current = [("id", .string(text.string(message.value(of: field), tag: 448)))]
            case 447 where !current.isEmpty:
                current.append(("source", .string(String(decoding: message.value(of: field), as: UTF8.self))))
            case 452 where !current.isEmpty:
                current.append(("role", .string(String(decoding: message.value(of: field), as: UTF8.self))))
            default:
                break
            }
        }
        if !current.isEmpty { parties.append(.object(current)) }
        if !parties.isEmpty { fields.append(("parties", .array(parties))) }
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
            ?? FIXTextDecoder.assumed(forBeginString: message.beginString)
    }

    func string(_ bytes: UnsafeRawBufferPointer, tag: Int = 0) -> String {
        Charset.decode(bytes, as: encoding)
    }

    /// The encoding to assume when a message does not say: GBK for STEP (Chinese exchanges write
    /// GBK text without always sending 347), UTF-8 otherwise.
    static func assumed(forBeginString beginString: some StringProtocol) -> TextEncoding {
        beginString.hasPrefix("STEP") ? .gbk : .utf8
    }
}
