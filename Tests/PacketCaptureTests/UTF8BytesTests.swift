import PacketCapture
import Testing
import TestSupport

/// `String(utf8Bytes:)` must make the string `String(decoding:as:)` makes, byte for byte: the
/// decoders use it for text from the wire, valid or not.
@Test("String(utf8Bytes:) equals String(decoding:as:) for valid, invalid, short and long text")
func utf8BytesMatchesDecoding() {
    var rng = SeededGenerator(seed: 41)
    var samples: [[UInt8]] = [
        [], Array("D".utf8), Array("ACC-1001".utf8), Array("600519.SH".utf8), Array("exactly-fifteen".utf8),
        Array("sixteen-bytes-xx".utf8), Array("证券".utf8), [0x41, 0xFF, 0x42], [0xE4, 0xB8], [0xC0, 0x80], [0xED, 0xA0, 0x80],
        [0xF4, 0x90, 0x80, 0x80], [0x00, 0x7F, 0x80],
    ]
    for index in 0..<4000 {
        let count = Int.random(in: 0...40, using: &rng)
        // Half printable ASCII, half any byte.
        samples.append((0..<count).map { _ in index % 2 == 0 ? UInt8.random(in: 0x20...0x7E, using: &rng) : UInt8.random(in: 0...255, using: &rng) })
    }
    for bytes in samples {
        bytes.withUnsafeBytes { raw in
            let made = String(utf8Bytes: raw)
            let decoded = String(decoding: raw, as: UTF8.self)
            #expect(Array(made.utf8) == Array(decoded.utf8), "\(bytes)")
            #expect(made == decoded)
        }
        bytes.withUnsafeBufferPointer { typed in
            #expect(String(utf8Bytes: typed) == String(decoding: typed, as: UTF8.self))
        }
    }
}
