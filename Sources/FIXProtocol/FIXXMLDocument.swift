import ProtocolKit

/// One element of a small XML document: its name, attributes and child elements (text is dropped).
struct FIXXMLElement: Sendable {
    /// The element name.
    var name: String
    /// The attributes in document order, entities decoded.
    var attributes: [(name: String, value: String)]
    /// The child elements in document order.
    var children: [FIXXMLElement]
    /// The line the start tag is on (1-based).
    var line: Int

    /// The value of the attribute `name`, if present.
    func attribute(_ name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }
}

/// A well-formedness error: where and what.
struct FIXXMLError: Error, Sendable {
    /// The 1-based line.
    var line: Int
    /// What is wrong.
    var reason: String
}

/// A small non-validating XML parser, enough for QuickFIX dictionaries: elements, attributes,
/// comments, processing instructions, CDATA, a DOCTYPE (skipped) and the five predefined and
/// numeric character references. Text content is checked for nothing and dropped. The declared
/// encoding is honoured for the encodings `Charset` decodes (UTF-8 otherwise).
///
/// Dictionaries are operator input, not wire input, but the parser still assumes nothing: element
/// nesting is limited and every error is a thrown `FIXXMLError`, never a trap.
struct FIXXMLDocument {
    /// The deepest element nesting accepted.
    static let maxDepth = 256

    /// The root element.
    let root: FIXXMLElement

    /// Parses `bytes` as an XML document.
    init(parsing bytes: UnsafeRawBufferPointer) throws(FIXXMLError) {
        var parser = Parser(bytes: bytes)
        root = try parser.document()
    }

    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        var index = 0
        var encoding = TextEncoding.utf8
        // Line counting, advanced lazily and monotonically.
        var lineOffset = 0
        var lineNumber = 1

        init(bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        mutating func document() throws(FIXXMLError) -> FIXXMLElement {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
            if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
                throw FIXXMLError(line: 1, reason: "UTF-16 documents are not supported")
            }
            var stack: [FIXXMLElement] = []
            var root: FIXXMLElement?
            while true {
                if stack.isEmpty { skipSpace() }
                guard index < bytes.count else {
                    if let open = stack.last { throw error("the document ends inside <\(open.name)>") }
                    break
                }
                guard bytes[index] == UInt8(ascii: "<") else {
                    guard !stack.isEmpty else { throw error(root == nil ? "the document does not start with '<'" : "text after the root element") }
                    // Character data: dropped.
                    while index < bytes.count && bytes[index] != UInt8(ascii: "<") { index += 1 }
                    continue
                }
                if startsWith("<?") {
                    let start = index
                    try skip(past: "?>", what: "processing instruction")
                    if start == 0 || (start == 3 && bytes.starts(with: [0xEF, 0xBB, 0xBF])) { readDeclaration(start..<index) }
                } else if startsWith("<!--") {
                    try skip(past: "-->", what: "comment")
                } else if startsWith("<![CDATA[") {
                    guard !stack.isEmpty else { throw error("CDATA outside the root element") }
                    try skip(past: "]]>", what: "CDATA section")
                } else if startsWith("<!DOCTYPE") {
                    guard stack.isEmpty && root == nil else { throw error("a DOCTYPE after the root element started") }
                    try skipDoctype()
                } else if startsWith("</") {
                    index += 2
                    let name = try readName()
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { throw error("'>' expected after </\(name)") }
                    index += 1
                    guard let element = stack.popLast() else { throw error("</\(name)> without a start tag") }
                    guard element.name == name else { throw error("</\(name)> closes <\(element.name)>") }
                    close(element, into: &stack, root: &root)
                } else {
                    guard !(stack.isEmpty && root != nil) else { throw error("a second root element") }
                    let (element, selfClosing) = try startTag()
                    if selfClosing {
                        close(element, into: &stack, root: &root)
                    } else {
                        guard stack.count < FIXXMLDocument.maxDepth else { throw error("elements nested deeper than \(FIXXMLDocument.maxDepth)") }
                        stack.append(element)
                    }
                }
            }
            guard let root else { throw error("no root element") }
            return root
        }

        private func close(_ element: FIXXMLElement, into stack: inout [FIXXMLElement], root: inout FIXXMLElement?) {
            if stack.isEmpty {
                root = element
            } else {
                stack[stack.count - 1].children.append(element)
            }
        }

        /// `<name attr="value" ...>` or `.../>`; `index` is at `<`.
        private mutating func startTag() throws(FIXXMLError) -> (FIXXMLElement, selfClosing: Bool) {
            let line = currentLine()
            index += 1
            let name = try readName()
            var element = FIXXMLElement(name: name, attributes: [], children: [], line: line)
            while true {
                let hadSpace = skipSpace()
                guard index < bytes.count else { throw error("the document ends inside <\(name)>") }
                if bytes[index] == UInt8(ascii: ">") {
                    index += 1
                    return (element, false)
                }
                if startsWith("/>") {
                    index += 2
                    return (element, true)
                }
                guard hadSpace else { throw error("space expected between attributes of <\(name)>") }
                let attribute = try readName()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { throw error("'=' expected after \(attribute)") }
                index += 1
                skipSpace()
                let value = try readQuoted()
                guard element.attribute(attribute) == nil else { throw error("attribute \(attribute) repeated in <\(name)>") }
                element.attributes.append((attribute, value))
            }
        }

        private mutating func readName() throws(FIXXMLError) -> String {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                let nameByte = byte >= 0x80 || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
                    || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
                    || (index > start && (byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || (byte >= 0x30 && byte <= 0x39)))
                guard nameByte else { break }
                index += 1
            }
            guard index > start else { throw error("a name expected") }
            return text(start..<index)
        }

        /// A quoted attribute value with its character references decoded.
        private mutating func readQuoted() throws(FIXXMLError) -> String {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                throw error("a quoted attribute value expected")
            }
            let quote = bytes[index]
            index += 1
            var value = ""
            var runStart = index
            while true {
                guard index < bytes.count else { throw error("the document ends inside an attribute value") }
                let byte = bytes[index]
                if byte == quote { break }
                if byte == UInt8(ascii: "<") { throw error("'<' inside an attribute value") }
                if byte == UInt8(ascii: "&") {
                    value += text(runStart..<index)
                    value.unicodeScalars.append(try reference())
                    runStart = index
                    continue
                }
                index += 1
            }
            value += text(runStart..<index)
            index += 1
            return value
        }

        /// `&name;` or `&#n;` / `&#xh;` at `index`.
        private mutating func reference() throws(FIXXMLError) -> Unicode.Scalar {
            let start = index + 1
            var end = start
            while end < bytes.count && end - start < 12 && bytes[end] != UInt8(ascii: ";") { end += 1 }
            guard end < bytes.count, bytes[end] == UInt8(ascii: ";") else { throw error("an unterminated '&' reference") }
            let name = text(start..<end)
            index = end + 1
            switch name {
            case "lt": return "<"
            case "gt": return ">"
            case "amp": return "&"
            case "quot": return "\""
            case "apos": return "'"
            default:
                var number: UInt32?
                if name.hasPrefix("#x") { number = UInt32(name.dropFirst(2), radix: 16) }
                else if name.hasPrefix("#") { number = UInt32(name.dropFirst(1), radix: 10) }
                guard let number, number != 0, let scalar = Unicode.Scalar(number) else { throw error("unknown reference &\(name);") }
                return scalar
            }
        }

        /// Reads `encoding="..."` from the XML declaration.
        private mutating func readDeclaration(_ range: Range<Int>) {
            let declaration = text(range)
            guard let found = declaration.firstRange(of: "encoding") else { return }
            let rest = declaration[found.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "'" }
            let name = rest.prefix { $0 != "\"" && $0 != "'" && $0 != "?" && $0 != " " }
            encoding = TextEncoding(name: name) ?? .utf8
        }

        /// Skips a DOCTYPE, its internal subset and quoted strings included.
        private mutating func skipDoctype() throws(FIXXMLError) {
            var bracketDepth = 0
            var quote: UInt8?
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if let open = quote {
                    if byte == open { quote = nil }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: "[") {
                    bracketDepth += 1
                } else if byte == UInt8(ascii: "]") {
                    bracketDepth -= 1
                } else if byte == UInt8(ascii: ">") && bracketDepth <= 0 {
                    return
                }
            }
            throw error("the document ends inside the DOCTYPE")
        }

        private mutating func skip(past terminator: StaticString, what: String) throws(FIXXMLError) {
            while index < bytes.count {
                if startsWith(terminator) {
                    index += terminator.utf8CodeUnitCount
                    return
                }
                index += 1
            }
            throw error("an unterminated \(what)")
        }

        @discardableResult
        private mutating func skipSpace() -> Bool {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                guard byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else { break }
                index += 1
            }
            return index > start
        }

        private func startsWith(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
            return true
        }

        private func text(_ range: Range<Int>) -> String {
            Charset.decode(UnsafeRawBufferPointer(rebasing: bytes[range]), as: encoding)
        }

        private mutating func currentLine() -> Int {
            var offset = lineOffset
            while offset < index && offset < bytes.count {
                if bytes[offset] == 0x0A { lineNumber += 1 }
                offset += 1
            }
            lineOffset = offset
            return lineNumber
        }

        private mutating func error(_ reason: String) -> FIXXMLError {
            FIXXMLError(line: currentLine(), reason: reason)
        }
    }
}
