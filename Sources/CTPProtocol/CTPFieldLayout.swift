/// How one member of a CTP field struct is stored and shown.
enum CTPMemberKind: Sendable, Equatable {
    /// `char[N]`: NUL-terminated, zero-padded GBK text; shown as UTF-8, left out when empty.
    case text(Int)
    /// `char`: an enum letter ('0', '1', ...); left out when NUL.
    case char
    /// `int`, 4 bytes big-endian, signed.
    case int
    /// `short`, 2 bytes big-endian, signed.
    case short
    /// `double`, 8 bytes big-endian IEEE 754; DBL_MAX (the "no value" mark), NaN and infinities are left out.
    case double
    /// A secret (`char[N]`): never shown; `"<redacted>"` when it holds any byte, left out when empty.
    case secret(Int)
    /// The encrypted terminal information of UserSystemInfo (`char[N]`, its length in the `int`
    /// member just before): shown as its length and a short hash, so reuse across users shows.
    case terminalInfo(Int)
    /// Bytes never shown: a `reserve` slot (it repeats a member kept elsewhere) or key material.
    case hidden(Int)

    /// The member's size on the wire.
    var size: Int {
        switch self {
        case .text(let size), .secret(let size), .terminalInfo(let size), .hidden(let size): size
        case .char: 1
        case .short: 2
        case .int: 4
        case .double: 8
        }
    }
}

/// One member of a field struct at its packed offset.
struct CTPMember: Sendable {
    var name: String
    var kind: CTPMemberKind
    var offset: Int
    /// A hash of the name, for `CTPMemberFilter`.
    var key: UInt64

    init(name: String, kind: CTPMemberKind, offset: Int) {
        self.name = name
        self.kind = kind
        self.offset = offset
        key = Self.key(name)
    }

    /// The 64-bit FNV-1a hash of `name`.
    static func key(_ name: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }
}

/// Some members by name, tested without string work: most members fail one bit test.
struct CTPMemberFilter: Sendable {
    private let names: [String]
    private let keys: [UInt64]
    private let bloom: UInt64

    init(_ names: [String]) {
        self.names = names
        keys = names.map(CTPMember.key)
        bloom = keys.reduce(0) { $0 | 1 << ($1 & 63) }
    }

    /// Whether `member` is one of the names.
    @inline(__always)
    func contains(_ member: CTPMember) -> Bool {
        guard bloom & (1 << (member.key & 63)) != 0 else { return false }
        for index in keys.indices where keys[index] == member.key && names[index] == member.name { return true }
        return false
    }
}

/// The members of one field's layouts that a filter keeps, worked out once per layout (each
/// layout is fixed-size, so each member has a fixed offset): decoding reads just those offsets,
/// without walking or testing the others. Other fields fall back to the filter. A class, so that
/// handing it to the decoder per packet is one reference, not a copy of its arrays.
final class CTPWantedMembers: Sendable {
    /// One kept member.
    struct Wanted: Sendable {
        /// The member.
        let member: CTPMember
        /// Where it ends: it is decoded only when the body reaches that far.
        let end: Int
        /// The offset of the last `int` member before it (-1: none): a terminal blob's length.
        let lengthOffset: Int
    }

    /// One variant of the field, ready to decode: what `CTPFieldDecoder.decode` reads of its
    /// spec, and the members kept.
    struct Variant: Sendable {
        /// The field length on the wire.
        let length: Int
        /// The struct name.
        let name: String
        /// The API releases, nil when the variant names none.
        let version: String?
        /// The kept members in declaration order.
        let selection: [Wanted]
    }

    /// The field id the selections are for.
    let fid: UInt16
    /// The struct name of the spec.
    let name: String
    /// The members kept, by name, for other fields.
    let filter: CTPMemberFilter
    /// The spec's variants, shortest first.
    let variants: [Variant]

    /// The members of field `fid` named in `names` (nil when the field has no layouts).
    init?(fid: UInt16, names: [String]) {
        guard let spec = CTPFieldTable.spec(fid), !spec.variants.isEmpty else { return nil }
        let filter = CTPMemberFilter(names)
        self.fid = fid
        name = spec.name
        self.filter = filter
        variants = spec.variants.map { variant in
            var kept: [Wanted] = []
            var lastInt = -1
            for member in variant.layout.members {
                if filter.contains(member) {
                    kept.append(Wanted(member: member, end: member.offset + member.kind.size, lengthOffset: lastInt))
                }
                if case .int = member.kind { lastInt = member.offset }
            }
            return Variant(
                length: variant.length, name: variant.name ?? spec.name, version: variant.version.isEmpty ? nil : variant.version,
                selection: kept)
        }
    }

    /// The index of the variant for a body of `length` bytes, as `CTPFieldSpec.variantIndex` picks it.
    @inline(__always)
    func variantIndex(for length: Int) -> (index: Int, exact: Bool) {
        if let exact = variants.firstIndex(where: { $0.length == length }) { return (exact, true) }
        if let fitting = variants.lastIndex(where: { $0.length < length }) { return (fitting, false) }
        return (0, false)
    }
}

/// A field struct's members in declaration order, packed (no alignment padding), as SFIT writes them.
struct CTPLayout: Sendable {
    let members: [CTPMember]
    /// The packed size.
    let size: Int

    init(_ list: [(String, CTPMemberKind)]) {
        var offset = 0
        var members: [CTPMember] = []
        for (name, kind) in list {
            members.append(CTPMember(name: name, kind: kind, offset: offset))
            offset += kind.size
        }
        self.members = members
        self.size = offset
    }
}

/// One wire length of a field and the API releases that send it. A release that appended members
/// sends a longer body; an older body is a prefix of the newer layout or of the legacy one.
struct CTPFieldVariant: Sendable {
    /// The field length on the wire.
    var length: Int
    /// The API releases that send this length (`6.5.1+`, `6.3.15-6.3.19`).
    var version: String
    /// The layout whose members that fit in `length` are decoded.
    var layout: CTPLayout
    /// The struct name when this length is another struct under the same id (0x4022 is
    /// UserSystemInfo at 550 bytes and QrySecAgentTradeInfo at 24).
    var name: String? = nil
}

/// A field id the decoder knows: its struct name and, for the fields it decodes, the layouts by length.
struct CTPFieldSpec: Sendable {
    var fid: UInt16
    var name: String
    /// Known lengths, shortest first (empty: only the name is known).
    var variants: [CTPFieldVariant]
    /// Whether `variants` are every length releases send (false for the fields known only from
    /// one release's dictionary).
    var lengthsComplete = true

    /// The variant for a body of `length` bytes: the one of that length, or else the longest that
    /// fits (nil when none fits or none is known); `exact` says whether the length matched.
    func variant(for length: Int) -> (variant: CTPFieldVariant, exact: Bool)? {
        variantIndex(for: length).map { (variants[$0.index], $0.exact) }
    }

    /// The index in `variants` of `variant(for: length)`.
    @inline(__always)
    func variantIndex(for length: Int) -> (index: Int, exact: Bool)? {
        if let exact = variants.firstIndex(where: { $0.length == length }) { return (exact, true) }
        if let fitting = variants.lastIndex(where: { $0.length < length }) { return (fitting, false) }
        return variants.isEmpty ? nil : (0, false)
    }
}
