import ProtocolKit
import TestSupport
import Testing

@testable import CTPProtocol

/// The test vectors of the CTP notes (section 9): frames captured from real fronts and published
/// in the CMFS front emulator, decoded by hand in the notes.
@Suite("CTP test vectors")
struct CTPVectorTests {
    /// `bFirstRsp`: the front's answer to ReqVerifyApiKey (TID 0x3028), RspInfo only.
    static let firstRspFrame = hex("02 00 00 13 01 03 0f 4c e4 30 28 e5 01 e1 59 e7 55 ef ef ef ef ef ea")
    /// `bLoginRsp`: RspUserLogin (TID 0x3001) with RspInfo "CTP:No Error" and TradingDay 20210120.
    static let loginRspFrame =
        hex("02 00 00 35 01 03 0f 4c e4 30 01 e5 02 e1 f5 e7 55 e4 43 54 50 3a 4e 6f 20 45 72 72 6f 72 ef ef ef ef e9 10")
        + hex("03 e1 98 32 30 32 31 30 31 32 30 ef ef ef ef ef ef ef ef ef e9")

    @Test("bFirstRsp decompresses to 109 bytes: version 0x0F, chain L, TID 0x3028, one RspInfo of 85 zero bytes")
    func firstRspPacket() throws {
        #expect(Self.firstRspFrame.count == 23)
        let (packet, status) = decompress(Array(Self.firstRspFrame[6...]))
        #expect(status == .complete)
        #expect(packet.count == 109)
        let header = packet.withUnsafeBytes { CTPMessageHeader($0) }
        #expect(header.version == 0x0F && header.chain == UInt8(ascii: "L") && header.series == 0)
        #expect(header.tid == 0x3028 && header.sequence == 0 && header.requestID == 0)
        #expect(header.fieldCount == 1 && header.contentLength == 89)
        #expect(Array(packet[20..<24]) == [0x00, 0x00, 0x00, 0x55])
        #expect(packet[24...].allSatisfy { $0 == 0 })
    }

    @Test("bFirstRsp decodes to one message: RspVerifyApiKey with ErrorID 0")
    func firstRspMessage() {
        let sink = decode([(.toClient, Self.firstRspFrame)])
        #expect(sink.events.count == 1)
        let event = sink.events[0]
        #expect(event.kind == .message)
        #expect(event.tid == "0x3028")
        #expect(event.ctp("tid_name") == .string("RspVerifyApiKey"))
        #expect(event.ctp("compressed") == .bool(true))
        #expect(event.field("RspInfo", "ErrorID") == .int(0))
        #expect(event.anomalyNames == [])
        #expect(sink.counters["ctp.messages"] == 1)
        #expect(sink.counters["ctp.bytes_decompressed"] == 109)
    }

    @Test("bLoginRsp decodes to a logon result: CTP:No Error, TradingDay 20210120, RspUserLogin of 152 bytes")
    func loginRsp() {
        #expect(Self.loginRspFrame.count == 57)
        let (packet, _) = decompress(Array(Self.loginRspFrame[6...]))
        #expect(packet.count == 20 + 245)
        let sink = decode([(.toClient, Self.loginRspFrame)])
        #expect(sink.events.count == 1)
        let event = sink.events[0]
        #expect(event.kind == .logonResult)
        #expect(event.tid == "0x3001")
        #expect(event.ctp("field_count") == .uint(2))
        #expect(event.ctp("content_length") == .uint(245))
        #expect(event.ctp("api_version") == .string("6.3.15-6.6.1"))
        #expect(event.field("RspInfo", "ErrorMsg") == .string("CTP:No Error"))
        #expect(event.field("RspUserLogin", "TradingDay") == .string("20210120"))
        #expect(event[field: "result_code"] == .string("0"))
        #expect(event[field: "text"] == .string("CTP:No Error"))
        #expect(event[field: "trading_day"] == .string("20210120"))
        #expect(event.anomalyNames == [])
    }

    @Test("the heartbeat and the heartbeat-timeout frames are heartbeats")
    func linkFrames() {
        let sink = decode([(.toServer, hex("00 06 00 00 07 04 00 00 00 27") + hex("00 02 00 00 05 00"))])
        #expect(sink.events.map(\.kind) == [.heartbeat, .heartbeat])
        #expect(sink.events[0][field: "heartbeat_timeout"] == .uint(39))
        #expect(sink.events[0].ctp("link") == .string("heartbeat_timeout"))
        #expect(sink.events[1].ctp("link") == .string("keep_alive"))
        #expect(sink.counters["ctp.heartbeats"] == 2)
        #expect(sink.counters["ctp.messages"] == 0)
        #expect(sink.counters["ctp.frames"] == 2)
    }

    @Test("the probe matches each vector, and a heartbeat only with a frame after it")
    func probes() {
        #expect(probe(Self.firstRspFrame) == .match)
        #expect(probe(Self.loginRspFrame) == .match)
        #expect(probe(hex("00 02 00 00 05 00")) == .needMoreData)
        #expect(probe(hex("00 06 00 00 07 04 00 00 00 27") + Self.firstRspFrame) == .match)
        #expect(probe(Array(Self.loginRspFrame[0..<30])) == .needMoreData)
        #expect(probe(Array("8=FIX.4.4\u{01}9=5\u{01}35=0\u{01}10=000\u{01}".utf8)) == .needMoreData)
        #expect(probe([UInt8](repeating: 0x41, count: 4096)) == .noMatch)
        // A data frame after junk (a stream picked up mid-way) still matches.
        #expect(probe([0x13, 0x37, 0x00, 0xFF] + Self.loginRspFrame) == .match)
    }
}

@Suite("CTP zero-run compression")
struct CTPZeroRunTests {
    @Test("runs, escapes and literals decompress as the notes say")
    func rules() {
        #expect(decompress([0xE1]).bytes == [0])
        #expect(decompress([0xEF, 0xE3]).bytes == [UInt8](repeating: 0, count: 18))
        #expect(decompress([0xE0, 0xE5, 0xE0, 0x41]).bytes == [0xE5, 0x41])
        #expect(decompress([0x01, 0xDF, 0xF0, 0xFF]).bytes == [0x01, 0xDF, 0xF0, 0xFF])
        #expect(decompress([0x7F, 0xE0, 0xEF, 0xFF, 0xFF]).bytes == [0x7F, 0xEF, 0xFF, 0xFF])
    }

    @Test("an escape at the end is an overrun; output past the capacity is too large")
    func limits() {
        let overrun = decompress([0x41, 0xE0])
        #expect(overrun.status == .overrun)
        #expect(overrun.bytes == [0x41])
        #expect(decompress([UInt8](repeating: 0xEF, count: 10), capacity: 100).status == .tooLarge)
        #expect(decompress([UInt8](repeating: 0x41, count: 101), capacity: 100).status == .tooLarge)
        #expect(decompress([UInt8](repeating: 0x41, count: 100), capacity: 100).status == .complete)
    }

    /// The rules of the notes, one byte at a time (the reference for the word-at-a-time decoder).
    static func reference(_ input: [UInt8], capacity: Int) -> (bytes: [UInt8], status: CTPZeroRun.Status) {
        var out: [UInt8] = []
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == 0xE0 {
                guard index + 1 < input.count else { return (out, .overrun) }
                guard out.count < capacity else { return (out, .tooLarge) }
                out.append(input[index + 1])
                index += 2
            } else if byte & 0xF0 == 0xE0 {
                guard out.count + Int(byte & 0x0F) <= capacity else { return (out, .tooLarge) }
                out += [UInt8](repeating: 0, count: Int(byte & 0x0F))
                index += 1
            } else {
                guard out.count < capacity else { return (out, .tooLarge) }
                out.append(byte)
                index += 1
            }
        }
        return (out, .complete)
    }

    @Test("arbitrary input decompresses exactly as the byte-at-a-time rules say, at any capacity", arguments: [11, 12, 13])
    func againstReference(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<2000 {
            // Long enough for the sixteen-byte blocks, markers at every density (none to most).
            var input = generator.bytes(count: generator.int(in: 0...400))
            let density = Double(generator.int(in: 0...9)) / 10
            for index in input.indices where generator.chance(density) { input[index] = 0xE0 | UInt8(generator.int(in: 0...15)) }
            let capacity = generator.chance(0.5) ? generator.int(in: 0...800) : CTPLimits.maxMessage
            let expected = Self.reference(input, capacity: capacity)
            let actual = decompress(input, capacity: capacity)
            #expect(actual.status == expected.status, "\(input) capacity \(capacity)")
            if expected.status != .tooLarge { #expect(actual.bytes == expected.bytes, "\(input)") }
        }
    }

    @Test("the counting path gives the same length and first bytes as decompressing the whole", arguments: [21, 22])
    func countingPath(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
        defer { output.deallocate() }
        for _ in 0..<3000 {
            var input = generator.bytes(count: generator.int(in: 0...120))
            // Markers at every density, escapes (0xE0) often, including escaped escapes.
            let density = Double(generator.int(in: 1...9)) / 10
            for index in input.indices where generator.chance(density) {
                input[index] = generator.chance(0.3) ? 0xE0 : 0xE0 | UInt8(generator.int(in: 0...15))
            }
            let capacity = generator.chance(0.3) ? generator.int(in: 0...300) : CTPLimits.maxMessage
            let whole = decompress(input, capacity: capacity)
            let length = input.withUnsafeBytes { CTPZeroRun.prefixAndLength($0, into: output, prefix: 24, capacity: capacity) }
            if whole.status == .complete {
                #expect(length == whole.bytes.count, "\(input)")
                let prefix = Array(UnsafeBufferPointer(start: output, count: min(24, whole.bytes.count)))
                #expect(prefix == Array(whole.bytes.prefix(24)), "\(input)")
            } else {
                #expect(length == nil, "\(input)")
            }
        }
    }

    @Test("compress then decompress gives the input back, for random and zero-heavy data", arguments: [1, 2, 3])
    func roundTrip(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<300 {
            var input = generator.bytes(count: generator.int(in: 0...600))
            // Make it look like CTP structs: zero runs of every length, bytes in the marker range.
            for index in input.indices where generator.chance(0.5) { input[index] = 0 }
            for index in input.indices where generator.chance(0.05) { input[index] = 0xE0 | UInt8(generator.int(in: 0...15)) }
            let compressed = CTPFrameBuilder.compress(input)
            let (output, status) = decompress(compressed)
            #expect(status == .complete)
            #expect(output == input)
        }
    }
}

@Suite("CTP field layouts")
struct CTPFieldLayoutTests {
    @Test("every layout's packed size is the struct size of the notes' section 5.3 (and of the 6.7.11 library)")
    func sizes() {
        #expect(CTPFieldTable.rspInfoLayout.size == 85)
        #expect(CTPFieldTable.reqUserLoginLayout.size == 261)
        #expect(CTPFieldTable.reqUserLoginLegacy.size == 228)
        #expect(CTPFieldTable.rspUserLoginLayout.size == 292)
        #expect(CTPFieldTable.reqAuthenticateLayout.size == 88)
        #expect(CTPFieldTable.rspAuthenticateLayout.size == 72)
        #expect(CTPFieldTable.authenticationInfoLayout.size == 254)
        #expect(CTPFieldTable.authenticationInfoLegacy.size == 221)
        #expect(CTPFieldTable.userSystemInfoLayout.size == 550)
        #expect(CTPFieldTable.userSystemInfoLegacy.size == 366)
        #expect(CTPFieldTable.inputOrderLayout.size == 392)
        #expect(CTPFieldTable.inputOrderLegacy.size == 261)
        for spec in CTPFieldTable.all {
            for variant in spec.variants {
                // Every length is the whole layout or a prefix of it that ends on a member boundary.
                #expect(variant.length <= variant.layout.size, "\(spec.name) \(variant.length)")
                let ends = Set(variant.layout.members.map { $0.offset + $0.kind.size })
                #expect(ends.contains(variant.length), "\(spec.name) \(variant.length) cuts a member")
            }
        }
        let largest = { (name: String) in CTPFieldTable.all.first { $0.name == name }?.variants.last?.layout.size }
        #expect(largest("Order") == 847)
        #expect(largest("InputOrderAction") == 328)
        #expect(largest("Trade") == 491)
        #expect(largest("DepthMarketData") == 532)
        #expect(largest("SpecificInstrument") == 112)
    }

    @Test("the test structs have the sizes of the decoder's layouts")
    func testStructs() {
        #expect(CTPStructs.reqUserLogin(broker: "9999", user: "u", password: []).count == 261)
        #expect(CTPStructs.reqUserLogin(broker: "9999", user: "u", password: [], legacy: true).count == 228)
        #expect(CTPStructs.inputOrder(CTPStructs.Order()).count == 392)
        #expect(CTPStructs.inputOrder(CTPStructs.Order(), legacy: true).count == 261)
        #expect(CTPStructs.inputOrderAction(investor: "", orderRef: "", frontID: 0, sessionID: 0, exchange: "", orderSysID: "", user: "", instrument: "").count == 328)
        #expect(CTPStructs.trade(CTPStructs.Order(), tradeID: "", orderSysID: "", price: 1, volume: 1, time: "").count == 491)
        #expect(CTPStructs.depthMarketData(CTPStructs.Quote()).count == 532)
        #expect(CTPStructs.depthMarketData(CTPStructs.Quote(), legacy: true).count == 354)
        #expect(CTPStructs.userSystemInfo(broker: "", user: "", systemInfo: [], publicIP: "", port: 0, loginTime: "", appID: "").count == 550)
        #expect(CTPStructs.userSystemInfo(broker: "", user: "", systemInfo: [], publicIP: "", port: 0, loginTime: "", appID: "", length: 366).count == 366)
        #expect(CTPStructs.authenticationInfo(broker: "", user: "", product: "", authInfo: [], appID: "").count == 254)
    }

    @Test("the hand-written layouts agree member by member with the 6.7.11 library's own dictionary")
    func dictionaryAgreement() {
        #expect(CTPFieldTable.dictionary.count >= 490)
        var compared = 0
        for spec in CTPFieldTable.all where spec.lengthsComplete {
            for entry in CTPFieldTable.dictionary where entry.fid == spec.fid {
                guard let library = entry.variants.first, let mine = spec.variants.first(where: { $0.length == library.length }) else { continue }
                compared += 1
                let theirs = library.layout.members.map { "\($0.offset) \($0.kind.size)" }
                let ours = mine.layout.members.map { "\($0.offset) \($0.kind.size)" }
                #expect(ours == theirs, "\(spec.name)")
                for (a, b) in zip(mine.layout.members, library.layout.members) where !a.name.hasPrefix("reserve") {
                    #expect(a.name == b.name, "\(spec.name) at \(a.offset)")
                }
            }
        }
        #expect(compared >= 15)
    }

    @Test("fields known only from the dictionary decode by name; their secrets are redacted")
    func dictionaryFields() {
        var body = CTPFrameBuilder.Body()
        body.text("9999", 11); body.text("u1", 16); body.text("old-secret", 41); body.text("new-secret", 41)
        let events = decode([(.toServer, CTPFrameBuilder.message(tid: 0x300A, fields: [CTPFrameBuilder.Field(0x0304, body.bytes)]))]).events
        #expect(events.first?.field("UserPasswordUpdate", "UserID") == .string("u1"))
        #expect(events.first?.field("UserPasswordUpdate", "OldPassword") == .string("<redacted>"))
        #expect(events.first?.field("UserPasswordUpdate", "NewPassword") == .string("<redacted>"))
        #expect(events.first?.anomalyNames == [])
        // Another length than 6.7.11's: the prefix, with no anomaly.
        let short = decode([(.toServer, CTPFrameBuilder.message(tid: 0x300A, fields: [CTPFrameBuilder.Field(0x0304, Array(body.bytes.prefix(27)))]))]).events
        #expect(short.first?.field("UserPasswordUpdate", "UserID") == .string("u1"))
        #expect(short.first?.anomalyNames == [])
        #expect(CTPFieldTable.kind(of: "BankPwdFlag", code: "c", size: 1) == .char)
        #expect(CTPFieldTable.kind(of: "FutureAccPwd", code: "c", size: 41) == .secret(41))
        #expect(CTPFieldTable.kind(of: "OldInstrumentID", code: "c", size: 31) == .hidden(31))
    }
}
