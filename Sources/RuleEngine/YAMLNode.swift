import Yams

/// A YAML node with its position, read through accessors that throw `RuleError`s naming the file,
/// line and column: the reading side of the rule and site loaders.
struct YAMLNode {
    /// The Yams node.
    let node: Node
    /// The file it came from (for errors).
    let file: String
    /// Where the enclosing node is, for nodes without a mark of their own.
    let fallback: Mark?

    init(_ node: Node, file: String, fallback: Mark? = nil) {
        self.node = node
        self.file = file
        self.fallback = fallback
    }

    /// Parses every document of `text`.
    static func documents(_ text: String, file: String) throws -> [YAMLNode] {
        do {
            // Not `compose_all`: its sequence ends quietly at a syntax error.
            let parser = try Parser(yaml: text)
            var documents: [YAMLNode] = []
            while let node = try parser.nextRoot() { documents.append(YAMLNode(node, file: file)) }
            return documents
        } catch let error as YamlError {
            throw YAMLNode.error(error, file: file)
        }
    }

    private static func error(_ error: YamlError, file: String) -> RuleError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) \($0.text)" } ?? problem
            return RuleError(.syntax, file: file, line: mark.line, column: mark.column, "YAML: \(detail)")
        case .reader(let problem, _, _, _):
            return RuleError(.syntax, file: file, line: 0, column: 0, "YAML: \(problem)")
        default:
            return RuleError(.syntax, file: file, line: 0, column: 0, "YAML: \(error)")
        }
    }

    var mark: Mark? { node.mark ?? fallback }
    var line: Int { mark?.line ?? 0 }
    var column: Int { mark?.column ?? 0 }

    /// An error at this node.
    func error(_ code: RuleError.Code, _ message: String) -> RuleError {
        RuleError(code, file: file, line: line, column: column, message)
    }

    /// The node's shape in words, for errors.
    var shapeName: String {
        switch node {
        case .scalar: "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }

    var isMapping: Bool { if case .mapping = node { true } else { false } }
    var isSequence: Bool { if case .sequence = node { true } else { false } }
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The pairs of a mapping, in order; throws on duplicate keys and other shapes.
    func mapping(_ what: String) throws -> [(key: String, keyNode: YAMLNode, value: YAMLNode)] {
        guard case .mapping(let mapping) = node else {
            throw error(.shape, "\(what) must be a mapping, not \(shapeName)")
        }
        var seen = Set<String>()
        var pairs: [(key: String, keyNode: YAMLNode, value: YAMLNode)] = []
        for (key, value) in mapping {
            let keyNode = YAMLNode(key, file: file, fallback: mark)
            guard case .scalar(let scalar) = key else { throw keyNode.error(.shape, "keys of \(what) must be scalars") }
            guard seen.insert(scalar.string).inserted else {
                throw keyNode.error(.duplicateKey, "'\(scalar.string)' is given twice in \(what)")
            }
            pairs.append((scalar.string, keyNode, YAMLNode(value, file: file, fallback: key.mark ?? mark)))
        }
        return pairs
    }

    /// A mapping checked against its allowed keys (an unknown key is an error naming the allowed ones).
    func fields(_ what: String, allowed: [String], required: [String] = []) throws -> YAMLFields {
        let pairs = try mapping(what)
        for pair in pairs where !allowed.contains(pair.key) {
            throw pair.keyNode.error(.unknownKey, "unknown key '\(pair.key)' in \(what); allowed: \(allowed.joined(separator: ", "))")
        }
        for key in required where !pairs.contains(where: { $0.key == key }) {
            throw error(.missingKey, "\(what) needs '\(key)'")
        }
        return YAMLFields(owner: self, pairs: pairs)
    }

    /// The elements of a list.
    func sequence(_ what: String) throws -> [YAMLNode] {
        guard case .sequence(let sequence) = node else {
            throw error(.shape, "\(what) must be a list, not \(shapeName)")
        }
        return sequence.map { YAMLNode($0, file: file, fallback: mark) }
    }

    /// A list, or one scalar taken as a list of one.
    func list(_ what: String) throws -> [YAMLNode] {
        if case .scalar = node { return [self] }
        return try sequence(what)
    }

    /// A scalar's text.
    func string(_ what: String) throws -> String {
        guard case .scalar(let scalar) = node else {
            throw error(.shape, "\(what) must be a scalar, not \(shapeName)")
        }
        return scalar.string
    }

    /// A list of scalars (or one scalar).
    func strings(_ what: String) throws -> [String] {
        try list(what).map { try $0.string("an element of \(what)") }
    }

    /// An integer.
    func int(_ what: String) throws -> Int {
        let text = try string(what)
        guard let value = Int(text) else { throw error(.badValue, "\(what) must be an integer, not '\(text)'") }
        return value
    }

    /// A number.
    func double(_ what: String) throws -> Double {
        let text = try string(what)
        guard let value = Double(text), value.isFinite else { throw error(.badValue, "\(what) must be a number, not '\(text)'") }
        return value
    }

    /// `true` or `false`.
    func bool(_ what: String) throws -> Bool {
        switch try string(what) {
        case "true", "True", "TRUE", "yes": return true
        case "false", "False", "FALSE", "no": return false
        case let text: throw error(.badValue, "\(what) must be true or false, not '\(text)'")
        }
    }

    /// A duration (`500ms`, `1s`, `10m`, `1h`, `1d`, or seconds).
    func duration(_ what: String) throws -> RuleDuration {
        let text = try string(what)
        guard let value = RuleDuration(parsing: text) else {
            throw error(.badValue, "\(what) must be a positive duration such as 500ms, 1s, 10m, 1h or 1d, not '\(text)'")
        }
        return value
    }
}

/// The checked pairs of a mapping, looked up by key.
struct YAMLFields {
    let owner: YAMLNode
    let pairs: [(key: String, keyNode: YAMLNode, value: YAMLNode)]

    subscript(key: String) -> YAMLNode? {
        pairs.first { $0.key == key }?.value
    }

    /// The value of `key`, which `fields(...)` checked is present.
    func required(_ key: String) throws -> YAMLNode {
        guard let value = self[key] else { throw owner.error(.missingKey, "missing '\(key)'") }
        return value
    }
}
