/// A set of event fields by number (`EventField.id`: their position in
/// `EventVocabulary.eventFields`): a few machine words, so that "is this field wanted?" is a bit
/// test on the hot path.
@usableFromInline
package struct EventFieldSet: Sendable, Equatable {
    @usableFromInline var low: UInt64 = 0
    @usableFromInline var middle: UInt64 = 0
    @usableFromInline var high: UInt64 = 0

    /// The most fields a set holds.
    package static let capacity = 192

    /// The empty set.
    @inlinable
    package init() {}

    /// Every field (computed, as `FieldPlan.everything` below: a stored static is read through
    /// a `swift_once` check at every use).
    @inlinable
    package static var all: EventFieldSet {
        var set = EventFieldSet()
        set.low = .max
        set.middle = .max
        set.high = .max
        return set
    }

    /// Whether the set holds field `id` (a negative id, a name outside the vocabulary, never).
    @inlinable @inline(__always)
    package func contains(_ id: Int) -> Bool {
        switch id {
        case 0..<64: low & (1 << UInt64(id)) != 0
        case 64..<128: middle & (1 << UInt64(id - 64)) != 0
        case 128..<192: high & (1 << UInt64(id - 128)) != 0
        default: false
        }
    }

    /// Adds field `id` (ignored when out of range).
    @inlinable
    package mutating func insert(_ id: Int) {
        switch id {
        case 0..<64: low |= 1 << UInt64(id)
        case 64..<128: middle |= 1 << UInt64(id - 64)
        case 128..<192: high |= 1 << UInt64(id - 128)
        default: break
        }
    }

    /// Adds every field of `other`.
    package mutating func formUnion(_ other: EventFieldSet) {
        low |= other.low
        middle |= other.middle
        high |= other.high
    }

    /// Whether no field is in the set.
    @inlinable package var isEmpty: Bool { low == 0 && middle == 0 && high == 0 }

    /// How many fields are in the set.
    @inlinable package var count: Int { low.nonzeroBitCount + middle.nonzeroBitCount + high.nonzeroBitCount }
}

/// An event field as decoders write it: its dotted name, and its number in the vocabulary
/// (nil when the vocabulary does not list it: no rule can read such a field). Decoders keep these
/// as constants, so that asking whether a field is wanted costs no string work.
@usableFromInline
package struct EventField: Sendable {
    /// The dotted name (the same in decoders, rules and the JSON output).
    @usableFromInline package let name: String
    /// Its position in `EventVocabulary.eventFields` (-1 outside the vocabulary).
    @usableFromInline package let id: Int

    /// The field named `name`.
    package init(_ name: String) {
        self.name = name
        id = EventVocabulary.eventFieldIDs[name] ?? -1
    }
}

/// What the consumers of one kind of event from one protocol read: which fields, and whether
/// they need every such event or only those carrying one of some fields (a rule that matches any
/// kind but needs an `anomalies` field, for example, needs no event without one).
@usableFromInline
package struct FieldPlan: Sendable, Equatable {
    /// The fields read (every field when `unrestricted`).
    @usableFromInline package var fields: EventFieldSet
    /// Whether every event of the kind is needed.
    @usableFromInline package var always: Bool
    /// Otherwise, the fields of which an event must carry at least one to be needed.
    @usableFromInline package var triggers: EventFieldSet
    /// Whether everything is built: per-message output, or a consumer that did not say what it reads.
    @usableFromInline package var unrestricted: Bool

    /// Every field of every event.
    @inlinable package static var everything: FieldPlan {
        FieldPlan(fields: .all, always: true, triggers: EventFieldSet(), unrestricted: true)
    }
    /// Nothing: no consumer reads this kind.
    package static let nothing = FieldPlan(fields: EventFieldSet(), always: false, triggers: EventFieldSet(), unrestricted: false)

    /// A plan with every part given.
    @inlinable
    package init(fields: EventFieldSet, always: Bool, triggers: EventFieldSet, unrestricted: Bool = false) {
        self.fields = fields
        self.always = always
        self.triggers = triggers
        self.unrestricted = unrestricted
    }

    /// Whether field `field` is to be built.
    @inlinable @inline(__always)
    package func wants(_ field: EventField) -> Bool { unrestricted || fields.contains(field.id) }

    /// Whether no event of the kind can be needed, whatever it carries.
    @inlinable @inline(__always)
    package var skipsKind: Bool { !unrestricted && !always && triggers.isEmpty }

    /// Whether an event of the kind is needed only when it carries one of `fields` (every
    /// trigger is among them): then a decoder that can tell cheaply that a message carries none
    /// of them need not build its event.
    @inlinable @inline(__always)
    package func needsOnlyWith(anyOf fields: EventFieldSet) -> Bool {
        !unrestricted && !always && triggers.isSubset(of: fields)
    }

    /// Whether an event carrying the fields `present` is needed.
    @inlinable @inline(__always)
    package func needs(present: EventFieldSet) -> Bool {
        unrestricted || always || present.intersects(triggers)
    }
}

extension EventFieldSet {
    /// `anomaly` and `anomalies`: a decoded message's event carries `anomalies` exactly when the
    /// message has some, and never `anomaly` (a field of anomaly events). A decoder that can tell
    /// a message has none leaves out the events needed only with them (`FieldPlan.needsOnlyWith`).
    package static let anomalyFields: EventFieldSet = {
        var fields = EventFieldSet()
        fields.insert(EventField("anomaly").id)
        fields.insert(EventField("anomalies").id)
        return fields
    }()

    /// Whether every field of the set is in `other`.
    @inlinable @inline(__always)
    package func isSubset(of other: EventFieldSet) -> Bool {
        low & ~other.low == 0 && middle & ~other.middle == 0 && high & ~other.high == 0
    }

    /// Whether the two sets share a field.
    @inlinable @inline(__always)
    package func intersects(_ other: EventFieldSet) -> Bool {
        low & other.low != 0 || middle & other.middle != 0 || high & other.high != 0
    }
}

/// What the consumers of trading events read, per protocol and event kind (computed once per run
/// from the active rules and detectors), so that decoders build only that when no per-message
/// output is written. Kinds and protocols outside the vocabulary get everything.
@usableFromInline
package final class EventDemand: Sendable {
    @usableFromInline let plans: [FieldPlan]
    @usableFromInline let kindCount = EventVocabulary.kinds.count

    /// A demand from one plan per (protocol, kind): `plan(protocolIndex, kindIndex)` for the
    /// indices of `EventVocabulary.protocols` and `EventVocabulary.kinds`.
    package init(_ plan: (_ protocolIndex: Int, _ kindIndex: Int) -> FieldPlan) {
        var plans: [FieldPlan] = []
        for protocolIndex in EventVocabulary.protocols.indices {
            for kindIndex in EventVocabulary.kinds.indices { plans.append(plan(protocolIndex, kindIndex)) }
        }
        self.plans = plans
    }

    /// The plan for events of `kind` from the protocol at `protocolIndex` of `EventVocabulary.protocols`.
    @inlinable @inline(__always)
    package func plan(protocolIndex: Int, kind: EventKind) -> FieldPlan {
        // A protocol outside the vocabulary lands past the table (every kind index is below
        // `kindCount`).
        let kindIndex = kind.index
        let at = protocolIndex &* kindCount &+ kindIndex
        guard kindIndex >= 0, protocolIndex >= 0, at < plans.count else { return .everything }
        return plans[at]
    }
}

extension EventInterest {
    /// What to build for an event of `kind` from the protocol at `protocolIndex` of
    /// `EventVocabulary.protocols`: everything with per-message records or without a demand.
    @inlinable @inline(__always)
    package func plan(protocolIndex: Int, kind: EventKind) -> FieldPlan {
        guard !records, let demand = demandReference else { return .everything }
        return demand._withUnsafeGuaranteedRef { $0.plan(protocolIndex: protocolIndex, kind: kind) }
    }
}

/// Builds the fields of one trading event under a plan: fields nobody reads are not built (their
/// values are computed only when wanted), and the event remembers whether it carries a field
/// that makes it needed.
///
/// Inlinable (with the types it uses `@usableFromInline`: see `PerDirection`), since the decoders
/// in other modules add every field through it.
@usableFromInline
package struct EventFieldBuilder {
    /// The fields built, in order.
    @usableFromInline package var fields: [(String, FieldValue)]
    /// What to build.
    @usableFromInline package let plan: FieldPlan
    /// The vocabulary fields built.
    @usableFromInline package internal(set) var present = EventFieldSet()
    /// The room reserved for `fields` at the first field: the most the plan can build (capped), so
    /// that an event's field list is one allocation rather than a chain of regrowths.
    @usableFromInline let room: Int

    /// An empty builder under `plan` (nothing is allocated until a field is added).
    @inlinable @inline(__always)
    package init(plan: FieldPlan) {
        self.plan = plan
        fields = []
        room = plan.unrestricted ? 16 : min(plan.fields.count, 16)
    }

    /// Whether `field` is to be built.
    @inlinable @inline(__always)
    package func wants(_ field: EventField) -> Bool { plan.wants(field) }

    /// Adds `field` with `value` when it is wanted and the value is not nil (`value` is not
    /// computed otherwise).
    @inlinable @inline(__always)
    package mutating func add(_ field: EventField, _ value: @autoclosure () -> FieldValue?) {
        guard plan.wants(field), let value = value() else { return }
        if fields.capacity == 0 { fields.reserveCapacity(room) }
        fields.append((field.name, value))
        present.insert(field.id)
    }

    /// Whether the event built is needed by anyone.
    @inlinable @inline(__always)
    package var needed: Bool { plan.needs(present: present) }
}
