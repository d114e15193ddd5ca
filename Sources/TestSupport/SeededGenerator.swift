import PacketCapture

/// A deterministic random number generator (SplitMix64), so that tests and generated captures
/// give the same bytes on every run and every platform.
package struct SeededGenerator: RandomNumberGenerator, Sendable {
    /// The internal state; advanced by a fixed odd constant on every draw.
    package var state: UInt64

    /// A generator started from `seed`; equal seeds give equal sequences.
    package init(seed: UInt64) {
        self.state = seed
    }

    /// The next 64 random bits: splitmix64's finaliser (`mix64`, which adds the step itself) of
    /// the state before it moves on.
    @inline(__always)
    package mutating func next() -> UInt64 {
        defer { state &+= 0x9E37_79B9_7F4A_7C15 }
        return mix64(state)
    }

    /// A value in `range`, drawn without the standard library's generic machinery (fast, and the
    /// same on every platform; the tiny modulo bias does not matter for test data).
    @inline(__always)
    package mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) &+ 1
        if span == 0 { return Int(truncatingIfNeeded: next()) }
        return range.lowerBound + Int(next() % span)
    }

    /// True with probability `probability` (0...1).
    @inline(__always)
    package mutating func chance(_ probability: Double) -> Bool {
        Double(next() >> 11) * 0x1.0p-53 < probability
    }

    /// `count` random bytes.
    package mutating func bytes(count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { buffer in
            var index = 0
            while index < count {
                var word = next()
                let chunk = min(8, count - index)
                for offset in 0..<chunk {
                    buffer[index + offset] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                }
                index += chunk
            }
        }
        return out
    }

    /// At least `length` bytes of `frames` whole, bytes of `alphabet` and any bytes, mixed: input
    /// for a frame scanner, with the bytes frames are made of where they may fit together.
    package mutating func framesAndBytes(length: Int, frames: [[UInt8]], alphabet: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < length {
            switch int(in: 0...9) {
            case 0: bytes += frames[int(in: 0...(frames.count - 1))]
            case 1...5: bytes.append(alphabet[int(in: 0...(alphabet.count - 1))])
            default: bytes.append(UInt8(truncatingIfNeeded: next()))
            }
        }
        return bytes
    }
}
