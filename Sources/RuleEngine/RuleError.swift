/// A problem with a rule or site file: where it is and what is wrong, printed as
/// `file:line:column: error: message`. Compared by `code`.
package struct RuleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is (stable, for tests and tools).
    package enum Code: String, Sendable {
        /// The file could not be read.
        case unreadable
        /// The text is not YAML.
        case syntax
        /// A node of the wrong shape (a list where a mapping belongs, ...).
        case shape
        /// A required key is missing.
        case missingKey
        /// A key that the schema does not have.
        case unknownKey
        /// A key given twice in one mapping.
        case duplicateKey
        /// A value that is not allowed (bad duration, unknown category, bad CIDR, bad regex...).
        case badValue
        /// A field name that is not in the event vocabulary.
        case unknownField
        /// An operator applied to a field whose type it does not fit.
        case typeMismatch
        /// Two rules with one id or one name.
        case duplicateRule
        /// A site list name that does not exist, or used with the wrong key.
        case unknownSiteList
        /// A rule without test cases.
        case missingTests
        /// A stateful detector that does not exist or a bad parameter of one.
        case detector
    }

    /// The kind of problem.
    package var code: Code
    /// The file (or built-in pack) it is in.
    package var file: String
    /// Line, from 1 (0 when unknown).
    package var line: Int
    /// Column, from 1 (0 when unknown).
    package var column: Int
    /// What is wrong, in words.
    package var message: String

    /// A problem with every part given.
    package init(_ code: Code, file: String, line: Int, column: Int, _ message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: error: message`.
    package var description: String {
        line > 0 ? "\(file):\(line):\(column): error: \(message)" : "\(file): error: \(message)"
    }

    package static func == (lhs: RuleError, rhs: RuleError) -> Bool {
        lhs.code == rhs.code && lhs.file == rhs.file && lhs.line == rhs.line && lhs.column == rhs.column
    }
}

/// Several problems found in one pass (a check reports them all, not only the first).
package struct RuleErrors: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    package var errors: [RuleError]

    /// The problems given.
    package init(_ errors: [RuleError]) {
        self.errors = errors
    }

    /// One line per problem.
    package var description: String { errors.map(\.description).joined(separator: "\n") }
}
