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
/// The field array is reused from message to message, so tokenizing allocates nothing once it
/// has grown to the largest message seen.
package struct FIXTokenizer: Sendable {
    /// The fields of the last message tokenized, in wire order (BeginString, BodyLength and
    /// CheckSum included).
    package private(set) var fields: [FIXField] = []
    /// Anomalies met while tokenizing the last message.
    package private(set) var anomalies: [FIXAnomaly] = []

    /// Length/data pairs beyond the standard ones (from a loaded dictionary), or nil.
    private let customDataPairs: [Int: Int]?

    /// A tokenizer for the standard length/data pairs, or for `dataPairs` when a dictionary
    /// defines more.
    package init(dataPairs: [Int: Int]? = nil) {
        fields.reserveCapacity(64)
        customDataPairs = dataPairs == FIXDataFields.pairs ? nil : dataPairs
    }

    /// Tokenizes `bytes[range]` (one framed tag=value message).
    package mutating func tokenize(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        fields.removeAll(keepingCapacity: true)
        anomalies.removeAll(keepingCapacity: true)
        var index = range.lowerBound
        let end = range.upperBound
        var pendingData: (tag: Int, length: Int)?
        var sawNonCanonical = false
        var sawMalformed = false
        while index < end {
            var tag = 0
            var digits = 0
            let tagStart = index
            while index < end, bytes[index] >= 0x30, bytes[index] <= 0x39, digits < 10 {
                tag = tag * 10 + Int(bytes[index] - 0x30)
                digits += 1
                index += 1
            }
            guard digits > 0, index < end, bytes[index] == UInt8(ascii: "=") else {
                // Not digits=…: skip to the next SOH and go on.
                if !sawMalformed { anomalies.append(.malformedField); sawMalformed = true }
                guard let next = FIXFraming.nextSOH(bytes, from: index), next < end else { return }
                index = next + 1
                continue
            }
            if digits > 1 && bytes[tagStart] == UInt8(ascii: "0") && !sawNonCanonical {
                anomalies.append(.nonCanonicalTag)
                sawNonCanonical = true
            }
            let valueStart = index + 1
            if let pending = pendingData, pending.tag == tag {
                pendingData = nil
                let valueEnd = valueStart + pending.length
                if valueEnd <= end && (valueEnd == end || bytes[valueEnd] == soh) {
                    fields.append(FIXField(tag: tag, valueStart: valueStart, valueEnd: valueEnd))
                    index = valueEnd + 1
                    continue
                }
                // The declared length runs past the message or misses the SOH: fall back to SOH.
                anomalies.append(.dataLengthOverrun)
            }
            let valueEnd = FIXFraming.nextSOH(bytes, from: valueStart).map { min($0, end) } ?? end
            fields.append(FIXField(tag: tag, valueStart: valueStart, valueEnd: valueEnd))
            if let dataTag = customDataPairs.map({ $0[tag] }) ?? FIXDataFields.dataTag(forLength: tag) {
                pendingData = (dataTag, FIXFraming.parseInt(bytes, valueStart..<valueEnd) ?? -1)
                if pendingData?.length ?? -1 < 0 { pendingData = nil }
            } else {
                pendingData = nil
            }
            index = valueEnd + 1
        }
    }
}
