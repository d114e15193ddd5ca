internal import CSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SOH field delimiter.
let soh: UInt8 = 0x01

/// Finds FIX messages in a byte buffer: "how long is the next message?" and nothing more.
///
/// A message is framed by BodyLength (zero-padded values accepted). When BodyLength does not
/// point at `10=`, the fields are walked from the body start — honouring every length/data pair,
/// so an SOH or `8=FIX` inside RawData never breaks framing — to find the real trailer, and the
/// frame is marked `bodyLengthValid == false`.
package enum FIXFraming {
    /// What framing found at an offset.
    package enum Result: Equatable {
        /// A whole message.
        case frame(FIXFrame)
        /// The bytes so far are the start of a message; more are needed.
        case needMore
        /// The bytes at the offset are not a FIX envelope.
        case notAMessage
        /// A message announcing more than the size limit; `skip` bytes of header can be dropped.
        case tooLarge(bodyLength: Int, skip: Int)
    }

    /// The longest BeginString token accepted.
    static let maxTokenLength = 32
    /// The most digits BodyLength may have (zero padding included).
    static let maxLengthDigits = 10

    /// Frames the message that starts at `start` (where `8=` must be).
    ///
    /// `final` says no more bytes will come (end of stream or a gap follows): a message whose
    /// BodyLength points past the end is then framed by its trailer if it has one.
    package static func frame(
        _ bytes: UnsafeRawBufferPointer, at start: Int, maxMessageSize: Int, final: Bool = false
    ) -> Result {
        let count = bytes.count
        // 8=<token>␁
        guard start + 2 <= count else { return .needMore }
        guard bytes[start] == UInt8(ascii: "8"), bytes[start + 1] == UInt8(ascii: "=") else { return .notAMessage }
        let tokenStart = start + 2
        var index = tokenStart
        while index < count && bytes[index] != soh {
            let byte = bytes[index]
            guard byte > 0x20 && byte < 0x7F, index - tokenStart < maxTokenLength else { return .notAMessage }
            index += 1
        }
        guard index < count else { return .needMore }
        let tokenLength = index - tokenStart
        guard tokenLength > 0 else { return .notAMessage }
        // 9=<digits>␁
        index += 1
        guard index + 2 <= count else { return .needMore }
        guard bytes[index] == UInt8(ascii: "9"), bytes[index + 1] == UInt8(ascii: "=") else { return .notAMessage }
        index += 2
        var bodyLength = 0
        let digitsStart = index
        while index < count && bytes[index] != soh {
            let byte = bytes[index]
            guard byte >= 0x30 && byte <= 0x39, index - digitsStart < maxLengthDigits else { return .notAMessage }
            bodyLength = bodyLength * 10 + Int(byte - 0x30)
            index += 1
        }
        guard index < count else { return .needMore }
        guard index > digitsStart else { return .notAMessage }
        let bodyStart = index + 1
        if bodyLength > maxMessageSize {
            return .tooLarge(bodyLength: bodyLength, skip: bodyStart - start)
        }
        let beginString = UnsafeRawBufferPointer(rebasing: bytes[tokenStart..<(tokenStart + tokenLength)])
        var frame = FIXFrame(
            start: start, beginStringStart: tokenStart, beginStringLength: tokenLength, bodyLength: bodyLength,
            bodyStart: bodyStart, trailerStart: bodyStart + bodyLength, end: bodyStart + bodyLength,
            bodyLengthValid: true, checksumWritten: nil, checksumThreeDigits: false, checksumComputed: 0
        )
        let expectedTrailer = bodyStart + bodyLength
        switch FIXEnvelope.of(beginString) {
        case .compressed:
            return expectedTrailer <= count ? .frame(frame) : .needMore
        case .proprietary:
            guard expectedTrailer <= count else { return .needMore }
            // Some proprietary envelopes still end with a CheckSum; most (IB's `8=O`) do not.
            if case .found(let end)? = trailer(in: bytes, at: expectedTrailer) {
                finishTrailer(&frame, bytes, trailerStart: expectedTrailer, end: end)
            }
            return .frame(frame)
        case .tagValue:
            if expectedTrailer + 3 <= count {
                switch trailer(in: bytes, at: expectedTrailer) {
                case .found(let end)?:
                    finishTrailer(&frame, bytes, trailerStart: expectedTrailer, end: end)
                    return .frame(frame)
                case .incomplete?:
                    if !final { return .needMore }
                case nil:
                    break
                }
            } else if !final {
                return .needMore
            }
            // BodyLength does not lead to `10=`: find the trailer by walking the fields.
            switch scanForTrailer(bytes, from: bodyStart) {
            case .found(let trailerStart, let end):
                frame.bodyLengthValid = false
                finishTrailer(&frame, bytes, trailerStart: trailerStart, end: end)
                return .frame(frame)
            case .incomplete:
                if count - start > maxMessageSize {
                    return .tooLarge(bodyLength: bodyLength, skip: bodyStart - start)
                }
                return .needMore
            }
        }
    }

    /// The length a tag=value message starting at `bytes[0]` will have if its BodyLength is right
    /// (header, body and a three-digit CheckSum field), once its header is complete; else nil.
    package static func expectedLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "8"), bytes[1] == UInt8(ascii: "="),
            let tokenEnd = nextSOH(bytes, from: 2), tokenEnd - 2 <= maxTokenLength,
            tokenEnd + 3 <= bytes.count, bytes[tokenEnd + 1] == UInt8(ascii: "9"), bytes[tokenEnd + 2] == UInt8(ascii: "=")
        else { return nil }
        var index = tokenEnd + 3
        var bodyLength = 0
        while index < bytes.count, bytes[index] != soh {
            let digit = bytes[index] &- 0x30
            guard digit < 10, index - tokenEnd - 3 < maxLengthDigits else { return nil }
            bodyLength = bodyLength * 10 + Int(digit)
            index += 1
        }
        guard index < bytes.count, index > tokenEnd + 3 else { return nil }
        return index + 1 + bodyLength + 7
    }

    private enum TrailerProbe {
        case found(end: Int)
        case incomplete
    }

    /// Whether `10=<digits>␁` starts at `offset`; nil when something else is there.
    private static func trailer(in bytes: UnsafeRawBufferPointer, at offset: Int) -> TrailerProbe? {
        let count = bytes.count
        guard offset + 3 <= count else { return .incomplete }
        guard bytes[offset] == UInt8(ascii: "1"), bytes[offset + 1] == UInt8(ascii: "0"), bytes[offset + 2] == UInt8(ascii: "=") else {
            return nil
        }
        var index = offset + 3
        while index < count && index < offset + 3 + 8 {
            if bytes[index] == soh { return .found(end: index + 1) }
            index += 1
        }
        return index < offset + 3 + 8 ? .incomplete : nil
    }

    private static func finishTrailer(_ frame: inout FIXFrame, _ bytes: UnsafeRawBufferPointer, trailerStart: Int, end: Int) {
        frame.trailerStart = trailerStart
        frame.end = end
        var written = 0
        var digits = 0
        var numeric = true
        for index in (trailerStart + 3)..<(end - 1) {
            let byte = bytes[index]
            if byte >= 0x30 && byte <= 0x39 {
                written = written * 10 + Int(byte - 0x30)
                digits += 1
            } else {
                numeric = false
            }
        }
        frame.checksumWritten = numeric && digits > 0 && digits <= 3 ? written : nil
        frame.checksumThreeDigits = numeric && digits == 3
        frame.checksumComputed = checksum(UnsafeRawBufferPointer(rebasing: bytes[frame.start..<trailerStart]))
    }

    /// The FIX CheckSum: the sum of the bytes mod 256.
    @inline(__always)
    package static func checksum(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        return Int(tapsentry_byte_sum(base.assumingMemoryBound(to: UInt8.self), bytes.count) & 0xFF)
    }

    private enum ScanResult {
        case found(trailerStart: Int, end: Int)
        case incomplete
    }

    /// Walks fields from `offset` (a field start) to the first `10=` field, skipping the declared
    /// length of every data field.
    private static func scanForTrailer(_ bytes: UnsafeRawBufferPointer, from offset: Int) -> ScanResult {
        var index = offset
        var pendingDataLength: (tag: Int, length: Int)?
        let count = bytes.count
        while index < count {
            let fieldStart = index
            var tag = 0
            var digits = 0
            while index < count, bytes[index] >= 0x30, bytes[index] <= 0x39, digits < 10 {
                tag = tag * 10 + Int(bytes[index] - 0x30)
                digits += 1
                index += 1
            }
            guard index < count else { return .incomplete }
            if digits > 0 && bytes[index] == UInt8(ascii: "=") && tag == 10 {
                if case .found(let end)? = trailer(in: bytes, at: fieldStart) {
                    return .found(trailerStart: fieldStart, end: end)
                }
                return .incomplete
            }
            if digits > 0, bytes[index] == UInt8(ascii: "="), let pending = pendingDataLength, pending.tag == tag {
                // A data field: its length was given by the field before it.
                let valueEnd = index + 1 + pending.length
                guard valueEnd < count else { return .incomplete }
                index = valueEnd
                pendingDataLength = nil
                if bytes[index] == soh { index += 1 }
                continue
            }
            let valueStart = index + 1
            guard let valueEnd = nextSOH(bytes, from: min(valueStart, count)) else { return .incomplete }
            if digits > 0, let dataTag = FIXDataFields.dataTag(forLength: tag) {
                pendingDataLength = (dataTag, parseInt(bytes, valueStart..<valueEnd) ?? 0)
            } else {
                pendingDataLength = nil
            }
            index = valueEnd + 1
        }
        return .incomplete
    }

    /// Offset of the next SOH at or after `offset`, or nil.
    @inline(__always)
    package static func nextSOH(_ bytes: UnsafeRawBufferPointer, from offset: Int) -> Int? {
        guard offset < bytes.count, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + offset, Int32(soh), bytes.count - offset) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// A non-negative decimal integer, or nil.
    package static func parseInt(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for index in range {
            let byte = bytes[index]
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// The offset of the next plausible message start (`8=` followed by a token and `␁9=`) at or
    /// after `offset`, or of a partial one at the very end; nil when there is none.
    package static func findEnvelope(_ bytes: UnsafeRawBufferPointer, from offset: Int) -> Int? {
        var index = offset
        let count = bytes.count
        guard let base = bytes.baseAddress else { return nil }
        while index < count {
            guard let found = memchr(base + index, Int32(UInt8(ascii: "8")), count - index) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(found))
            switch frameHeaderLooksValid(bytes, at: at) {
            case true?: return at
            case nil: return at  // could still be a message; wait for more bytes
            case false?: index = at + 1
            }
        }
        return nil
    }

    /// Whether a whole `8=<token>␁9=<digits>␁` header starts at `offset`.
    package static func headerIsComplete(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        guard frameHeaderLooksValid(bytes, at: offset) == true else { return false }
        guard let tokenEnd = nextSOH(bytes, from: offset), let lengthEnd = nextSOH(bytes, from: tokenEnd + 1) else { return false }
        return lengthEnd > tokenEnd + 3
    }

    /// Whether `8=<token>␁9=<digit>` starts at `offset` (nil: not enough bytes to tell).
    private static func frameHeaderLooksValid(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool? {
        let count = bytes.count
        var index = offset + 1
        guard index < count else { return nil }
        guard bytes[index] == UInt8(ascii: "=") else { return false }
        index += 1
        let tokenStart = index
        while index < count && bytes[index] != soh {
            let byte = bytes[index]
            guard byte > 0x20 && byte < 0x7F, index - tokenStart < maxTokenLength else { return false }
            index += 1
        }
        guard index < count else { return nil }
        guard index > tokenStart else { return false }
        guard index + 3 < count else { return nil }
        return bytes[index + 1] == UInt8(ascii: "9") && bytes[index + 2] == UInt8(ascii: "=")
            && bytes[index + 3] >= 0x30 && bytes[index + 3] <= 0x39
    }
}

/// The length/data field pairs of the FIX dictionaries: a data field may contain any byte,
/// SOH included, and is as long as the length field before it says.
package enum FIXDataFields {
    /// Length tag → data tag: every LENGTH field paired with its DATA/XMLDATA field in the
    /// QuickFIX FIX 4.0–5.0 SP2 and FIXT 1.1 dictionaries (the pairing the wheel's XML gives).
    package static let pairs: [Int: Int] = [
        90: 91, 93: 89, 95: 96, 212: 213, 348: 349, 350: 351, 352: 353, 354: 355, 356: 357, 358: 359,
        360: 361, 362: 363, 364: 365, 445: 446, 618: 619, 621: 622, 1184: 1185, 1277: 1278, 1280: 1281,
        1282: 1283, 1397: 1398, 1401: 1402, 1403: 1404, 1468: 1469,
    ]

    /// The data tag whose length `tag` gives, if `tag` is a length field.
    @inline(__always)
    package static func dataTag(forLength tag: Int) -> Int? {
        switch tag {
        case 90, 93, 95, 212, 348, 350, 352, 354, 356, 358, 360, 362, 364, 445, 618, 621, 1184, 1277, 1280, 1282,
            1397, 1401, 1403, 1468:
            return pairs[tag]
        default:
            return nil
        }
    }
}
