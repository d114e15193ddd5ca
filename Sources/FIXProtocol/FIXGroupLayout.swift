/// The shape of one repeating group in one message: the NumInGroup tag that counts the entries,
/// the delimiter tag every entry starts with, and the tags an entry may hold.
package struct FIXGroupLayout: Sendable, Equatable {
    /// The NumInGroup tag (453 NoPartyIDs).
    package let countTag: Int
    /// The tag every entry starts with (448 PartyID): the first member in the dictionary.
    package let delimiter: Int
    /// The member tags in dictionary order, the delimiter first; a nested group appears as its
    /// count tag.
    package let members: [Int]
    /// The layouts of the groups nested in an entry, by count tag.
    package let nested: [Int: FIXGroupLayout]
    /// `members` as a set, for membership tests.
    private let memberSet: Set<Int>

    /// A layout with `members` in dictionary order (the first is the delimiter); nil when there are none.
    package init?(countTag: Int, members: [Int], nested: [Int: FIXGroupLayout] = [:]) {
        guard let first = members.first else { return nil }
        self.countTag = countTag
        self.delimiter = first
        self.members = members
        self.nested = nested
        self.memberSet = Set(members)
    }

    /// Whether `tag` belongs to an entry of this group (nested groups' members do not, their count tags do).
    @inline(__always)
    package func contains(_ tag: Int) -> Bool {
        memberSet.contains(tag)
    }
}

/// The repeating groups a dictionary knows: per message type, and for the header and trailer.
struct FIXMessageGroups: Sendable {
    /// MsgType → count tag → layout: the message's top-level groups, then (where the count tag is not
    /// already there) the groups nested in them.
    var byMessage: [String: [Int: FIXGroupLayout]] = [:]
    /// Count tag → layout for the groups of the standard header and trailer (627 NoHops).
    var header: [Int: FIXGroupLayout] = [:]

    /// The layout of the group `countTag` starts in a message of type `msgType`.
    func layout(countTag: Int, msgType: String) -> FIXGroupLayout? {
        byMessage[msgType]?[countTag] ?? header[countTag]
    }

    /// Count tag → layout for a message's top-level `groups` followed by every nested group not yet present.
    static func index(_ groups: [FIXGroupLayout]) -> [Int: FIXGroupLayout] {
        var result: [Int: FIXGroupLayout] = [:]
        var pending = groups
        for layout in groups where result[layout.countTag] == nil { result[layout.countTag] = layout }
        var depth = 0
        while !pending.isEmpty && depth < 32 {
            var next: [FIXGroupLayout] = []
            for layout in pending {
                for tag in layout.members {
                    guard let inner = layout.nested[tag] else { continue }
                    if result[tag] == nil { result[tag] = inner }
                    next.append(inner)
                }
            }
            pending = next
            depth += 1
        }
        return result
    }
}
