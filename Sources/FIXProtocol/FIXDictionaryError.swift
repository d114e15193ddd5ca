/// Why a FIX dictionary file could not be loaded: a stable code, the file and the reason.
/// Errors compare (and hash) by code only, like swift-asn1's `ASN1Error`.
package struct FIXDictionaryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stable kind of failure.
    package struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The stable name, such as `fix_dictionary.not_xml`.
        package var rawValue: String
        /// A code from its stable name.
        package init(rawValue: String) { self.rawValue = rawValue }

        /// The file does not exist or cannot be read.
        package static let cannotOpen = Code(rawValue: "fix_dictionary.cannot_open")
        /// The file is not well-formed XML.
        package static let notXML = Code(rawValue: "fix_dictionary.not_xml")
        /// The file is XML but not a QuickFIX dictionary (wrong root element, a field without a
        /// number or name, too large).
        package static let notADictionary = Code(rawValue: "fix_dictionary.not_a_dictionary")
        /// A message, component or group refers to a field or component no loaded file defines, or
        /// components include each other in a cycle.
        package static let unresolvedReference = Code(rawValue: "fix_dictionary.unresolved_reference")

        /// The stable name.
        package var description: String { rawValue }
    }

    /// The kind of failure.
    package var code: Code
    /// The dictionary file as given.
    package var path: String
    /// What is wrong, with a line number where there is one.
    package var reason: String

    /// An error with all fields given.
    package init(code: Code, path: String, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    /// `FIX dictionary "x.xml": line 3: ...`.
    package var description: String { "FIX dictionary \"\(path)\": \(reason)" }

    /// Errors are equal when their codes are.
    package static func == (lhs: FIXDictionaryError, rhs: FIXDictionaryError) -> Bool { lhs.code == rhs.code }

    /// Hashes the code only, consistent with `==`.
    package func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
