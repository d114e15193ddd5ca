import FlowTracking
import ProtocolKit

/// Reads rule files: YAML holding a list of rules, a mapping with `rules:` (and optionally
/// `pack:` and `description:`), or one rule. Every problem is a `RuleError` with the file, line
/// and column; a file with problems yields the rules that had none and the list of problems.
package struct RuleLoader: Sendable {
    /// The stateful detectors rules may name.
    package var detectors: [DetectorDefinition]

    /// A loader that knows `detectors`.
    package init(detectors: [DetectorDefinition] = []) {
        self.detectors = detectors
    }

    /// The keys a rule may have.
    package static let ruleKeys = [
        "id", "name", "title", "category", "severity", "description", "status", "references", "false_positives", "tags",
        "requires_site", "only_without_site", "match", "aggregate", "after", "unless", "suppress", "evidence", "detector",
        "tests",
    ]

    /// The operators a field may have in `where`.
    package static let operators = [
        "eq", "ne", "in", "not_in", "cidr", "not_cidr", "regex", "not_regex", "gt", "gte", "lt", "lte", "exists",
        "in_site", "not_in_site", "key", "eq_field", "ne_field", "ip_class", "not_ip_class",
    ]

    /// The rules of `text` (`file` names it in errors) and the problems found.
    package func load(_ text: String, file: String) -> (rules: [Rule], errors: [RuleError]) {
        let documents: [YAMLNode]
        do {
            documents = try YAMLNode.documents(text, file: file)
        } catch let error as RuleError {
            return ([], [error])
        } catch {
            return ([], [RuleError(.syntax, file: file, line: 0, column: 0, "\(error)")])
        }
        var rules: [Rule] = []
        var errors: [RuleError] = []
        for document in documents {
            let entries: [YAMLNode]
            do {
                entries = try ruleNodes(document)
            } catch let error as RuleError {
                errors.append(error)
                continue
            } catch {
                continue
            }
            for entry in entries {
                do {
                    rules.append(try rule(entry))
                } catch let error as RuleError {
                    errors.append(error)
                } catch {
                    errors.append(entry.error(.badValue, "\(error)"))
                }
            }
        }
        return (rules, errors)
    }

    private func ruleNodes(_ document: YAMLNode) throws -> [YAMLNode] {
        if document.isNull { return [] }
        if document.isSequence { return try document.sequence("a rule file") }
        let pairs = try document.mapping("a rule file")
        if pairs.contains(where: { $0.key == "id" }) { return [document] }
        let fields = try document.fields("a rule pack", allowed: ["pack", "description", "rules"], required: ["rules"])
        return try fields.required("rules").sequence("rules")
    }

    // MARK: - A rule

    private func rule(_ node: YAMLNode) throws -> Rule {
        let fields = try node.fields(
            "a rule", allowed: Self.ruleKeys, required: ["id", "name", "category", "severity", "description"]
        )
        let idNode = try fields.required("id")
        let id = try idNode.int("id")
        guard id > 0 else { throw idNode.error(.badValue, "id must be a positive integer") }
        let nameNode = try fields.required("name")
        let name = try nameNode.string("name")
        guard Self.isDottedName(name) else {
            throw nameNode.error(.badValue, "name must be dotted lower-case words (api_resale.appid_shared), not '\(name)'")
        }
        let categoryNode = try fields.required("category")
        let categoryText = try categoryNode.string("category")
        guard let category = RuleCategory(rawValue: categoryText) else {
            throw categoryNode.error(.badValue, "category must be one of \(RuleCategory.allCases.map(\.rawValue).joined(separator: ", ")), not '\(categoryText)'")
        }
        let severityNode = try fields.required("severity")
        let severityText = try severityNode.string("severity")
        guard let severity = RuleSeverity(rawValue: severityText) else {
            throw severityNode.error(.badValue, "severity must be low, medium or high, not '\(severityText)'")
        }
        if let status = fields["status"] {
            let text = try status.string("status")
            guard ["experimental", "test", "stable"].contains(text) else {
                throw status.error(.badValue, "status must be experimental, test or stable, not '\(text)'")
            }
        }
        _ = try fields["tags"]?.strings("tags")
        var rule = Rule(
            id: id, name: name, title: try fields["title"]?.string("title"), category: category, severity: severity,
            description: try fields.required("description").string("description").trimmingWhitespace(),
            match: EventMatch(), file: node.file, line: node.line
        )
        rule.column = node.column
        rule.references = try fields["references"]?.strings("references") ?? []
        rule.falsePositives = try fields["false_positives"]?.strings("false_positives") ?? []
        rule.requiresSite = try siteKeys(fields["requires_site"], "requires_site")
        rule.onlyWithoutSite = try siteKeys(fields["only_without_site"], "only_without_site")
        if let detector = fields["detector"] {
            rule.detector = try detectorSpec(detector)
            if let match = fields["match"] { rule.match = try eventMatch(match, "match") }
        } else {
            rule.match = try eventMatch(try fields.required("match"), "match")
        }
        if let aggregate = fields["aggregate"] {
            if rule.detector != nil { throw aggregate.error(.badValue, "a rule with a detector has no aggregate (the detector counts)") }
            rule.aggregate = try self.aggregate(aggregate)
        }
        rule.after = try fields["after"].map { try references($0, "after") } ?? []
        rule.unless = try fields["unless"].map { try references($0, "unless") } ?? []
        if let suppress = fields["suppress"] {
            let spec = try suppress.fields("suppress", allowed: ["by", "for"], required: ["for"])
            let by = try spec["by"].map { try fieldRefs($0, "suppress.by") } ?? rule.aggregate?.groupBy ?? []
            rule.suppress = RuleSuppression(by: by, duration: try spec.required("for").duration("suppress.for"))
        } else if let aggregate = rule.aggregate {
            // Crossed once, then quiet for the window (or the occurrence window).
            rule.suppress = RuleSuppression(by: aggregate.groupBy, duration: aggregate.occurrences?.window ?? aggregate.window)
        }
        rule.evidence = try fields["evidence"].map { try fieldRefs($0, "evidence") } ?? []
        guard let tests = fields["tests"] else {
            throw node.error(.missingTests, "rule \(id) (\(name)) has no tests: every rule carries test cases (events in, alerts expected)")
        }
        rule.tests = try tests.sequence("tests").map { try test($0, rule: rule) }
        if rule.tests.isEmpty {
            throw tests.error(.missingTests, "rule \(id) (\(name)) has an empty tests list")
        }
        return rule
    }

    static func isDottedName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts.allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
        }
    }

    private func siteKeys(_ node: YAMLNode?, _ what: String) throws -> [String] {
        guard let node else { return [] }
        return try node.list(what).map { element in
            let key = try element.string("an element of \(what)")
            guard SiteRegistry.keys.contains(key) else {
                throw element.error(.unknownSiteList, "unknown site key '\(key)' in \(what); known: \(SiteRegistry.keys.joined(separator: ", "))")
            }
            return key
        }
    }

    // MARK: - Fields

    /// The field named by `node`, checked against the vocabulary.
    func fieldRef(_ node: YAMLNode, _ what: String) throws -> FieldRef {
        try fieldRef(named: try node.string(what), at: node)
    }

    func fieldRef(named name: String, at node: YAMLNode) throws -> FieldRef {
        guard let field = EventVocabulary.fieldsByName[name] else {
            throw node.error(.unknownField, "unknown field '\(name)'\(Self.suggestion(for: name)) (the names are listed by `tapsentry rules fields`)")
        }
        return FieldRef(name: name, type: field.type, connection: ConnectionField(rawValue: name))
    }

    private func fieldRefs(_ node: YAMLNode, _ what: String) throws -> [FieldRef] {
        try node.list(what).map { try fieldRef($0, "an element of \(what)") }
    }

    /// ", did you mean 'x'?" for a name one or two edits from a known one.
    static func suggestion(for name: String) -> String {
        let candidates = EventVocabulary.fieldsByName.keys.sorted()
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(Array(name.utf8), Array(candidate.utf8))
            if distance <= 2, best == nil || distance < best!.1 { best = (candidate, distance) }
        }
        return best.map { ", did you mean '\($0.0)'?" } ?? ""
    }

    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    // MARK: - Match

    func eventMatch(_ node: YAMLNode, _ what: String) throws -> EventMatch {
        let fields = try node.fields(what, allowed: ["kind", "protocol", "direction", "where", "any", "not"])
        return try eventMatch(fields, what)
    }

    private func eventMatch(_ fields: YAMLFields, _ what: String) throws -> EventMatch {
        var match = EventMatch()
        if let kinds = fields["kind"] {
            match.kinds = Set(try kinds.list("kind").map { element in
                let kind = try element.string("kind")
                guard EventVocabulary.kinds.contains(where: { $0.rawValue == kind }) else {
                    throw element.error(.badValue, "unknown event kind '\(kind)'; known: \(EventVocabulary.kinds.map(\.rawValue).joined(separator: ", "))")
                }
                return kind
            })
        }
        if let protocols = fields["protocol"] {
            match.protocols = Set(try protocols.list("protocol").map { element in
                let name = try element.string("protocol")
                guard EventVocabulary.protocols.contains(name) else {
                    throw element.error(.badValue, "unknown protocol '\(name)'; known: \(EventVocabulary.protocols.joined(separator: ", "))")
                }
                return name
            })
        }
        if let direction = fields["direction"] {
            switch try direction.string("direction") {
            case "to_server": match.direction = .toServer
            case "to_client": match.direction = .toClient
            case let text: throw direction.error(.badValue, "direction must be to_server or to_client, not '\(text)'")
            }
        }
        if let conditions = fields["where"] { match.all = try predicates(conditions, "\(what).where") }
        if let alternatives = fields["any"] {
            match.any = try alternatives.sequence("\(what).any").map { try predicates($0, "an element of \(what).any") }
        }
        if let exclusions = fields["not"] {
            match.none = exclusions.isSequence
                ? try exclusions.sequence("\(what).not").map { try predicates($0, "an element of \(what).not") }
                : [try predicates(exclusions, "\(what).not")]
        }
        return match
    }

    /// The predicates of a `where` mapping: field → operators (or a scalar for `eq`, a list for `in`).
    private func predicates(_ node: YAMLNode, _ what: String) throws -> [RulePredicate] {
        var out: [RulePredicate] = []
        for (name, keyNode, value) in try node.mapping(what) {
            let field = try fieldRef(named: name, at: keyNode)
            if value.isMapping {
                let operators = try value.fields("the operators of '\(name)'", allowed: Self.operators)
                let key = try operators["key"].map { try fieldRefs($0, "key") }
                var usedKey = false
                for (op, opNode, operand) in operators.pairs where op != "key" {
                    let predicate = try self.predicate(field, op, operand, at: opNode, key: key)
                    if case .site = predicate.op { usedKey = true }
                    out.append(predicate)
                }
                if key != nil && !usedKey, let keyNode = operators.pairs.first(where: { $0.key == "key" })?.keyNode {
                    throw keyNode.error(.badValue, "'key' only goes with in_site / not_in_site")
                }
            } else if value.isSequence {
                out.append(try predicate(field, "in", value, at: keyNode, key: nil))
            } else {
                out.append(try predicate(field, "eq", value, at: keyNode, key: nil))
            }
        }
        return out
    }

    private func predicate(_ field: FieldRef, _ op: String, _ operand: YAMLNode, at opNode: YAMLNode, key: [FieldRef]?) throws -> RulePredicate {
        let negated = op.hasPrefix("not_") || op == "ne" || op == "ne_field"
        func require(_ types: [EventVocabulary.ValueType], _ what: String) throws {
            guard types.contains(field.type) else {
                throw opNode.error(.typeMismatch, "'\(op)' needs \(what), and '\(field.name)' is \(field.type.rawValue)")
            }
        }
        if field.type == .object && op != "exists" {
            throw opNode.error(.typeMismatch, "'\(field.name)' holds objects: only 'exists' applies to it")
        }
        let result: RuleOperator
        switch op {
        case "eq", "ne", "in", "not_in":
            let literals = try (op == "eq" || op == "ne" ? [operand] : operand.list(op)).map { RuleLiteral(try $0.string("the value of \(op)")) }
            if field.type == .bool {
                for literal in literals where literal.text != "true" && literal.text != "false" {
                    throw operand.error(.typeMismatch, "'\(field.name)' is true or false, not '\(literal.text)'")
                }
            }
            result = .equals(literals)
        case "cidr", "not_cidr":
            try require([.ip], "an address field")
            result = .cidr(try operand.list(op).map { element in
                let text = try element.string("a network")
                guard let network = IPNetwork(parsing: text) else {
                    throw element.error(.badValue, "'\(text)' is not an IP address or CIDR network")
                }
                return network
            })
        case "regex", "not_regex":
            try require([.string, .ip, .list, .number], "a text field")
            let pattern = try operand.string("a regular expression")
            do {
                result = .regex(try RuleRegex(pattern))
            } catch {
                throw operand.error(.badValue, "bad regular expression '\(pattern)': \(error)")
            }
        case "gt", "gte", "lt", "lte":
            try require([.number], "a number field")
            result = .compare(RuleOperator.Comparison(rawValue: op) ?? .gt, try operand.double(op))
        case "exists":
            result = .exists(try operand.bool("exists"))
        case "in_site", "not_in_site":
            let listName = try operand.string(op)
            guard let list = SiteList.named(listName) else {
                throw operand.error(.unknownSiteList, "unknown site list '\(listName)'; known: \(SiteList.all.map(\.name).joined(separator: ", "))")
            }
            let keyFields = key ?? []
            guard keyFields.count == list.keyArity else {
                let needed = list.keyArity == 0 ? "takes no key" : "needs key: [\(list.keyArity) field\(list.keyArity == 1 ? "" : "s")]"
                throw operand.error(.unknownSiteList, "site list '\(listName)' \(needed)")
            }
            if list.content == .networks {
                try require([.ip], "an address field (\(listName) holds networks)")
            } else {
                try require([.string, .list, .number], "a text field (\(listName) holds names)")
            }
            result = .site(list, key: keyFields)
        case "eq_field", "ne_field":
            result = .sameAs(try fieldRef(operand, op))
        case "ip_class", "not_ip_class":
            try require([.ip], "an address field")
            result = .ipClass(Set(try operand.list(op).map { element in
                let text = try element.string("an address class")
                guard let value = IPClass(rawValue: text) else {
                    throw element.error(.badValue, "unknown address class '\(text)'; known: \(IPClass.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return value
            }))
        default:
            throw opNode.error(.unknownKey, "unknown operator '\(op)'")
        }
        if case .exists = result { return RulePredicate(field: field, op: result, negated: false) }
        return RulePredicate(field: field, op: result, negated: negated)
    }

    // MARK: - Aggregate, references, detector

    private func aggregate(_ node: YAMLNode) throws -> RuleAggregate {
        let fields = try node.fields(
            "aggregate", allowed: ["group_by", "count", "distinct", "threshold", "window", "occurrences"],
            required: ["threshold", "window"]
        )
        let groupBy = try fields["group_by"].map { try fieldRefs($0, "group_by") } ?? []
        var distinct: FieldRef?
        if let field = fields["distinct"] {
            distinct = try fieldRef(field, "distinct")
            if let count = fields["count"], try count.bool("count") {
                throw count.error(.badValue, "give either count: true or distinct: FIELD, not both")
            }
        }
        let thresholdNode = try fields.required("threshold")
        let threshold = try thresholdNode.int("threshold")
        guard threshold >= 1, threshold <= 1_000_000 else { throw thresholdNode.error(.badValue, "threshold must be 1 to 1000000") }
        var aggregate = RuleAggregate(
            groupBy: groupBy, distinct: distinct, threshold: threshold, window: try fields.required("window").duration("window")
        )
        if let occurrences = fields["occurrences"] {
            let spec = try occurrences.fields("occurrences", allowed: ["threshold", "window"], required: ["threshold", "window"])
            let countNode = try spec.required("threshold")
            let count = try countNode.int("occurrences.threshold")
            guard count >= 1, count <= 100_000 else { throw countNode.error(.badValue, "occurrences.threshold must be 1 to 100000") }
            let window = try spec.required("window").duration("occurrences.window")
            guard window >= aggregate.window else {
                throw occurrences.error(.badValue, "occurrences.window must be at least the aggregate window")
            }
            aggregate.occurrences = (count, window)
        }
        return aggregate
    }

    private func references(_ node: YAMLNode, _ what: String) throws -> [ReferenceCondition] {
        let entries = node.isSequence ? try node.sequence(what) : [node]
        return try entries.map { entry in
            let fields = try entry.fields(
                "a condition of \(what)", allowed: ["kind", "protocol", "direction", "where", "any", "not", "same", "within"],
                required: ["same"]
            )
            let match = try eventMatch(fields, what)
            let sameNode = try fields.required("same")
            var same: [(current: FieldRef, earlier: FieldRef)] = []
            if sameNode.isMapping {
                for (name, keyNode, value) in try sameNode.mapping("same") {
                    same.append((try fieldRef(named: name, at: keyNode), try fieldRef(value, "same")))
                }
            } else {
                for field in try fieldRefs(sameNode, "same") { same.append((field, field)) }
            }
            guard !same.isEmpty else { throw sameNode.error(.badValue, "same needs at least one field") }
            return ReferenceCondition(match: match, same: same, within: try fields["within"]?.duration("within"))
        }
    }

    private func detectorSpec(_ node: YAMLNode) throws -> DetectorSpec {
        let pairs = try node.mapping("detector")
        guard let nameNode = pairs.first(where: { $0.key == "name" })?.value else {
            throw node.error(.missingKey, "detector needs 'name'")
        }
        let name = try nameNode.string("detector.name")
        guard let definition = detectors.first(where: { $0.name == name }) else {
            let known = detectors.map(\.name).joined(separator: ", ")
            throw nameNode.error(.detector, "unknown detector '\(name)'\(known.isEmpty ? "" : "; known: \(known)")")
        }
        var parameters: [String: DetectorParameter] = [:]
        for (key, keyNode, value) in pairs where key != "name" {
            guard let parameter = definition.parameters.first(where: { $0.name == key }) else {
                throw keyNode.error(.unknownKey, "detector '\(name)' has no parameter '\(key)'; it has: \(definition.parameters.map(\.name).joined(separator: ", "))")
            }
            switch parameter.kind {
            case .int: parameters[key] = .int(try value.int(key))
            case .number: parameters[key] = .number(try value.double(key))
            case .duration: parameters[key] = .duration(try value.duration(key))
            case .string: parameters[key] = .string(try value.string(key))
            }
        }
        for parameter in definition.parameters where parameters[parameter.name] == nil {
            guard let value = parameter.defaultValue else {
                throw node.error(.missingKey, "detector '\(name)' needs '\(parameter.name)'")
            }
            parameters[parameter.name] = value
        }
        return DetectorSpec(name: name, parameters: parameters)
    }
}

extension String {
    /// The text without leading and trailing spaces and newlines (YAML folded blocks end in one).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
