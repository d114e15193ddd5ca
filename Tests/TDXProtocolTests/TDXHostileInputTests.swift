import ProtocolKit
import TestSupport
import Testing

@testable import TDXProtocol

/// Random and mutated input: never a crash, a hang or unbounded memory; the counters stay equal
/// with and without events.
@Suite("TDX hostile input")
struct TDXHostileInputTests {
    @Test("random bytes in both directions, in random chunks: no crash, bounded buffers", arguments: [1, 2, 3, 4])
    func randomBytes(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        for _ in 0..<20 {
            let length = random.int(in: 0...6000)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let other = (0..<random.int(in: 0...3000)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let steps: [TDXStep] = [.data(.toServer, bytes), .data(.toClient, other)]
            let chunk = random.int(in: 1...1500)
            let loud = run(steps, chunk: chunk)
            let quiet = run(steps, chunk: chunk, interest: .none)
            #expect(loud.counters == quiet.counters)
        }
    }

    @Test("a frame start is found where a byte-by-byte scan finds it, from any offset")
    func candidatesAsScanned() {
        var random = SeededGenerator(seed: 17)
        let frames = [
            TDXFrameBuilder.request(sequence: 7, command: 0x044E, body: [0, 0, 0x75, 0xC7, 0x33, 1]),
            TDXFrameBuilder.reply(sequence: 7, command: 0x044E, body: [0x7E, 0x04]),
        ]
        for _ in 0..<300 {
            // The bytes headers are made of, real frames, and anything.
            let bytes = random.framesAndBytes(
                length: random.int(in: 0...400), frames: frames, alphabet: [0x00, 0x01, 0x0C, 0xB1, 0xCB, 0x74, 0x10, 0x3E, 0x05, 0x20, 0xFF])
            bytes.withUnsafeBytes { buffer in
                for start in 0...buffer.count {
                    let scanned = (start..<max(start, buffer.count - 3)).first { TDXFraming.startsCandidate(buffer, at: $0) }
                    #expect(TDXFraming.nextCandidate(buffer, from: start) == scanned, "\(bytes) from \(start)")
                }
            }
        }
    }

    @Test("streams that look like TDX: magic and request headers with random sizes and bodies", arguments: [5, 6, 7])
    func plausibleGarbage(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        for _ in 0..<30 {
            var client: [UInt8] = []
            var server: [UInt8] = []
            for _ in 0..<random.int(in: 1...20) {
                let body = (0..<random.int(in: 0...300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                let command = [0x053E, 0x054C, 0x0450, 0x052D, 0x051D, 0x0FB4, 0x0FC5, 0x23FA, 0x23F5, 0x122E, 0x122D, 0x0777][random.int(in: 0...11)]
                client += TDXFrameBuilder.request(
                    flag: [0x0C, 0x01, 0x00][random.int(in: 0...2)], sequence: UInt32(random.int(in: 0...3)), command: UInt16(command), body: body)
                let compress = random.chance(0.5)
                server += TDXFrameBuilder.reply(
                    sequence: UInt32(random.int(in: 0...3)), command: UInt16(command), body: body, compress: compress,
                    wireSize: random.chance(0.2) ? UInt16(random.int(in: 0...400)) : nil,
                    rawSize: random.chance(0.3) ? UInt16(random.int(in: 0...65535)) : nil)
            }
            // Flip a few bytes.
            for _ in 0..<random.int(in: 0...5) where !server.isEmpty {
                server[random.int(in: 0...(server.count - 1))] ^= UInt8(truncatingIfNeeded: random.next() | 1)
            }
            let steps: [TDXStep] = [.data(.toServer, client), .data(.toClient, server)]
            let chunk = random.int(in: 1...2000)
            let loud = run(steps, chunk: chunk)
            let quiet = run(steps, chunk: chunk, interest: .none)
            #expect(loud.counters == quiet.counters)
        }
    }

    @Test("a valid session with one byte changed anywhere decodes without failing", arguments: [11, 12])
    func mutations(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let client = TDXSessions.pytdx.compactMap { step -> [UInt8]? in if case .data(.toServer, let bytes, _) = step { bytes } else { nil } }.flatMap { $0 }
        let server = TDXSessions.pytdx.compactMap { step -> [UInt8]? in if case .data(.toClient, let bytes, _) = step { bytes } else { nil } }.flatMap { $0 }
        for _ in 0..<60 {
            var c = client
            var s = server
            if random.chance(0.5) {
                c[random.int(in: 0...(c.count - 1))] = UInt8(truncatingIfNeeded: random.next())
            } else {
                s[random.int(in: 0...(s.count - 1))] = UInt8(truncatingIfNeeded: random.next())
            }
            let steps: [TDXStep] = [.data(.toServer, c), .data(.toClient, s)]
            let loud = run(steps, chunk: random.int(in: 1...700))
            let quiet = run(steps, chunk: 1460, interest: .none)
            #expect(loud.counters == quiet.counters)
        }
    }

    @Test("varints longer than 9 bytes and bodies cut anywhere are body_truncated, not a failure")
    func varints() throws {
        let long = [UInt8](repeating: 0xFF, count: 12)
        #expect(throws: TDXShortBody.self) {
            try long.withUnsafeBytes { buffer in
                var reader = TDXReader(buffer)
                _ = try reader.varint()
            }
        }
        let body = TDXFrameBuilder.quotesBody(TDXSessions.quotes(Array(TDXSessions.codes.prefix(4))))
        for cut in stride(from: 0, to: body.count, by: 5) {
            let decoded = Array(body.prefix(cut)).withUnsafeBytes { TDXReplyBody(command: 0x053E, body: $0, request: nil) }
            #expect(decoded.anomalies.contains(.bodyTruncated))
        }
    }

    @Test("skipping varints reads and refuses what reading them one by one does", arguments: [1, 2, 3, 4, 5, 6])
    func skippedVarints(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        // Seeds 1-3: short input, most bytes with bit 7 set (runs up to and past the limit);
        // 4-6: up to 200 bytes, one byte in 2, 3 or 8 ending a varint, many varints at a time.
        let long = seed > 3
        let endsOneIn = [4, 4, 4, 2, 3, 8][Int(seed - 1)]
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...(long ? 200 : 40), using: &random)
            let bytes = (0..<length).map { _ -> UInt8 in
                let byte = UInt8.random(in: 0...255, using: &random)
                return Int.random(in: 0..<endsOneIn, using: &random) == 0 ? byte & 0x7F : byte | 0x80
            }
            let count = Int.random(in: 1...(long ? 60 : 12), using: &random)
            bytes.withUnsafeBytes { buffer in
                var oneByOne = TDXReader(buffer, at: 0)
                var read: Int?
                do {
                    for _ in 0..<count { _ = try oneByOne.varint() }
                    read = oneByOne.position
                } catch {}
                var skipping = TDXReader(buffer, at: 0)
                var skipped: Int?
                do {
                    try skipping.skipVarints(count)
                    skipped = skipping.position
                } catch {
                    #expect(skipping.position == 0)
                }
                #expect(skipped == read, "\(bytes) count \(count)")
            }
        }
    }

    @Test("a code is read as the plain reader reads it, printable or not, on any market")
    func codeStrings() {
        var random = SeededGenerator(seed: 11)
        // Six-digit codes, and codes with a zero byte, GBK bytes or space padding (read by the
        // plain reader, which trims the padding), on the three exchange markets and others.
        let known: [[UInt8]] = (0..<3000).map { index in
            if index % 97 == 0 { return [0x36, 0x30, 0x00, 0x35, 0x31, 0x39] }
            if index % 89 == 0 { return [0xB9, 0xA4, 0x36, 0x30, 0x20, 0x20] }
            if index % 83 == 0 { return [0x41, 0x42, 0x7E, 0x21, 0x7F, 0x30] }
            let digits = String(index * 7919 % 1_000_000)
            return Array((String(repeating: "0", count: 6 - digits.count) + digits).utf8)
        }
        for index in 0..<3000 {
            let market = UInt8(random.int(in: 0...4))
            known[index].withUnsafeBytes { code in
                let plain = TDXInstrument(market: UInt16(market), code: TDXReader.text(code, as: .ascii), family: .standard)
                #expect(TDXInstrument.qualifiedSecurity(market: market, code: code) == plain.qualified)
            }
        }
        #expect([UInt8]("600519".utf8).withUnsafeBytes { TDXInstrument.qualifiedSecurity(market: 1, code: $0) } == "600519.SH")
        #expect([UInt8]("430047".utf8).withUnsafeBytes { TDXInstrument.qualifiedSecurity(market: 2, code: $0) } == "430047.BJ")
        #expect([UInt8]("000001".utf8).withUnsafeBytes { TDXInstrument.qualifiedSecurity(market: 0, code: $0) } == "000001.SZ")
    }

    @Test("the JSON reader refuses what is not JSON and nesting past its limit")
    func json() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        for text in ["", "{", "{\"a\":}", "[1,]", "\"\\u12\"", "tru", "{\"a\" 1}", deep, "1 2"] {
            #expect(Array(text.utf8).withUnsafeBytes { TDXJSON.parse($0) } == nil, "\(text.prefix(20))")
        }
        let value = Array(#"{"func":"logon","params":{"n":-12,"x":1.5,"s":"\u5e73\ud83d\ude00","b":[true,false,null]}}"#.utf8)
            .withUnsafeBytes { TDXJSON.parse($0) }
        #expect(value?[member: "func"] == .string("logon"))
        #expect(value?[member: "params"]?[member: "n"] == .int(-12))
        #expect(value?[member: "params"]?[member: "x"] == .double(1.5))
        #expect(value?[member: "params"]?[member: "s"] == .string("平😀"))
        #expect(value?[member: "params"]?[member: "b"] == .array([.bool(true), .bool(false), .null]))
    }
}
