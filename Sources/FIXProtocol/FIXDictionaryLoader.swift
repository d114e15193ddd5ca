#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension FIXDictionary {
    /// Loads QuickFIX-format XML dictionaries (`<fix>` with `<header>`, `<trailer>`, `<messages>`,
    /// `<components>` and `<fields>`) on top of `base`.
    ///
    /// - Fields (number, name, type, enumerated values) replace the base's definition of the same
    ///   tag; a field that lists values replaces the tag's values, one that is renamed without values
    ///   drops them. Tags no file defines keep the base's names.
    /// - Messages, components, header and trailer of a later file replace those of an earlier one
    ///   with the same MsgType or name (an empty `<header/>` replaces nothing); references are
    ///   resolved once every file is read, so an overlay can change a component the earlier files use.
    /// - Every message a file defines gets its repeating groups, components expanded recursively;
    ///   messages no file defines keep the base's groups. A LENGTH field directly followed by a DATA
    ///   or XMLDATA field becomes a length/data pair.
    package convenience init(loading paths: [String], base: FIXDictionary = .standard) throws(FIXDictionaryError) {
        var loader = FIXDictionaryLoader(base: base)
        for path in paths {
            let bytes = try FIXDictionaryLoader.read(path)
            let parsed = bytes.withUnsafeBytes { buffer in
                Result { () throws(FIXXMLError) in try FIXXMLDocument(parsing: buffer) }
            }
            switch parsed {
            case .success(let document):
                try loader.add(document.root, path: path)
            case .failure(let error):
                throw FIXDictionaryError(code: .notXML, path: path, reason: "line \(error.line): \(error.reason)")
            }
        }
        let groups = try loader.resolveGroups()
        self.init(
            fields: loader.fields, values: loader.values, messages: loader.messages, dataPairs: loader.dataPairs,
            groups: groups, sources: base.sources + paths
        )
    }
}

/// Collects the definitions of dictionary files, then resolves their messages into group layouts.
struct FIXDictionaryLoader {
    /// The largest dictionary file read.
    static let maxFileSize = 64 << 20
    /// The deepest group nesting accepted.
    static let maxGroupDepth = 16

    /// One element and the file it came from.
    private struct Definition {
        var element: FIXXMLElement
        var path: String
    }

    /// The resolved children of a message, component or group.
    private enum Item {
        case field(Int)
        case group(FIXGroupLayout)

        var tag: Int {
            switch self {
            case .field(let tag): tag
            case .group(let layout): layout.countTag
            }
        }
    }

    /// Tag → name and type: the base's, then each file's fields.
    private(set) var fields: FIXTagTable<FIXFieldInfo>
    /// Tag → value → description.
    private(set) var values: [Int: [String: String]]
    /// MsgType → message name.
    private(set) var messages: [String: String]
    /// LENGTH tag → DATA tag: the base's, plus the pairs found while resolving.
    private(set) var dataPairs: [Int: Int]
    private let baseGroups: FIXMessageGroups?
    private var tagsByName: [String: Int] = [:]
    private var components: [String: Definition] = [:]
    private var messageDefinitions: [String: Definition] = [:]
    private var header: Definition?
    private var trailer: Definition?
    private var resolvedComponents: [String: [Item]] = [:]

    /// A loader starting from `base`'s tables.
    init(base: FIXDictionary) {
        fields = base.fields
        values = base.values
        messages = base.messages
        dataPairs = base.dataPairs
        baseGroups = base.groups
        for (tag, info) in fields.entries where tagsByName[info.name] == nil { tagsByName[info.name] = tag }
    }

    /// The bytes of the file at `path`.
    static func read(_ path: String) throws(FIXDictionaryError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw FIXDictionaryError(code: .cannotOpen, path: path, reason: systemReason(errno))
        }
        defer { fclose(file) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            data.append(contentsOf: chunk[0..<count])
            guard data.count <= maxFileSize else {
                throw FIXDictionaryError(code: .notADictionary, path: path, reason: "larger than \(maxFileSize >> 20) MiB")
            }
            if count < chunk.count {
                if ferror(file) != 0 { throw FIXDictionaryError(code: .cannotOpen, path: path, reason: systemReason(errno)) }
                return data
            }
        }
    }

    private static func systemReason(_ number: Int32) -> String {
        guard let text = strerror(number) else { return "error \(number)" }
        return String(cString: text)
    }

    /// Takes the definitions of one file's root element.
    mutating func add(_ root: FIXXMLElement, path: String) throws(FIXDictionaryError) {
        guard root.name == "fix" else {
            throw FIXDictionaryError(code: .notADictionary, path: path, reason: "the root element is <\(root.name)>, not <fix>")
        }
        var sections = 0
        for section in root.children {
            switch section.name {
            case "fields":
                for field in section.children where field.name == "field" { try addField(field, path: path) }
            case "messages":
                for message in section.children where message.name == "message" {
                    guard let msgType = message.attribute("msgtype"), !msgType.isEmpty,
                        let name = message.attribute("name"), !name.isEmpty
                    else {
                        throw FIXDictionaryError(code: .notADictionary, path: path, reason: "line \(message.line): a message without msgtype or name")
                    }
                    messages[msgType] = name
                    messageDefinitions[msgType] = Definition(element: message, path: path)
                }
            case "components":
                for component in section.children where component.name == "component" {
                    guard let name = component.attribute("name"), !name.isEmpty else {
                        throw FIXDictionaryError(code: .notADictionary, path: path, reason: "line \(component.line): a component without a name")
                    }
                    components[name] = Definition(element: component, path: path)
                }
            case "header":
                if !section.children.isEmpty { header = Definition(element: section, path: path) }
            case "trailer":
                if !section.children.isEmpty { trailer = Definition(element: section, path: path) }
            default:
                continue
            }
            sections += 1
        }
        guard sections > 0 else {
            throw FIXDictionaryError(
                code: .notADictionary, path: path, reason: "<fix> has no <fields>, <messages>, <components>, <header> or <trailer>")
        }
    }

    private mutating func addField(_ field: FIXXMLElement, path: String) throws(FIXDictionaryError) {
        guard let number = field.attribute("number").flatMap({ Int($0) }), number > 0,
            let name = field.attribute("name"), !name.isEmpty
        else {
            throw FIXDictionaryError(code: .notADictionary, path: path, reason: "line \(field.line): a field without a valid number and name")
        }
        let previous = fields[number]
        fields[number] = FIXFieldInfo(name: name, type: FIXFieldType(name: field.attribute("type") ?? "STRING"))
        tagsByName[name] = number
        var table: [String: String] = [:]
        for value in field.children where value.name == "value" {
            guard let code = value.attribute("enum") else { continue }
            table[code] = value.attribute("description") ?? code
        }
        if !table.isEmpty {
            values[number] = table
        } else if let previous, previous.name != name {
            values[number] = nil
        }
    }

    /// Resolves every message a file defined (and the header and trailer) into group layouts.
    mutating func resolveGroups() throws(FIXDictionaryError) -> FIXMessageGroups {
        var groups = baseGroups ?? FIXMessageGroups()
        for msgType in messageDefinitions.keys.sorted() {
            guard let definition = messageDefinitions[msgType] else { continue }
            let context = "message \(definition.element.attribute("name") ?? msgType)"
            let items = try resolve(definition.element, path: definition.path, context: context, stack: [], depth: 0)
            groups.byMessage[msgType] = FIXMessageGroups.index(topLevelGroups(items))
        }
        if header != nil || trailer != nil {
            var layouts: [FIXGroupLayout] = []
            for definition in [header, trailer].compactMap({ $0 }) {
                let items = try resolve(definition.element, path: definition.path, context: "<\(definition.element.name)>", stack: [], depth: 0)
                layouts += topLevelGroups(items)
            }
            var index = FIXMessageGroups.index(layouts)
            if header == nil {
                for (tag, layout) in groups.header where index[tag] == nil { index[tag] = layout }
            }
            groups.header = index
        }
        return groups
    }

    private func topLevelGroups(_ items: [Item]) -> [FIXGroupLayout] {
        items.compactMap { item in
            if case .group(let layout) = item { return layout }
            return nil
        }
    }

    /// The fields and groups of `element`'s children, components expanded.
    private mutating func resolve(
        _ element: FIXXMLElement, path: String, context: String, stack: [String], depth: Int
    ) throws(FIXDictionaryError) -> [Item] {
        var items: [Item] = []
        for child in element.children {
            let name = child.attribute("name") ?? ""
            switch child.name {
            case "field":
                items.append(.field(try tag(of: name, child, path: path, context: context)))
            case "component":
                items += try component(name, child, path: path, context: context, stack: stack, depth: depth)
            case "group":
                let countTag = try tag(of: name, child, path: path, context: context)
                guard depth < Self.maxGroupDepth else {
                    throw FIXDictionaryError(
                        code: .notADictionary, path: path, reason: "line \(child.line): groups nested deeper than \(Self.maxGroupDepth)")
                }
                let members = try resolve(child, path: path, context: "group \(name)", stack: stack, depth: depth + 1)
                var nested: [Int: FIXGroupLayout] = [:]
                for case .group(let layout) in members where nested[layout.countTag] == nil { nested[layout.countTag] = layout }
                if let layout = FIXGroupLayout(countTag: countTag, members: members.map(\.tag), nested: nested) {
                    items.append(.group(layout))
                } else {
                    items.append(.field(countTag))
                }
            default:
                continue
            }
        }
        notePairs(items)
        return items
    }

    private mutating func component(
        _ name: String, _ reference: FIXXMLElement, path: String, context: String, stack: [String], depth: Int
    ) throws(FIXDictionaryError) -> [Item] {
        if let resolved = resolvedComponents[name] { return resolved }
        guard let definition = components[name] else {
            throw FIXDictionaryError(
                code: .unresolvedReference, path: path, reason: "line \(reference.line): \(context) uses an unknown component \(name)")
        }
        guard !stack.contains(name) else {
            throw FIXDictionaryError(
                code: .unresolvedReference, path: definition.path,
                reason: "components include each other: \((stack + [name]).joined(separator: " → "))")
        }
        let items = try resolve(definition.element, path: definition.path, context: "component \(name)", stack: stack + [name], depth: depth)
        resolvedComponents[name] = items
        return items
    }

    private func tag(of name: String, _ reference: FIXXMLElement, path: String, context: String) throws(FIXDictionaryError) -> Int {
        guard let tag = tagsByName[name] else {
            throw FIXDictionaryError(
                code: .unresolvedReference, path: path, reason: "line \(reference.line): \(context) uses an unknown field \"\(name)\"")
        }
        return tag
    }

    /// Records each LENGTH field directly followed by a DATA or XMLDATA field.
    private mutating func notePairs(_ items: [Item]) {
        guard items.count > 1 else { return }
        for index in 1..<items.count {
            guard case .field(let length) = items[index - 1], case .field(let data) = items[index],
                fields[length]?.type == .length, fields[data]?.type.isData ?? false
            else { continue }
            dataPairs[length] = data
        }
    }
}
