import PacketCapture

/// What `StreamMangler` made of a stream: the segments to send, in order, and the byte ranges no
/// segment carries any more (the gaps a reassembler must report).
package struct MangledStream: Sendable {
    /// The segments, re-cut, reordered, duplicated and with some dropped.
    package var segments: [Segment]
    /// The lost ranges, in stream order.
    package var lost: [SequenceRange]

    /// The number of bytes lost.
    package var lostBytes: Int { lost.reduce(0) { $0 + $1.length } }
}

/// Damages one direction of a TCP stream the way a network and a capture point do, from a fixed
/// seed so the result is the same on every run: re-cuts it into random piece sizes, adds
/// duplicate and overlapping retransmissions (always with the same bytes), drops some pieces,
/// and reorders within a window.
///
/// ```swift
/// var mangler = StreamMangler(seed: 7, dropCount: 1)
/// let result = mangler.mangle(conversation.makeSegments(from: .client, data))
/// conversation.append(result.segments, from: .client)
/// // result.lost == [SequenceRange(sequence: ..., length: ...)]
/// ```
package struct StreamMangler: Sendable {
    /// The random source.
    package var generator: SeededGenerator
    /// Sizes to re-cut the stream into; nil keeps the segments as given.
    package var pieceSizes: ClosedRange<Int>?
    /// How far a segment may move from its place (0 keeps the order).
    package var reorderWindow: Int
    /// The chance that a piece is sent twice.
    package var duplicateProbability: Double
    /// The chance that a retransmission spanning a piece and the next one is added.
    package var overlapProbability: Double
    /// How many pieces to drop (never the first or the last, so every gap has data after it).
    package var dropCount: Int
    /// The flags of every output segment.
    package var flags: TCPFlags

    /// A mangler with the given seed and settings.
    package init(
        seed: UInt64 = 0x5EED, pieceSizes: ClosedRange<Int>? = 1...1460, reorderWindow: Int = 3,
        duplicateProbability: Double = 0.05, overlapProbability: Double = 0.05, dropCount: Int = 0,
        flags: TCPFlags = [.ack, .psh]
    ) {
        self.generator = SeededGenerator(seed: seed)
        self.pieceSizes = pieceSizes
        self.reorderWindow = reorderWindow
        self.duplicateProbability = duplicateProbability
        self.overlapProbability = overlapProbability
        self.dropCount = dropCount
        self.flags = flags
    }

    /// Mangles the data segments of one direction (payload-less segments are ignored). The
    /// first segment's sequence number is the base; sequence numbers may wrap.
    package mutating func mangle(_ segments: [Segment]) -> MangledStream {
        let data = segments.filter { !$0.payload.isEmpty }
        guard let base = data.first?.sequence else { return MangledStream(segments: [], lost: []) }
        var streamLength = 0
        for segment in data {
            streamLength = max(streamLength, Int(segment.sequence &- base) + segment.payload.count)
        }
        var bytes = [UInt8](repeating: 0, count: streamLength)
        var present = [Bool](repeating: false, count: streamLength)
        var originalPieces: [Range<Int>] = []
        for segment in data {
            let start = Int(segment.sequence &- base)
            for (index, byte) in segment.payload.enumerated() {
                bytes[start + index] = byte
                present[start + index] = true
            }
            originalPieces.append(start..<(start + segment.payload.count))
        }

        let pieces = cut(originalPieces: originalPieces, present: present)
        var dropped = Set<Int>()
        if pieces.count >= 3 {
            let wanted = min(dropCount, pieces.count - 2)
            while dropped.count < wanted { dropped.insert(generator.int(in: 1...(pieces.count - 2))) }
        }

        var output: [Range<Int>] = []
        for (index, piece) in pieces.enumerated() where !dropped.contains(index) {
            output.append(piece)
            if generator.chance(duplicateProbability) { output.append(piece) }
            if index + 1 < pieces.count, !dropped.contains(index + 1), generator.chance(overlapProbability) {
                let next = pieces[index + 1]
                if next.lowerBound == piece.upperBound {
                    let start = piece.lowerBound + piece.count / 2
                    let end = next.lowerBound + max(1, next.count / 2)
                    output.append(start..<end)
                }
            }
        }

        if reorderWindow > 0 {
            var keyed = output.enumerated().map { (key: $0.offset * 16 + generator.int(in: 0...(reorderWindow * 16)), order: $0.offset, range: $0.element) }
            keyed.sort { $0.key != $1.key ? $0.key < $1.key : $0.order < $1.order }
            output = keyed.map(\.range)
        }

        var covered = [Bool](repeating: false, count: streamLength)
        for range in output { for index in range { covered[index] = true } }
        var lost: [SequenceRange] = []
        var index = 0
        while index < streamLength {
            if present[index] && !covered[index] {
                let start = index
                while index < streamLength && present[index] && !covered[index] { index += 1 }
                lost.append(SequenceRange(sequence: base &+ UInt32(start), length: index - start))
            } else {
                index += 1
            }
        }

        let result = output.map {
            Segment(sequence: base &+ UInt32($0.lowerBound), flags: flags, payload: Array(bytes[$0]))
        }
        return MangledStream(segments: result, lost: lost)
    }

    /// The pieces to send: the original segments, or each run of present bytes cut at random.
    private mutating func cut(originalPieces: [Range<Int>], present: [Bool]) -> [Range<Int>] {
        guard let sizes = pieceSizes else { return originalPieces }
        var pieces: [Range<Int>] = []
        var index = 0
        while index < present.count {
            guard present[index] else {
                index += 1
                continue
            }
            var end = index
            while end < present.count && present[end] { end += 1 }
            var start = index
            while start < end {
                let size = generator.int(in: max(1, sizes.lowerBound)...max(1, sizes.upperBound))
                let pieceEnd = min(start + size, end)
                pieces.append(start..<pieceEnd)
                start = pieceEnd
            }
            index = end
        }
        return pieces
    }
}
