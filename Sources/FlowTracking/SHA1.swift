/// SHA-1 (FIPS 180-4), self-contained, for Community ID hashing.
///
/// Not for security: Community ID uses SHA-1 only as a well-known, stable mixing function.
/// Feed bytes with `update`, then call `finalize()` once for the 20-byte digest.
package struct SHA1: Sendable {
    /// The digest length in bytes.
    package static let digestLength = 20

    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
    /// Bytes waiting for a full 64-byte block (the first `pendingCount` of them), held inline so
    /// that hashing allocates nothing.
    private var pending = SHA1Block()
    private var pendingCount = 0
    /// Total message length so far, in bytes.
    private var length: UInt64 = 0

    /// A hasher with nothing fed yet.
    package init() {}

    /// The SHA-1 digest of `bytes`.
    package static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = SHA1()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The SHA-1 digest of `bytes` as five big-endian words (no allocation).
    package static func words(_ bytes: UnsafeRawBufferPointer) -> (UInt32, UInt32, UInt32, UInt32, UInt32) {
        var hasher = SHA1()
        hasher.update(bytes)
        return hasher.finalizeWords()
    }

    /// Feeds more message bytes.
    package mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds more message bytes from raw memory.
    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count)
        var index = 0
        if pendingCount > 0 {
            let take = min(64 - pendingCount, bytes.count)
            appendPending(UnsafeRawBufferPointer(rebasing: bytes[0..<take]))
            index = take
            if pendingCount == 64 { compressPending() }
        }
        while bytes.count - index >= 64 {
            compress(block: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + 64)]))
            index += 64
        }
        if index < bytes.count {
            appendPending(UnsafeRawBufferPointer(rebasing: bytes[index...]))
        }
    }

    /// Pads the message and returns the 20-byte digest. The hasher must not be used afterwards.
    package mutating func finalize() -> [UInt8] {
        let words = finalizeWords()
        var digest = [UInt8]()
        digest.reserveCapacity(Self.digestLength)
        for word in [words.0, words.1, words.2, words.3, words.4] {
            digest.append(UInt8(truncatingIfNeeded: word >> 24))
            digest.append(UInt8(truncatingIfNeeded: word >> 16))
            digest.append(UInt8(truncatingIfNeeded: word >> 8))
            digest.append(UInt8(truncatingIfNeeded: word))
        }
        return digest
    }

    /// Pads the message and returns the digest as five words. The hasher must not be used afterwards.
    package mutating func finalizeWords() -> (UInt32, UInt32, UInt32, UInt32, UInt32) {
        let bitLength = length &* 8
        appendPending(0x80)
        if pendingCount > 56 {
            while pendingCount < 64 { appendPending(0) }
            compressPending()
        }
        while pendingCount < 56 { appendPending(0) }
        for shift in stride(from: 56, through: 0, by: -8) {
            appendPending(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        compressPending()
        return state
    }

    private mutating func appendPending(_ bytes: UnsafeRawBufferPointer) {
        let offset = pendingCount
        withUnsafeMutableBytes(of: &pending) { block in
            UnsafeMutableRawBufferPointer(rebasing: block[offset..<offset + bytes.count]).copyMemory(from: bytes)
        }
        pendingCount += bytes.count
    }

    private mutating func appendPending(_ byte: UInt8) {
        let offset = pendingCount
        withUnsafeMutableBytes(of: &pending) { $0[offset] = byte }
        pendingCount += 1
    }

    private mutating func compressPending() {
        let block = pending
        withUnsafeBytes(of: block) { compress(block: $0) }
        pendingCount = 0
    }

    /// Processes one 64-byte block.
    private mutating func compress(block: UnsafeRawBufferPointer) {
        var w = (
            UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
            UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0)
        )
        withUnsafeMutableBytes(of: &w) { raw in
            let words = raw.bindMemory(to: UInt32.self)
            for i in 0..<16 {
                words[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
            }
            var a = state.0, b = state.1, c = state.2, d = state.3, e = state.4
            // Each round of 20 steps in a loop of its own: testing the round at every step cost
            // about as much as the step.
            for t in 0..<16 {
                let f = d ^ (b & (c ^ d))
                Self.step(&a, &b, &c, &d, &e, f &+ 0x5A82_7999 &+ words[t])
            }
            for t in 16..<20 {
                let f = d ^ (b & (c ^ d))
                Self.step(&a, &b, &c, &d, &e, f &+ 0x5A82_7999 &+ Self.schedule(words, t))
            }
            for t in 20..<40 {
                Self.step(&a, &b, &c, &d, &e, (b ^ c ^ d) &+ 0x6ED9_EBA1 &+ Self.schedule(words, t))
            }
            for t in 40..<60 {
                let f = (b & c) | (d & (b | c))
                Self.step(&a, &b, &c, &d, &e, f &+ 0x8F1B_BCDC &+ Self.schedule(words, t))
            }
            for t in 60..<80 {
                Self.step(&a, &b, &c, &d, &e, (b ^ c ^ d) &+ 0xCA62_C1D6 &+ Self.schedule(words, t))
            }
            state.0 &+= a
            state.1 &+= b
            state.2 &+= c
            state.3 &+= d
            state.4 &+= e
        }
    }
}

extension SHA1 {
    /// Word `t` (16 or later) of the message schedule, kept in 16 words that step `t` overwrites
    /// in turn.
    @inline(__always)
    fileprivate static func schedule(_ words: UnsafeMutableBufferPointer<UInt32>, _ t: Int) -> UInt32 {
        let s = t & 15
        let word = (words[(s + 13) & 15] ^ words[(s + 8) & 15] ^ words[(s + 2) & 15] ^ words[s]).rotatedLeft(by: 1)
        words[s] = word
        return word
    }

    /// One step: `input` is the round's function of b, c and d, plus its constant and the word.
    @inline(__always)
    fileprivate static func step(
        _ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32, _ e: inout UInt32, _ input: UInt32
    ) {
        let temp = a.rotatedLeft(by: 5) &+ e &+ input
        e = d
        d = c
        c = b.rotatedLeft(by: 30)
        b = a
        a = temp
    }
}

/// 64 bytes inline.
private struct SHA1Block {
    var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
}

extension UInt32 {
    /// This value rotated left by `count` bits (0 < count < 32).
    @inline(__always)
    fileprivate func rotatedLeft(by count: UInt32) -> UInt32 {
        (self << count) | (self >> (32 - count))
    }
}
