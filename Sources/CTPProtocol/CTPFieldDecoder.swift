import ProtocolKit

/// One field of a message, decoded for the output.
struct CTPDecodedField {
    /// The field id.
    var fid: UInt16
    /// The struct name (`ReqUserLogin`), or the id in hex when unknown.
    var name: String
    /// The body length on the wire.
    var length: Int
    /// The members by name, in declaration order (empty for fields without a layout).
    var members: [(String, FieldValue)]
    /// The API releases the length points to, when it points to some.
    var version: String?
    /// Whether the field was recognised by its length and content rather than its id.
    var recognised = false
    /// Whether the id is known.
    var known: Bool

    /// The member `name`, if present.
    subscript(_ name: String) -> FieldValue? {
        members.withUnsafeBufferPointer { members in
            for index in members.indices where members[index].0.sameName(as: name) { return members[index].1 }
            return nil
        }
    }

    /// The member `name` as text, if present.
    func text(_ name: String) -> String? {
        if case .string(let value)? = self[name] { return value }
        return nil
    }

    /// The member `name` as an integer, if present.
    func int(_ name: String) -> Int64? {
        if case .int(let value)? = self[name] { return value }
        return nil
    }
}

/// Reads a decoded field's members by name, each look-up starting after the member the last one
/// found: asked in the members' order, every look-up is one comparison (and any order still finds
/// every member, `subscript` as the reference).
struct CTPMemberCursor {
    private let members: [(String, FieldValue)]
    private var next = 0

    init(_ field: CTPDecodedField) {
        members = field.members
    }

    /// The member `name`, if present.
    mutating func value(_ name: String) -> FieldValue? {
        let start = next
        return members.withUnsafeBufferPointer { members in
            let count = members.count
            var index = start < count ? start : 0
            for _ in 0..<count {
                if members[index].0.sameName(as: name) {
                    next = index + 1
                    return members[index].1
                }
                index = index + 1 == count ? 0 : index + 1
            }
            return nil
        }
    }

    /// The member `name` as text, if present.
    mutating func text(_ name: String) -> String? {
        if case .string(let value)? = value(name) { return value }
        return nil
    }

    /// The member `name` as an integer, if present.
    mutating func int(_ name: String) -> Int64? {
        if case .int(let value)? = value(name) { return value }
        return nil
    }
}

/// Decodes field bodies by layout: text from GBK, big-endian numbers, absent values left out,
/// secrets redacted.
enum CTPFieldDecoder {
    /// DBL_MAX: the value CTP writes for "no price".
    static let noValue = Double.greatestFiniteMagnitude

    /// Decodes one field (a known id with a length no release sends by the longest layout that fits);
    /// with `only`, just those members of a known layout.
    static func decode(_ fid: UInt16, _ body: UnsafeRawBufferPointer, only: CTPMemberFilter? = nil) -> CTPDecodedField {
        if let spec = CTPFieldTable.spec(fid) {
            guard let (variant, exact) = spec.variant(for: body.count) else {
                return CTPDecodedField(fid: fid, name: spec.name, length: body.count, members: [], known: true)
            }
            return CTPDecodedField(
                fid: fid, name: variant.name ?? spec.name, length: body.count, members: members(body, variant.layout, only: only),
                version: exact && !variant.version.isEmpty ? variant.version : nil, known: true)
        }
        if let variant = userSystemInfoVariant(body) {
            return CTPDecodedField(
                fid: fid, name: CTPFieldTable.userSystemInfoName, length: body.count,
                members: members(body, variant.layout), version: variant.version, recognised: true, known: false)
        }
        return CTPDecodedField(fid: fid, name: CTPFormat.hex(UInt32(fid), digits: 4), length: body.count, members: [], known: false)
    }

    /// Whether `decode(fid, body)` names the field UserSystemInfo, told without decoding it.
    static func isUserSystemInfo(_ fid: UInt16, _ body: UnsafeRawBufferPointer) -> Bool {
        if let spec = CTPFieldTable.spec(fid) {
            let name = spec.variant(for: body.count).map { $0.0.name ?? spec.name } ?? spec.name
            return name == CTPFieldTable.userSystemInfoName
        }
        return userSystemInfoVariant(body) != nil
    }

    /// Decodes one field, and of the field `wanted` is for only the members it keeps, read at their
    /// offsets; other fields by `wanted.filter` (the same output as `decode(fid, body, only: filter)`).
    static func decode(_ fid: UInt16, _ body: UnsafeRawBufferPointer, wanted: CTPWantedMembers) -> CTPDecodedField {
        guard fid == wanted.fid else { return decode(fid, body, only: wanted.filter) }
        let (index, exact) = wanted.variantIndex(for: body.count)
        let variant = wanted.variants[index]
        return CTPDecodedField(
            fid: fid, name: variant.name, length: body.count, members: members(body, variant.selection),
            version: exact ? variant.version : nil, known: true)
    }

    /// The members of `selection` that fit whole in `body`.
    static func members(_ body: UnsafeRawBufferPointer, _ selection: [CTPWantedMembers.Wanted]) -> [(String, FieldValue)] {
        var out: [(String, FieldValue)] = []
        out.reserveCapacity(selection.count)
        for wanted in selection {
            guard wanted.end <= body.count else { break }
            let member = wanted.member
            let lastInt = wanted.lengthOffset < 0 ? 0 : Int32(bigEndian: body.loadUnaligned(fromByteOffset: wanted.lengthOffset, as: Int32.self))
            if let value = value(member.kind, UnsafeRawBufferPointer(rebasing: body[member.offset..<wanted.end]), lastInt: lastInt) {
                out.append((member.name, value))
            }
        }
        return out
    }

    /// The members of `layout` that fit whole in `body`.
    static func members(_ body: UnsafeRawBufferPointer, _ layout: CTPLayout, only: CTPMemberFilter? = nil) -> [(String, FieldValue)] {
        var out: [(String, FieldValue)] = []
        out.reserveCapacity(only == nil ? layout.members.count : 4)
        var lastInt: Int32 = 0
        for member in layout.members {
            let end = member.offset + member.kind.size
            guard end <= body.count else { break }
            if let only, !only.contains(member) {
                // A terminal blob's length is the int before it: keep it for a blob read alone.
                if case .int = member.kind { lastInt = Int32(bigEndian: body.loadUnaligned(fromByteOffset: member.offset, as: Int32.self)) }
                continue
            }
            let bytes = UnsafeRawBufferPointer(rebasing: body[member.offset..<end])
            if case .int = member.kind { lastInt = Int32(bigEndian: bytes.loadUnaligned(as: Int32.self)) }
            if let value = value(member.kind, bytes, lastInt: lastInt) { out.append((member.name, value)) }
        }
        return out
    }

    /// The value of a member of `kind` held in `bytes` (its whole slot), nil when it is left out;
    /// `lastInt` is the `int` member before it (a terminal blob's length).
    @inline(__always)
    static func value(_ kind: CTPMemberKind, _ bytes: UnsafeRawBufferPointer, lastInt: Int32) -> FieldValue? {
        switch kind {
        case .text:
            let text = Self.text(bytes)
            return text.isEmpty ? nil : .string(text)
        case .char:
            return bytes[0] != 0 ? .string(String(UnicodeScalar(bytes[0]))) : nil
        case .int:
            return .int(Int64(Int32(bigEndian: bytes.loadUnaligned(as: Int32.self))))
        case .short:
            return .int(Int64(Int16(bigEndian: bytes.loadUnaligned(as: Int16.self))))
        case .double:
            return double(bytes).map(FieldValue.double)
        case .secret:
            return bytes.contains(where: { $0 != 0 }) ? .string("<redacted>") : nil
        case .terminalInfo:
            // The length in the int before it, bounded by the slot.
            let length = min(max(Int(lastInt), 0), bytes.count)
            return .object([
                ("length", .uint(UInt64(length))),
                ("sha1", .string(shortHash(UnsafeRawBufferPointer(rebasing: bytes[0..<length])))),
            ])
        case .hidden:
            return nil
        }
    }

    /// The text of a `char[N]` slot: up to the first NUL, GBK to UTF-8.
    static func text(_ bytes: UnsafeRawBufferPointer) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return Charset.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: .gbk)
    }

    /// A big-endian double, nil for DBL_MAX (either sign), NaN and infinities.
    static func double(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let value = Double(bitPattern: UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)))
        guard value.isFinite, value.magnitude != noValue else { return nil }
        return value
    }

    /// The first 16 hex digits of the SHA-1 of `bytes`: enough to see the same blob twice.
    static func shortHash(_ bytes: UnsafeRawBufferPointer) -> String {
        var hasher = SHA1()
        hasher.update(bytes)
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in hasher.finalize().prefix(8) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - UserSystemInfo without its id

    /// The UserSystemInfo variant `body` is, judged by its length (366, 399, 550) and the
    /// plaintext members the relay fills (CTP notes section 10): BrokerID and UserID printable and
    /// zero-padded, ClientSystemInfoLen within its 273-byte slot, ClientLoginTime `HH:MM:SS` or
    /// empty, ClientPublicIP an address or empty. Nil when it is not one.
    static func userSystemInfoVariant(_ body: UnsafeRawBufferPointer) -> CTPFieldVariant? {
        guard [366, 399, 550].contains(body.count),
            let variant = CTPFieldTable.userSystemInfoSpec(0).variants.first(where: { $0.length == body.count })
        else { return nil }
        let legacy = body.count == 366
        guard isIdentifier(body, 0, 11), isIdentifier(body, 11, 16) else { return nil }
        let systemInfoLength = Int32(bigEndian: body.loadUnaligned(fromByteOffset: 27, as: Int32.self))
        guard systemInfoLength >= 0 && systemInfoLength <= 273 else { return nil }
        guard isTimeOrEmpty(body, 324) else { return nil }
        guard isAddressOrEmpty(body, legacy ? 304 : 366, legacy ? 16 : 33) else { return nil }
        return variant
    }

    /// Whether `count` bytes at `offset` are non-empty printable ASCII, NUL-terminated and zero-padded.
    private static func isIdentifier(_ body: UnsafeRawBufferPointer, _ offset: Int, _ count: Int) -> Bool {
        guard body[offset] != 0 else { return false }
        var ended = false
        for index in offset..<(offset + count) {
            let byte = body[index]
            if ended {
                if byte != 0 { return false }
            } else if byte == 0 {
                ended = true
            } else if byte < 0x21 || byte > 0x7E {
                return false
            }
        }
        return ended
    }

    /// Whether the 9 bytes at `offset` are `HH:MM:SS` and a NUL, or all zero.
    private static func isTimeOrEmpty(_ body: UnsafeRawBufferPointer, _ offset: Int) -> Bool {
        if (offset..<(offset + 9)).allSatisfy({ body[$0] == 0 }) { return true }
        let digit = { (index: Int) in body[offset + index] >= 0x30 && body[offset + index] <= 0x39 }
        return digit(0) && digit(1) && body[offset + 2] == UInt8(ascii: ":") && digit(3) && digit(4)
            && body[offset + 5] == UInt8(ascii: ":") && digit(6) && digit(7) && body[offset + 8] == 0
    }

    /// Whether `count` bytes at `offset` hold an IPv4 or IPv6 text (zero-padded), or nothing.
    private static func isAddressOrEmpty(_ body: UnsafeRawBufferPointer, _ offset: Int, _ count: Int) -> Bool {
        var ended = false
        for index in offset..<(offset + count) {
            let byte = body[index]
            if ended || byte == 0 {
                ended = true
                if byte != 0 { return false }
                continue
            }
            let hex = (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x66)
            guard hex || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":") else { return false }
        }
        return true
    }
}
