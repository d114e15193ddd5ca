import ProtocolKit

/// Which trading events and fields the rules read: computed once from the active rules (their
/// matches, counting, evidence, suppression, earlier-event conditions) and the detectors they
/// name, so that decoders build only that (`EventDemand`).
///
/// An event is needed when some rule or earlier-event condition may select it: its kind and
/// protocol match, and it carries a field the match requires (`RuleEngine.gateFields`). A match
/// requiring no field needs every event of its kinds. The fields needed are every event field
/// those rules and conditions name; connection fields come from the flow and need nothing.
enum RuleDemand {
    /// What one match-and-read unit needs: a rule, or an earlier-event condition.
    private struct Reader {
        var match: EventMatch
        /// Event fields read (every field when `allFields`).
        var fields: EventFieldSet
        var allFields = false
    }

    static func demand(runtimes: [RuleRuntime], memories: [ReferenceMemory], detectors: [DetectorDefinition]) -> EventDemand {
        var readers: [Reader] = []
        for runtime in runtimes {
            let rule = runtime.rule
            var fields = EventFieldSet()
            var refs = rule.match.predicates.flatMap(\.fields)
            refs += rule.aggregate?.groupBy ?? []
            if let distinct = rule.aggregate?.distinct { refs.append(distinct) }
            refs += rule.evidence
            refs += rule.suppress?.by ?? []
            refs += (rule.after + rule.unless).flatMap { $0.same.map(\.current) }
            for field in refs { insert(field, into: &fields) }
            var allFields = false
            if let spec = rule.detector {
                if let reads = detectors.first(where: { $0.name == spec.name })?.reads {
                    for name in reads { fields.insert(EventVocabulary.eventFieldIDs[name] ?? -1) }
                } else {
                    allFields = true
                }
            }
            readers.append(Reader(match: rule.match, fields: fields, allFields: allFields))
        }
        for memory in memories {
            let condition = memory.condition
            var fields = EventFieldSet()
            for field in condition.match.predicates.flatMap(\.fields) + condition.same.map(\.earlier) {
                insert(field, into: &fields)
            }
            readers.append(Reader(match: condition.match, fields: fields))
        }
        return EventDemand { protocolIndex, kindIndex in
            let protocolName = EventVocabulary.protocols[protocolIndex]
            let kind = EventVocabulary.kinds[kindIndex].rawValue
            var plan = FieldPlan.nothing
            for reader in readers {
                if let kinds = reader.match.kinds, !kinds.contains(kind) { continue }
                if let protocols = reader.match.protocols, !protocols.contains(protocolName) { continue }
                if reader.allFields { return .everything }
                plan.fields.formUnion(reader.fields)
                if let gate = RuleEngine.gateFields(reader.match) {
                    for name in gate { plan.triggers.insert(EventVocabulary.eventFieldIDs[name] ?? -1) }
                } else {
                    plan.always = true
                }
            }
            if plan.always { plan.triggers = EventFieldSet() }
            return plan
        }
    }

    private static func insert(_ field: FieldRef, into set: inout EventFieldSet) {
        guard field.connection == nil else { return }
        set.insert(EventVocabulary.eventFieldIDs[field.name] ?? -1)
    }
}

extension RulePredicate {
    /// The fields the predicate reads: its own, another field it compares with, site-list keys.
    var fields: [FieldRef] {
        switch op {
        case .sameAs(let other): [field, other]
        case .site(_, let key): [field] + key
        default: [field]
        }
    }
}
