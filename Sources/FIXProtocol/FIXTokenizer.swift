internal import CSupport

/// One `tag=value` field of a message: the tag and where its value lies in the message bytes.
package struct FIXField: Sendable, Equatable {
    /// The tag number.
    package var tag: Int
    /// Offset of the value's first byte, relative to the buffer the message was tokenized from.
    package var valueStart: Int
    /// Offset one past the value's last byte.
    package var valueEnd: Int

    /// The value's length in bytes.
    package var valueLength: Int { valueEnd - valueStart }
}

/// Splits a framed message into fields, honouring length/data pairs.
///
/// The field storage is kept from message to message and grows to the largest message seen, so
/// tokenizing allocates nothing and appends cost a store (no copy-on-write check per field).
///
/// One tokenizer is shared by all the sessions of a decoder; it is not thread-safe, and a decoder
/// (with its sessions) belongs to one pipeline thread.
package final class FIXTokenizer: @unchecked Sendable {
    private var storage: UnsafeMutablePointer<FIXField>
    private var capacity = 32
    private var count = 0
    /// Bit `tag & 63` for every field of the last message tokenized (`FIXMessage.tagsSeen`).
    package private(set) var tagsSeen: UInt64 = 0
    /// Anomalies met while tokenizing the last message.
    package private(set) var anomalies: [FIXAnomaly] = []
    /// Length/data pairs beyond the standard ones (from a loaded dictionary), or nil.
    private let customDataPairs: [Int: Int]?
    /// The length tags (those that announce a data field), a bit per tag below
    /// `lengthTagLimit`, for the plain-message path (`tapsentry_fix_tokenize`); nil when a
    /// dictionary's length tag lies past `maxLengthTag` (then every message takes the Swift path).
    private let lengthTags: UnsafeMutablePointer<UInt64>?
    private let lengthTagLimit: Int
    private static let maxLengthTag = 1 << 16

    /// A tokenizer for the standard length/data pairs, or for `dataPairs` when a dictionary
    /// defines more.
    package init(dataPairs: [Int: Int]? = nil) {
        storage = UnsafeMutablePointer<FIXField>.allocate(capacity: capacity)
        customDataPairs = dataPairs
        let tags = Array((dataPairs ?? FIXDataFields.pairs).keys)
        if tags.allSatisfy({ $0 >= 0 && $0 < Self.maxLengthTag }) {
            let words = ((tags.max() ?? 0) >> 6) + 1
            let bits = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
            bits.initialize(repeating: 0, count: words)
            for tag in tags { bits[tag >> 6] |= 1 << UInt64(tag & 63) }
            lengthTags = bits
            lengthTagLimit = words * 64
        } else {
            lengthTags = nil
            lengthTagLimit = 0
        }
    }

    deinit {
        storage.deallocate()
        lengthTags?.deallocate()
    }

    /// The fields of the last message tokenized, in wire order (BeginString, BodyLength and
    /// CheckSum included); valid until the next `tokenize`.
    package var fieldBuffer: UnsafeBufferPointer<FIXField> {
        UnsafeBufferPointer(start: storage, count: count)
    }

    /// The fields of the last message tokenized, as an array.
    package var fields: [FIXField] { Array(fieldBuffer) }

    @inline(__always)
    private func append(_ field: FIXField) {
        if count == capacity {
            let grown = UnsafeMutablePointer<FIXField>.allocate(capacity: capacity * 2)
            grown.moveInitialize(from: storage, count: count)
            storage.deallocate()
            storage = grown
            capacity *= 2
        }
        (storage + count).initialize(to: field)
        count += 1
        tagsSeen |= 1 &<< UInt64(field.tag & 63)
    }

    /// The offset of the first SOH in `base[from..<end]`, or `end`: eight bytes at a time while
    /// eight remain (a word has an SOH byte where `(x - 0x01…) & ~x & 0x80…` is set, x = word ^ 0x01…).
    @inline(__always)
    private func nextSOH(_ base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var index = from
        let raw = UnsafeRawPointer(base)
        while index + 8 <= end {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) ^ 0x0101_0101_0101_0101
            let found = (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
            if found != 0 { return index + found.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < end && base[index] != soh { index += 1 }
        return index
    }

    /// Tokenizes `bytes[range]` (one framed tag=value message).
    ///
    /// A message whose every field is plain (canonical digits, `=`, the value up to the next SOH,
    /// no length tag) is split in C, the values found sixteen bytes at a time
    /// (`tapsentry_fix_tokenize`): on the mixed benchmark capture this loop was 7.7 % of a
    /// one-worker run's instructions, 116 per field. Any other message (a malformed field, a
    /// non-canonical tag, a length/data pair, more fields than the storage holds) is taken from
    /// the start by the loop below, which reports the anomalies and honours the pairs; both give
    /// the same fields for a plain message (a test compares them).
    package func tokenize(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        tokenize(bytes, range, fastPath: true)
    }

    /// Tokenizes `bytes[range]` with no fast path (tests compare it with `tokenize`).
    package func tokenizeWithoutFastPath(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        tokenize(bytes, range, fastPath: false)
    }

    /// Whether the last `tokenize` took the C path.
    package private(set) var tookFastPath = false

    @inline(__always)
    private func tokenize(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, fastPath: Bool) {
        count = 0
        tagsSeen = 0
        tookFastPath = false
        if !anomalies.isEmpty { anomalies.removeAll(keepingCapacity: true) }
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), range.upperBound <= bytes.count else { return }
        if fastPath, let lengthTags {
            let found = UnsafeMutableRawPointer(storage).withMemoryRebound(to: tapsentry_fix_field.self, capacity: capacity) { fields in
                tapsentry_fix_tokenize(base, range.lowerBound, range.upperBound, lengthTags, lengthTagLimit, fields, capacity, &tagsSeen)
            }
            if found >= 0 {
                count = found
                tookFastPath = true
                return
            }
        }
        tokenizeInSwift(base, range)
    }

    /// The tokenizer for every message: anomalies, length/data pairs, growing storage.
    private func tokenizeInSwift(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) {
        let bytes = UnsafeRawBufferPointer(start: base, count: range.upperBound)
        var index = range.lowerBound
        let end = range.upperBound
        // The data tag whose length the previous field gave (0: none), and that length.
        var pendingTag = 0
        var pendingLength = 0
        var flags = 0  // bit 0: non-canonical tag seen, bit 1: malformed field seen
        while index < end {
            let tagStart = index
            var tag = 0
            var digit = base[index] &- 0x30
            while digit < 10 {
                tag = tag &* 10 &+ Int(digit)
                index += 1
                if index == end || index - tagStart > 9 { break }
                digit = base[index] &- 0x30
            }
            guard index > tagStart, index < end, base[index] == UInt8(ascii: "=") else {
                // Not digits=…: skip to the next SOH and go on.
                if flags & 2 == 0 { anomalies.append(.malformedField); flags |= 2 }
                index = nextSOH(base, from: index, end: end) + 1
                pendingTag = 0
                continue
            }
            if base[tagStart] == UInt8(ascii: "0") && index - tagStart > 1 && flags & 1 == 0 {
                anomalies.append(.nonCanonicalTag)
                flags |= 1
            }
            let valueStart = index + 1
            if pendingTag != 0 {
                let wanted = pendingTag
                pendingTag = 0
                if wanted == tag {
                    let valueEnd = valueStart + pendingLength
                    if valueEnd <= end && (valueEnd == end || base[valueEnd] == soh) {
                        append(FIXField(tag: tag, valueStart: valueStart, valueEnd: valueEnd))
                        index = valueEnd + 1
                        continue
                    }
                    // The declared length runs past the message or misses the SOH: fall back to SOH.
                    anomalies.append(.dataLengthOverrun)
                }
            }
            let valueEnd = nextSOH(base, from: valueStart, end: end)
            append(FIXField(tag: tag, valueStart: valueStart, valueEnd: valueEnd))
            if tag >= 90, let dataTag = customDataPairs.map({ $0[tag] }) ?? FIXDataFields.dataTag(forLength: tag),
                let length = FIXFraming.parseInt(bytes, valueStart..<valueEnd)
            {
                pendingTag = dataTag
                pendingLength = length
            }
            index = valueEnd + 1
        }
    }
}
