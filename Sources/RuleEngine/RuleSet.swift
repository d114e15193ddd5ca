/// Rules read from several sources (built-in packs, files, folders), checked together: ids and
/// names are unique across all of them.
package struct RuleSet: Sendable {
    /// A source of rules: a name for errors and listings, and its YAML text.
    package struct Source: Sendable {
        /// The file path, or `builtin/<pack>.yaml` for a built-in pack.
        package var name: String
        /// The YAML.
        package var text: String

        /// A source with every part given.
        package init(name: String, text: String) {
            self.name = name
            self.text = text
        }
    }

    /// The rules that loaded, in source order.
    package var rules: [Rule] = []
    /// Every problem found, in source order.
    package var errors: [RuleError] = []

    /// No rules.
    package init() {}

    /// Loads `sources` with `loader`.
    package init(sources: [Source], loader: RuleLoader) {
        for source in sources { add(source, loader: loader) }
    }

    /// Adds the rules of `source`; a rule whose id or name is taken is an error.
    package mutating func add(_ source: Source, loader: RuleLoader) {
        let (loaded, problems) = loader.load(source.text, file: source.name)
        errors += problems
        for rule in loaded {
            if let other = rules.first(where: { $0.id == rule.id }) {
                errors.append(RuleError(.duplicateRule, file: rule.file, line: rule.line, column: rule.column, "rule id \(rule.id) is already used by \(other.name) (\(other.file):\(other.line))"))
            } else if let other = rules.first(where: { $0.name == rule.name }) {
                errors.append(RuleError(.duplicateRule, file: rule.file, line: rule.line, column: rule.column, "rule name \(rule.name) is already used by rule \(other.id) (\(other.file):\(other.line))"))
            } else {
                rules.append(rule)
            }
        }
    }

    /// Adds the rule files `path` names (a file, or the `.yaml`/`.yml` files of a folder).
    package mutating func add(path: String, loader: RuleLoader) {
        do {
            for file in try RuleFiles.expand(path) {
                add(Source(name: file, text: try RuleFiles.read(file)), loader: loader)
            }
        } catch let error as RuleError {
            errors.append(error)
        } catch {
            errors.append(RuleError(.unreadable, file: path, line: 0, column: 0, "\(error)"))
        }
    }
}
