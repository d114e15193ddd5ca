import FlowTracking
import PacketCapture
import ProtocolKit

/// A value as rules see it: decoders' numbers of any width are numbers, addresses are addresses.
package enum RuleValue: Sendable, Hashable {
    case text(String)
    case number(Double)
    case bool(Bool)
    case ip(IPAddress)
    case list([RuleValue])

    /// The value of an event field (nil for objects and nulls, which rules do not compare).
    init?(_ value: FieldValue) {
        switch value {
        case .string(let text): self = .text(text)
        case .int(let number): self = .number(Double(number))
        case .uint(let number): self = .number(Double(number))
        case .double(let number): self = .number(number)
        case .bool(let flag): self = .bool(flag)
        case .array(let elements): self = .list(Self.elements(elements))
        case .object, .null: return nil
        }
    }

    /// The values of a list's elements (objects and nulls left out), in one allocation.
    static func elements(_ elements: [FieldValue]) -> [RuleValue] {
        var values: [RuleValue] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            if let value = RuleValue(element) { values.append(value) }
        }
        return values
    }

    /// The value as text: how group keys, distinct values and evidence show it.
    package var text: String {
        switch self {
        case .text(let text): text
        case .number(let number): RuleValue.format(number)
        case .bool(let flag): flag ? "true" : "false"
        case .ip(let address): address.description
        case .list(let elements): elements.map(\.text).joined(separator: ",")
        }
    }

    /// An address, when the value is one or is text holding one.
    var address: IPAddress? {
        switch self {
        case .ip(let address): address
        case .text(let text): IPNetwork.parseAddress(text)
        default: nil
        }
    }

    /// A number, when the value is one or is text holding one.
    var number: Double? {
        switch self {
        case .number(let number): number
        case .text(let text): Double(text)
        default: nil
        }
    }

    /// Integers without a decimal point; other numbers in Swift's shortest round-trip form.
    package static func format(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 9_007_199_254_740_992 { return String(Int64(number)) }
        return String(number)
    }
}

/// One event as the rules read it: its fields, and the connection fields computed from its flow.
///
/// Rules read the event itself, lent to them (a wrapper holding a copy of it would retain and
/// release each of its strings and arrays every time the rules look at an event).
extension TradingEvent {
    /// The value of `field`, if the event has it.
    package func value(_ field: FieldRef) -> RuleValue? {
        if let connection = field.connection { return value(connection) }
        return eventValue(field.name, id: field.id)
    }

    private func value(_ field: ConnectionField) -> RuleValue {
        // Each end worked out only by the fields that read it (`client_ip`, read per event by
        // most grouped rules, needs neither).
        switch field {
        case .srcIP: return .ip(flow.source(direction).address)
        case .srcPort: return .number(Double(flow.source(direction).port))
        case .destIP: return .ip(flow.destination(direction).address)
        case .destPort: return .number(Double(flow.destination(direction).port))
        case .srcNet24: return .text(IPNetwork.networkText(flow.source(direction).address, v4Prefix: 24, v6Prefix: 64))
        case .srcNet16: return .text(IPNetwork.networkText(flow.source(direction).address, v4Prefix: 16, v6Prefix: 48))
        case .destNet24: return .text(IPNetwork.networkText(flow.destination(direction).address, v4Prefix: 24, v6Prefix: 64))
        case .clientIP: return .ip(flow.client)
        case .clientPort: return .number(Double(flow.clientPort))
        case .serverIP: return .ip(flow.server)
        case .serverPort: return .number(Double(flow.serverPort))
        case .clientNet24: return .text(IPNetwork.networkText(flow.client, v4Prefix: 24, v6Prefix: 64))
        case .clientNet16: return .text(IPNetwork.networkText(flow.client, v4Prefix: 16, v6Prefix: 48))
        case .flowID: return .number(Double(flow.id))
        case .direction: return .text(direction.description)
        case .protocol: return .text(protocolName)
        case .kind: return .text(kind.rawValue)
        }
    }

    /// The value of `field` as group keys, distinct sets and joins compare it: address text of an
    /// address field becomes the address, so that `reported_ip` text equals a `client_ip`.
    package func keyValue(_ field: FieldRef) -> RuleValue? {
        // A connection field's value is in key form already: addresses are addresses, the other
        // connection fields are text that is not an address.
        if let connection = field.connection { return value(connection) }
        return eventValue(field.name, id: field.id).map { Self.keyed($0, field) }
    }

    /// `keyValue(field)`, a list field's value taken from `lists` when the event's list is one
    /// converted before (a terminal polling its watchlist sends the same list each time).
    @inline(__always)
    func keyValue(_ field: FieldRef, lists: RuleListCache) -> RuleValue? {
        if let connection = field.connection { return value(connection) }
        return decoderKeyValue(field, lists: lists)
    }

    /// `keyValue(field, lists:)` for a decoder's field.
    private func decoderKeyValue(_ field: FieldRef, lists: RuleListCache) -> RuleValue? {
        withDecoderField(field.name, id: field.id) { value in
            if case .array(let elements) = value { return lists.value(of: elements) }
            return RuleValue(value).map { Self.keyed($0, field) }
        }
    }

    /// `value` as keys compare it (`keyValue`).
    @inline(__always)
    private static func keyed(_ value: RuleValue, _ field: FieldRef) -> RuleValue {
        // A pattern, not `==`: the type is another module's enum, whose `==` is a generic call.
        if case .ip = field.type, case .text(let text) = value, let address = IPNetwork.parseAddress(text) { return .ip(address) }
        return value
    }

    /// The values of `fields` (nil when any is missing): a group or join key.
    package func key(_ fields: [FieldRef]) -> RuleKey? {
        var key = RuleKey()
        for field in fields {
            guard let value = keyValue(field) else { return nil }
            key.append(value)
        }
        return key
    }

    /// Whether the event has a field named `name`, vocabulary field `id` (-1: outside the
    /// vocabulary); connection fields always exist.
    func has(_ name: String, id: Int) -> Bool {
        withDecoderField(name, id: id) { _ in true } ?? false
    }

    /// Whether the decoder field `name` (vocabulary field `id`) has a value, without building
    /// the value.
    func hasValue(_ name: String, id: Int) -> Bool {
        withDecoderField(name, id: id) { value in
            switch value {
            case .object, .null: false
            default: true
            }
        } ?? false
    }

    /// Whether vocabulary field `id` may be among the fields: false only when the decoder said
    /// which are (`present`) and it is not one of them.
    @inline(__always)
    private func mayHave(_ id: Int) -> Bool {
        guard id >= 0, let present else { return true }
        return present.contains(id)
    }

    /// The decoder's field `name`, vocabulary field `id`.
    private func eventValue(_ name: String, id: Int) -> RuleValue? {
        withDecoderField(name, id: id) { RuleValue($0) }
    }

    /// What `body` makes of the first decoder field named `name` (vocabulary field `id`), nil
    /// when there is none: the one scan of the field list behind every look-up by name (by
    /// index, so that other fields are not copied on the way).
    @inline(__always)
    private func withDecoderField<Result>(_ name: String, id: Int, _ body: (FieldValue) -> Result?) -> Result? {
        guard mayHave(id) else { return nil }
        return fields.withUnsafeBufferPointer { fields in
            for index in fields.indices where fields[index].0.sameName(as: name) { return body(fields[index].1) }
            return nil
        }
    }
}

// MARK: - Evaluation

/// An `EventMatch` as the engine tests it per event. Each predicate is taken apart once into a
/// `Cell` whose parts the test reads in place: tested straight from the rule, a predicate was
/// copied for every test (its field name retained and released), and so was the payload of its
/// operator (a site list's three names, a list of literals) each time it was bound.
final class MatchProgram {
    private let direction: Direction?
    /// The cells, owned by `cells` and read through these references: a cell taken out of an
    /// array to be tested was retained and released, for every predicate of every event.
    private let all: [Unmanaged<Cell>]
    private let any: [[Unmanaged<Cell>]]
    private let none: [[Unmanaged<Cell>]]
    private let cells: [Cell]

    init(_ match: EventMatch) {
        direction = match.direction
        var cells: [Cell] = []
        func program(_ predicates: [RulePredicate]) -> [Unmanaged<Cell>] {
            predicates.map { predicate in
                let cell = Cell(predicate)
                cells.append(cell)
                return Unmanaged.passUnretained(cell)
            }
        }
        all = program(match.all)
        any = match.any.map(program)
        none = match.none.map(program)
        self.cells = cells
    }

    /// Whether `event` is one of the events the match selects, its kind and protocol being among
    /// the match's (the engine files rules and conditions by kind and protocol).
    func matches(_ event: TradingEvent, site: SiteIndex) -> Bool {
        // Raw values, not `!=`: `Direction` is another module's enum, whose `!=` is a generic call.
        if let direction, direction.rawValue != event.direction.rawValue { return false }
        if !Self.allHold(all, event, site: site) { return false }
        if !any.isEmpty && !any.contains(where: { Self.allHold($0, event, site: site) }) { return false }
        if none.contains(where: { Self.allHold($0, event, site: site) }) { return false }
        return true
    }

    @inline(__always)
    private static func allHold(_ cells: [Unmanaged<Cell>], _ event: TradingEvent, site: SiteIndex) -> Bool {
        for cell in cells where !cell._withUnsafeGuaranteedRef({ $0.holds(event, site: site) }) { return false }
        return true
    }

    /// One predicate, its operator's payload in plain stored properties. Every operator but
    /// `exists` needs the field present: a negated operator (`not_in`, `ne`, `not_in_site`...)
    /// holds when the field is present and the test fails.
    private final class Cell {
        private enum Test {
            case exists, sameAs, site, equals, cidr, regex, compare, ipClass
        }

        private let test: Test
        private let field: FieldRef
        private let negated: Bool
        /// `exists`: whether the field must be there.
        private var wanted = true
        /// `eq_field`: the other field.
        private var other: FieldRef?
        /// `in_site`: the list's position among the site's lists, its kind, and its key fields.
        private var list = -1
        private var listKeyArity = 0
        private var listHoldsNetworks = false
        private var listKey: [FieldRef] = []
        private var literals: [RuleLiteral] = []
        private var networks: [IPNetwork] = []
        private var regex: RuleRegex?
        private var comparison = RuleOperator.Comparison.gt
        private var limit = 0.0
        private var classes: Set<IPClass> = []

        init(_ predicate: RulePredicate) {
            field = predicate.field
            negated = predicate.negated
            switch predicate.op {
            case .exists(let wanted):
                test = .exists
                self.wanted = wanted
            case .sameAs(let other):
                test = .sameAs
                self.other = other
            case .site(let list, let key):
                test = .site
                self.list = list.index
                listKeyArity = list.keyArity
                listHoldsNetworks = list.content == .networks
                listKey = key
            case .equals(let literals):
                test = .equals
                self.literals = literals
            case .cidr(let networks):
                test = .cidr
                self.networks = networks
            case .regex(let regex):
                test = .regex
                self.regex = regex
            case .compare(let comparison, let limit):
                test = .compare
                self.comparison = comparison
                self.limit = limit
            case .ipClass(let classes):
                test = .ipClass
                self.classes = classes
            }
        }

        /// Whether the predicate holds for `event`.
        func holds(_ event: TradingEvent, site: SiteIndex) -> Bool {
            // Presence needs no value (connection fields always exist).
            if test == .exists { return (field.connection != nil || event.hasValue(field.name, id: field.id)) == wanted }
            guard let value = event.value(field) else { return false }
            switch test {
            case .sameAs:
                guard let other, let otherValue = event.value(other) else { return false }
                return RulePredicate.same(value, otherValue) != negated
            case .site:
                return inSite(value, event, site: site) != negated
            default:
                return RulePredicate.any(value) { passes($0) } != negated
            }
        }

        /// Whether `value` (or an element of it) is in the site list, under the event's values
        /// of the list's key fields. A keyed list takes at most two key fields (checked when the
        /// rule loads).
        private func inSite(_ value: RuleValue, _ event: TradingEvent, site: SiteIndex) -> Bool {
            var first = ""
            var second = ""
            if listKey.count > 0 {
                guard let value = event.keyValue(listKey[0]) else { return false }
                first = value.text
            }
            if listKey.count > 1 {
                guard let value = event.keyValue(listKey[1]) else { return false }
                second = value.text
            }
            return RulePredicate.any(value) { element in
                if listHoldsNetworks {
                    guard let address = element.address else { return false }
                    return site.contains(address, inList: list, keyArity: listKeyArity, first: first, second: second)
                }
                return site.contains(element.text, inList: list, keyArity: listKeyArity, first: first, second: second)
            }
        }

        /// The operator's test on one value.
        private func passes(_ value: RuleValue) -> Bool {
            switch test {
            case .equals:
                return literals.contains { RulePredicate.equal(value, $0) }
            case .cidr:
                guard let address = value.address else { return false }
                return networks.contains { $0.contains(address) }
            case .regex:
                return regex?.matches(value.text) ?? false
            case .compare:
                guard let number = value.number else { return false }
                switch comparison {
                case .gt: return number > limit
                case .gte: return number >= limit
                case .lt: return number < limit
                case .lte: return number <= limit
                }
            case .ipClass:
                guard let address = value.address else { return false }
                return classes.contains(IPClass(address))
            case .exists, .sameAs, .site:
                return false
            }
        }
    }
}

extension RulePredicate {
    /// Whether `check` holds for the value or, for a list, any element of it.
    fileprivate static func any(_ value: RuleValue, _ check: (RuleValue) -> Bool) -> Bool {
        if case .list(let elements) = value { return elements.contains(where: check) }
        return check(value)
    }

    fileprivate static func equal(_ value: RuleValue, _ literal: RuleLiteral) -> Bool {
        switch value {
        case .text(let text):
            if text == literal.text { return true }
            if let number = literal.number, let parsed = Double(text) { return parsed == number }
            return false
        case .number(let number):
            return literal.number == number
        case .bool(let flag):
            return literal.text == (flag ? "true" : "false")
        case .ip(let address):
            return literal.address == address
        case .list(let elements):
            return elements.contains { equal($0, literal) }
        }
    }

    /// Equality across two fields: numbers as numbers, an address against an address or address
    /// text, everything else as text (so that account "0012" and user "12" differ).
    fileprivate static func same(_ a: RuleValue, _ b: RuleValue) -> Bool {
        switch (a, b) {
        case let (.number(left), .number(right)): return left == right
        case (.ip, _), (_, .ip):
            guard let left = a.address, let right = b.address else { return false }
            return left == right
        default: return a.text == b.text
        }
    }
}

/// The values of a group, suppression or join key. Most keys have one field: that one is held
/// apart so that building the key allocates nothing. The hash is computed once, as values are
/// added (`windowHash` of each), so tables hash a key without reading its text again.
package struct RuleKey: Hashable, Sendable {
    private var head: RuleValue?
    private var tail: [RuleValue] = []
    /// A hash of the values: equal keys have equal hashes.
    private(set) var hash: UInt64 = 0x6a09_e667_f3bc_c908

    /// The empty key.
    package init() {}

    /// Adds a value at the end.
    package mutating func append(_ value: RuleValue) {
        if head == nil { head = value } else { tail.append(value) }
        hash = mix64(hash ^ value.windowHash)
    }

    /// The values in order.
    package var values: [RuleValue] {
        guard let head else { return [] }
        return [head] + tail
    }

    /// The values as text, for ordering keys deterministically.
    var text: String { values.map(\.text).joined(separator: "\u{1F}") }

    package static func == (lhs: RuleKey, rhs: RuleKey) -> Bool {
        // Most keys are one value: two empty tails are equal without comparing (and retaining) them.
        lhs.hash == rhs.hash && lhs.head == rhs.head && (lhs.tail.isEmpty ? rhs.tail.isEmpty : lhs.tail == rhs.tail)
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }
}

/// The rule values of the lists events carried lately, by the storage of the event's list: a
/// decoder that hands out the same list again (the TDX request memo, for a watchlist polled over
/// and over) has it converted once, and the rules' distinct windows then see the very list they
/// saw last time, which they compare by identity. Each entry holds the event's list, so its
/// storage cannot be freed and reused by another list while the entry stands. One per engine
/// (one thread); bounded: `slots` entries of lists up to `longest` elements.
final class RuleListCache {
    static let slots = 64
    static let longest = 1024
    private var sources: [[FieldValue]]
    private var values: [RuleValue]

    init() {
        sources = Array(repeating: [], count: Self.slots)
        values = Array(repeating: .list([]), count: Self.slots)
    }

    /// `RuleValue(.array(elements))`, converted once per list storage.
    func value(of elements: [FieldValue]) -> RuleValue {
        let count = elements.count
        guard count > 0, count <= Self.longest else { return .list(RuleValue.elements(elements)) }
        let address = elements.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let slot = Int(truncatingIfNeeded: mix64(UInt64(address)) % UInt64(Self.slots))
        let held = sources[slot].withUnsafeBufferPointer { ($0.count, UInt(bitPattern: $0.baseAddress)) }
        if held == (count, address) { return values[slot] }
        let value = RuleValue.list(RuleValue.elements(elements))
        sources[slot] = elements
        values[slot] = value
        return value
    }
}
