import PacketCapture

/// Quotes requests decoded before, kept by their bodies' bytes: a terminal polls its watchlist
/// with the same request body again and again (a pytdx-style session of the mixed benchmark
/// capture sends one body a hundred times or more), and decoding one makes a string per code
/// (`TDXInstrument.qualifiedSecurity`, about 17,000 instructions for a body of 50 codes). A body
/// met before hands back its first decoding, which is the same value: a body's decoding depends
/// on the command, the flag and its bytes alone.
///
/// Bounded: `slots` entries, direct-mapped by a hash of the body (a colliding body replaces the
/// entry), and no body over `maxBody` bytes is kept (about 145 codes). One memo serves every
/// session of a decoder; it is not thread-safe (a decoder belongs to one pipeline thread).
final class TDXRequestMemo: @unchecked Sendable {
    private struct Entry {
        var command: UInt16
        var flag: UInt8
        var body: [UInt8]
        var decoded: TDXRequestBody
    }

    static let slots = 1024
    static let maxBody = 1024
    private var entries: [Entry?] = Array(repeating: nil, count: TDXRequestMemo.slots)
    /// Lookups answered from the memo and bodies decoded (for tests).
    private(set) var hits = 0
    private(set) var misses = 0

    /// The decoding of a quotes request for its event (`TDXRequestBody(command:flag:body:)`).
    func quotesRequest(command: UInt16, flag: UInt8, body: UnsafeRawBufferPointer) -> TDXRequestBody {
        guard body.count <= Self.maxBody else { return TDXRequestBody(command: command, flag: flag, body: body) }
        let slot = Int(truncatingIfNeeded: Self.hash(body) % UInt64(Self.slots))
        if let entry = entries[slot], entry.command == command, entry.flag == flag,
            entry.body.withUnsafeBytes({ memoryEqual($0, body) })
        {
            hits &+= 1
            return entry.decoded
        }
        misses &+= 1
        let decoded = TDXRequestBody(command: command, flag: flag, body: body)
        entries[slot] = Entry(command: command, flag: flag, body: Array(body), decoded: decoded)
        return decoded
    }

    /// Entries held.
    var count: Int { entries.lazy.filter { $0 != nil }.count }

    /// A hash of `bytes`, eight at a time.
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash = UInt64(truncatingIfNeeded: bytes.count)
        var index = 0
        while index + 8 <= bytes.count {
            hash = mix64(hash ^ bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            index += 8
        }
        var last: UInt64 = 0
        while index < bytes.count {
            last = last << 8 | UInt64(bytes[index])
            index += 1
        }
        return mix64(hash ^ last)
    }
}
