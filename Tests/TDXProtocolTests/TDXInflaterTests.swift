import TestSupport
import Testing

@testable import TDXProtocol

/// The inflater's outcomes. Whole bodies go through libdeflate and the ones it does not take
/// through zlib, so each outcome is checked on bodies that take each way.
@Suite("TDX inflater")
struct TDXInflaterTests {
    /// Bytes that compress, but not to nothing.
    private static func sample(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { index in index % 7 == 0 ? UInt8(truncatingIfNeeded: random.next()) : UInt8(index % 31) }
    }

    private static func inflate(_ input: [UInt8], capacity: Int = 1 << 16, limit: Int? = nil) -> (TDXInflater.Outcome, [UInt8]) {
        let inflater = TDXInflater(capacity: capacity)
        let outcome = input.withUnsafeBytes { inflater.inflate($0, limit: limit ?? capacity) }
        let count: Int
        switch outcome {
        case .complete(let produced, _), .overflow(let produced), .truncated(let produced), .corrupt(let produced): count = produced
        }
        return (outcome, Array(UnsafeBufferPointer(start: inflater.buffer, count: count)))
    }

    @Test("a whole body comes out whole, with the input bytes after its end counted")
    func complete() {
        let body = Self.sample(5000)
        let compressed = Zlib.compress(body)
        let (outcome, bytes) = Self.inflate(compressed)
        #expect(outcome == .complete(count: body.count, trailing: 0))
        #expect(bytes == body)
        let (padded, paddedBytes) = Self.inflate(compressed + [0xAA, 0xBB, 0xCC])
        #expect(padded == .complete(count: body.count, trailing: 3))
        #expect(paddedBytes == body)
    }

    @Test("a body that fits the cap exactly is complete; one byte more is an overflow with the cap's bytes kept")
    func cap() {
        let body = Self.sample(4096)
        let compressed = Zlib.compress(body)
        #expect(Self.inflate(compressed, limit: body.count).0 == .complete(count: body.count, trailing: 0))
        let (outcome, bytes) = Self.inflate(compressed, limit: body.count - 1)
        #expect(outcome == .overflow(count: body.count - 1))
        #expect(bytes == Array(body.prefix(body.count - 1)))
        // The inflater's own capacity caps a larger limit.
        #expect(Self.inflate(compressed, capacity: 100, limit: 10_000).0 == .overflow(count: 100))
    }

    @Test("a body cut short is truncated, with what came out before the cut")
    func truncated() {
        let body = Self.sample(20_000, seed: 2)
        let compressed = Zlib.compress(body)
        let (outcome, bytes) = Self.inflate(Array(compressed.prefix(compressed.count / 2)))
        guard case .truncated(let count) = outcome else {
            Issue.record("expected truncated, got \(outcome)")
            return
        }
        #expect(count > 0 && count < body.count)
        #expect(bytes == Array(body.prefix(count)))
        // Without its check value only.
        #expect(Self.inflate(Array(compressed.dropLast(4))).0 == .truncated(count: body.count))
    }

    @Test("a body that is not zlib, or whose check value is wrong, is corrupt")
    func corrupt() {
        #expect(Self.inflate([0x12, 0x34, 0x56, 0x78]).0 == .corrupt(count: 0))
        #expect(Self.inflate([]).0 == .corrupt(count: 0))
        let body = Self.sample(3000, seed: 3)
        var compressed = Zlib.compress(body)
        compressed[compressed.count - 1] ^= 0x01
        #expect(Self.inflate(compressed).0 == .corrupt(count: body.count))
    }

    @Test("one inflater serves body after body, whichever way the one before went")
    func reuse() {
        let inflater = TDXInflater(capacity: 1 << 16)
        let first = Self.sample(3000, seed: 4)
        let second = Self.sample(7000, seed: 5)
        let inputs: [([UInt8], TDXInflater.Outcome)] = [
            (Zlib.compress(first), .complete(count: first.count, trailing: 0)),
            ([0x78, 0x9C, 0xFF, 0xFF], .corrupt(count: 0)),
            (Zlib.compress(second), .complete(count: second.count, trailing: 0)),
        ]
        for (input, expected) in inputs {
            #expect(input.withUnsafeBytes { inflater.inflate($0, limit: 1 << 16) } == expected)
        }
        #expect(Array(UnsafeBufferPointer(start: inflater.buffer, count: second.count)) == second)
    }
}
