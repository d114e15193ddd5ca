import PacketCapture
import Testing
import TestSupport

@testable import FlowTracking

/// Collects what a reassembler delivers: the bytes (gaps filled with a marker length) in order.
struct RecordingSink: ReassemblySink {
    var bytes: [UInt8] = []
    var gaps: [(at: Int, length: UInt64)] = []
    var ended = 0

    mutating func deliver(_ chunk: UnsafeRawBufferPointer) {
        #expect(ended == 0, "data after end")
        bytes.append(contentsOf: chunk)
    }

    mutating func gap(_ length: UInt64) {
        gaps.append((bytes.count, length))
        // Keep positions aligned with the original stream by filling the hole with zeros.
        bytes.append(contentsOf: [UInt8](repeating: 0, count: Int(length)))
    }

    mutating func end() { ended += 1 }
}

struct Seg {
    var sequence: UInt32
    var flags: TCPFlags
    var payload: [UInt8]
}

func feed(_ segments: [Seg], context: inout ReassemblyContext, reassembler: inout TCPReassembler, sink: inout RecordingSink) {
    for segment in segments {
        segment.payload.withUnsafeBytes { payload in
            reassembler.segment(sequence: segment.sequence, flags: segment.flags, payload: payload, context: &context, sink: &sink)
        }
    }
}

/// Cuts `stream` into random segments after a SYN at `isn`, ending with a FIN.
func segmentize(_ stream: [UInt8], isn: UInt32, rng: inout SeededGenerator, maxSize: Int = 1460) -> [Seg] {
    var segments = [Seg(sequence: isn, flags: [.syn], payload: [])]
    var offset = 0
    while offset < stream.count {
        let size = Int.random(in: 1...maxSize, using: &rng)
        let end = min(stream.count, offset + size)
        segments.append(Seg(sequence: isn &+ 1 &+ UInt32(offset), flags: [.ack], payload: Array(stream[offset..<end])))
        offset = end
    }
    segments.append(Seg(sequence: isn &+ 1 &+ UInt32(stream.count), flags: [.fin, .ack], payload: []))
    return segments
}

@Suite("TCP reassembly")
struct TCPReassemblerTests {
    @Test("in-order segments are delivered unchanged, across sequence wrap-around")
    func inOrderWrap() {
        var rng = SeededGenerator(seed: 1)
        let stream = (0..<50_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var context = ReassemblyContext()
        var reassembler = TCPReassembler()
        var sink = RecordingSink()
        feed(segmentize(stream, isn: 0xFFFF_F000, rng: &rng), context: &context, reassembler: &reassembler, sink: &sink)
        #expect(sink.bytes == stream)
        #expect(sink.gaps.isEmpty)
        #expect(sink.ended == 1)
        #expect(context.statistics.reassembledBytes == UInt64(stream.count))
        #expect(context.memoryInUse == 0)
    }

    @Test("random reordering, duplication and overlapping retransmissions give the original stream", arguments: 0..<40)
    func shuffled(seed: Int) {
        var rng = SeededGenerator(seed: UInt64(seed) &* 7919 &+ 17)
        let length = Int.random(in: 1...40_000, using: &rng)
        let stream = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let isn = UInt32.random(in: 0...UInt32.max, using: &rng)
        var segments = segmentize(stream, isn: isn, rng: &rng)
        // Overlapping retransmissions: random ranges of the same bytes.
        for _ in 0..<Int.random(in: 0...20, using: &rng) {
            let start = Int.random(in: 0..<length, using: &rng)
            let end = min(length, start + Int.random(in: 1...3000, using: &rng))
            segments.append(Seg(sequence: isn &+ 1 &+ UInt32(start), flags: [.ack], payload: Array(stream[start..<end])))
        }
        // Duplicates.
        for _ in 0..<Int.random(in: 0...5, using: &rng) {
            segments.append(segments[Int.random(in: 1..<segments.count, using: &rng)])
        }
        // Reorder everything but the SYN within a window.
        var body = Array(segments.dropFirst())
        for index in body.indices {
            let other = min(body.count - 1, index + Int.random(in: 0...8, using: &rng))
            body.swapAt(index, other)
        }
        var context = ReassemblyContext()
        var reassembler = TCPReassembler()
        var sink = RecordingSink()
        feed([segments[0]] + body, context: &context, reassembler: &reassembler, sink: &sink)
        if !reassembler.isEnded {
            reassembler.finish(context: &context, sink: &sink)
        }
        #expect(sink.bytes == stream)
        #expect(sink.gaps.isEmpty)
        #expect(sink.ended == 1)
        #expect(context.statistics.conflictingOverlaps == 0)
        #expect(context.memoryInUse == 0)
    }

    @Test("lost segments are reported as gaps of the right length and position", arguments: 0..<20)
    func losses(seed: Int) {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 1000)
        let length = Int.random(in: 5000...60_000, using: &rng)
        let stream = (0..<length).map { _ in UInt8.random(in: 1...255, using: &rng) }
        let isn = UInt32.random(in: 0...UInt32.max, using: &rng)
        var segments = segmentize(stream, isn: isn, rng: &rng, maxSize: 900)
        var lost: [Range<Int>] = []
        var index = 2
        while index < segments.count - 2 {
            if Int.random(in: 0..<10, using: &rng) == 0 {
                let segment = segments.remove(at: index)
                let start = Int(segment.sequence &- isn &- 1)
                if let last = lost.last, last.upperBound == start {
                    lost[lost.count - 1] = last.lowerBound..<(start + segment.payload.count)
                } else {
                    lost.append(start..<(start + segment.payload.count))
                }
            }
            index += 1
        }
        var body = Array(segments.dropFirst())
        for i in body.indices {
            body.swapAt(i, min(body.count - 1, i + Int.random(in: 0...3, using: &rng)))
        }
        var context = ReassemblyContext()
        var reassembler = TCPReassembler()
        var sink = RecordingSink()
        feed([segments[0]] + body, context: &context, reassembler: &reassembler, sink: &sink)
        reassembler.finish(context: &context, sink: &sink)
        var expected = stream
        for range in lost { for i in range { expected[i] = 0 } }
        #expect(sink.bytes == expected)
        #expect(sink.gaps.map { $0.at } == lost.map { $0.lowerBound })
        #expect(sink.gaps.map { $0.length } == lost.map { UInt64($0.count) })
        #expect(sink.ended == 1)
        #expect(context.memoryInUse == 0)
    }

    @Test("a stream picked up mid-way starts at the first data seen")
    func midstream() {
        var context = ReassemblyContext()
        var reassembler = TCPReassembler()
        var sink = RecordingSink()
        feed([
            Seg(sequence: 5000, flags: [.ack], payload: Array("hello ".utf8)),
            Seg(sequence: 5006, flags: [.ack, .psh], payload: Array("world".utf8)),
        ], context: &context, reassembler: &reassembler, sink: &sink)
        #expect(String(decoding: sink.bytes, as: UTF8.self) == "hello world")
        #expect(context.statistics.midstreamPickups == 1)
    }

    @Test("first copy wins on overlap and a conflicting copy is counted")
    func conflictingOverlap() {
        var context = ReassemblyContext()
        var reassembler = TCPReassembler()
        var sink = RecordingSink()
        feed([
            Seg(sequence: 99, flags: [.syn], payload: []),
            Seg(sequence: 106, flags: [.ack], payload: Array("WORLD".utf8)),  // queued first
            Seg(sequence: 104, flags: [.ack], payload: Array("XXevil".utf8)),  // overlaps queued bytes
            Seg(sequence: 100, flags: [.ack], payload: Array("hell".utf8)),
            Seg(sequence: 100, flags: [.ack], payload: Array("jell".utf8)),  // conflicts with delivered bytes
            Seg(sequence: 111, flags: [.fin, .ack], payload: []),
        ], context: &context, reassembler: &reassembler, sink: &sink)
        #expect(String(decoding: sink.bytes, as: UTF8.self) == "hellXXWORLD")
        #expect(context.statistics.conflictingOverlaps == 2)
        #expect(sink.ended == 1)
    }

    @Test("a far-ahead sequence number is dropped, not turned into a huge gap")
    func outOfWindow() {
        var context = ReassemblyContext()
        var reassembler = TCPReassembler()
        var sink = RecordingSink()
        feed([
            Seg(sequence: 0, flags: [.syn], payload: []),
            Seg(sequence: 1, flags: [.ack], payload: [1, 2, 3]),
            Seg(sequence: 0x7000_0000, flags: [.ack], payload: [9, 9]),
            Seg(sequence: 4, flags: [.ack], payload: [4]),
        ], context: &context, reassembler: &reassembler, sink: &sink)
        #expect(sink.bytes == [1, 2, 3, 4])
        #expect(context.statistics.outOfWindowSegments == 1)
    }

    @Test("buffer limits give up the first hole instead of growing")
    func bufferLimit() {
        var limits = ReassemblyLimits()
        limits.maxBufferedBytes = 1000
        var context = ReassemblyContext(limits: limits)
        var reassembler = TCPReassembler()
        var sink = RecordingSink()
        var segments = [Seg(sequence: 0, flags: [.syn], payload: [])]
        // Byte 1..100 lost; then 30 segments of 100 bytes.
        for i in 1...30 { segments.append(Seg(sequence: 1 + UInt32(i) * 100, flags: [.ack], payload: [UInt8](repeating: UInt8(i), count: 100))) }
        feed(segments, context: &context, reassembler: &reassembler, sink: &sink)
        #expect(reassembler.bufferedBytes <= 1000)
        #expect(sink.gaps.count == 1)
        #expect(sink.gaps.first?.length == 100)
        #expect(context.statistics.bufferLimitGaps >= 1)
        reassembler.finish(context: &context, sink: &sink)
        #expect(sink.bytes.count == 3100)
        #expect(context.memoryInUse == 0)
    }

    @Test("RST ends the stream and flushes what is buffered after a gap")
    func reset() {
        var context = ReassemblyContext()
        var reassembler = TCPReassembler()
        var sink = RecordingSink()
        feed([
            Seg(sequence: 0, flags: [.syn], payload: []),
            Seg(sequence: 1, flags: [.ack], payload: [1, 2]),
            Seg(sequence: 5, flags: [.ack], payload: [5, 6]),
            Seg(sequence: 7, flags: [.rst], payload: []),
            Seg(sequence: 3, flags: [.ack], payload: [3, 4]),
        ], context: &context, reassembler: &reassembler, sink: &sink)
        #expect(sink.bytes == [1, 2, 0, 0, 5, 6])
        #expect(sink.gaps.map { $0.length } == [2])
        #expect(sink.ended == 1)
        #expect(context.statistics.dataAfterEnd == 1)
    }

    @Test("FIN waits for the hole before it to fill")
    func finAfterHole() {
        var context = ReassemblyContext()
        var reassembler = TCPReassembler()
        var sink = RecordingSink()
        feed([
            Seg(sequence: 0, flags: [.syn], payload: []),
            Seg(sequence: 4, flags: [.fin, .ack], payload: [4, 5]),
        ], context: &context, reassembler: &reassembler, sink: &sink)
        #expect(sink.ended == 0)
        feed([Seg(sequence: 1, flags: [.ack], payload: [1, 2, 3])], context: &context, reassembler: &reassembler, sink: &sink)
        #expect(sink.bytes == [1, 2, 3, 4, 5])
        #expect(sink.ended == 1)
    }
}
