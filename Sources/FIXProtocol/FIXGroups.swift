/// One node of a message's field tree: a plain field, or a repeating group with its entries.
package indirect enum FIXNode: Sendable, Equatable {
    /// A field outside any group, or a member field of a group entry.
    case field(FIXField)
    /// A repeating group: the NumInGroup tag, the count written in it (-1 when it is not a
    /// number) and the entries found, each a list of nodes starting with the delimiter field.
    /// `entries.count` is the real number of entries; it differs from `count` when the message
    /// lies or is cut.
    case group(countTag: Int, count: Int, entries: [[FIXNode]])
}

/// Builds the field tree of a message from its flat fields and a dictionary's group layouts.
///
/// An entry starts at the group's delimiter tag and takes the group's member tags, in any order,
/// until a tag that is not a member or the delimiter again (which starts the next entry); a member
/// that is itself a count tag opens a nested group. The count written in the NumInGroup field is
/// reported as written and never trusted: the entries are those found, and a difference adds
/// `groupCountMismatch`. A dictionary without groups (`FIXDictionary.standard`) keeps the fields flat.
package enum FIXGroups {
    /// The tree of `fields` (one tokenized message; offsets into `bytes`) of a message of type `msgType`.
    package static func tree(
        _ fields: [FIXField], bytes: UnsafeRawBufferPointer, msgType: String, dictionary: FIXDictionary,
        anomalies: inout [FIXAnomaly]
    ) -> [FIXNode] {
        guard let groups = dictionary.groups else { return fields.map(FIXNode.field) }
        // One string lookup per message; the per-field lookups are by tag.
        let messageGroups = groups.byMessage[msgType] ?? [:]
        var builder = Builder(fields: fields, bytes: bytes)
        var nodes: [FIXNode] = []
        nodes.reserveCapacity(fields.count)
        while builder.index < fields.count {
            let field = fields[builder.index]
            if let layout = messageGroups[field.tag] ?? groups.header[field.tag] {
                nodes.append(builder.group(layout))
            } else {
                nodes.append(.field(field))
                builder.index += 1
            }
        }
        if builder.countMismatch && !anomalies.contains(.groupCountMismatch) {
            anomalies.append(.groupCountMismatch)
        }
        return nodes
    }

    /// The flat fields back from a tree, in wire order (count fields are not kept in the tree;
    /// their tags are in the group nodes).
    package static func memberFields(of nodes: [FIXNode]) -> [FIXField] {
        var result: [FIXField] = []
        for node in nodes {
            switch node {
            case .field(let field): result.append(field)
            case .group(_, _, let entries): for entry in entries { result += memberFields(of: entry) }
            }
        }
        return result
    }

    private struct Builder {
        let fields: [FIXField]
        let bytes: UnsafeRawBufferPointer
        var index = 0
        var countMismatch = false

        /// The group whose count field is at `index`; leaves `index` after its last entry.
        mutating func group(_ layout: FIXGroupLayout) -> FIXNode {
            let countField = fields[index]
            let declared = countField.valueEnd <= bytes.count && countField.valueStart >= 0
                ? FIXFraming.parseInt(bytes, countField.valueStart..<countField.valueEnd) ?? -1 : -1
            index += 1
            var entries: [[FIXNode]] = []
            while index < fields.count {
                let tag = fields[index].tag
                if tag == layout.delimiter {
                    entries.append([])
                } else if entries.isEmpty || !layout.contains(tag) {
                    break
                }
                let node: FIXNode
                if let nested = layout.nested[tag] {
                    node = group(nested)
                } else {
                    node = .field(fields[index])
                    index += 1
                }
                entries[entries.count - 1].append(node)
            }
            if declared != entries.count { countMismatch = true }
            return .group(countTag: layout.countTag, count: declared, entries: entries)
        }
    }
}
