import ProtocolKit
import Testing
import TestSupport

@testable import CTPProtocol

/// Decoding only the members a selection keeps, at their precomputed offsets, must give what the
/// member-by-member walk with the same filter gives: every layout, every length (exact, between
/// releases, cut short), text, numbers, absent values and a terminal blob read without its length.
@Test func wantedMembersMatchTheFilteredWalk() throws {
    let nameSets: [[String]] = [
        [], ["InstrumentID"], ["InstrumentID", "LastPrice", "Volume", "UpdateTime", "UpdateMillisec"],
        ["ExchangeID", "BidPrice1", "BidVolume1", "AskPrice1", "AskVolume1", "OpenInterest", "TradingDay", "ActionDay"],
        ["ClientSystemInfo"], ["ClientSystemInfoLen", "ClientSystemInfo", "UserID"], ["NoSuchMember", "reserve1"],
    ]
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    func nextByte() -> UInt8 {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let value = UInt8(truncatingIfNeeded: seed >> 56)
        // Many zeros, so that empty text, absent doubles and short blobs occur.
        return value < 96 ? 0 : value
    }
    for fid in [CTPFieldTable.depthMarketData, CTPFieldTable.userSystemInfo, CTPFieldTable.inputOrder] {
        let spec = try #require(CTPFieldTable.spec(fid))
        var lengths = Set([0, 1, 5, 40])
        for variant in spec.variants { lengths.formUnion([variant.length - 1, variant.length, variant.length + 1, variant.length + 9]) }
        for names in nameSets {
            let wanted = try #require(CTPWantedMembers(fid: fid, names: names))
            for length in lengths.sorted() where length >= 0 {
                for _ in 0..<4 {
                    let body = (0..<length).map { _ in nextByte() }
                    body.withUnsafeBytes { body in
                        let fast = CTPFieldDecoder.decode(fid, body, wanted: wanted)
                        let walked = CTPFieldDecoder.decode(fid, body, only: CTPMemberFilter(names))
                        #expect(fast.name == walked.name && fast.length == walked.length && fast.known == walked.known)
                        #expect(fast.version == walked.version && fast.recognised == walked.recognised)
                        #expect(fast.members.map(\.0) == walked.members.map(\.0), "\(fid) \(length) \(names)")
                        #expect(fast.members.map(\.1) == walked.members.map(\.1), "\(fid) \(length) \(names)")
                    }
                }
            }
        }
    }
    // Another field in the same message goes by the filter.
    let wanted = try #require(CTPWantedMembers(fid: CTPFieldTable.depthMarketData, names: ["ErrorID"]))
    let info: [UInt8] = [0, 0, 0, 7] + Array(repeating: 0x41, count: 81)
    info.withUnsafeBytes { body in
        let fast = CTPFieldDecoder.decode(CTPFieldTable.rspInfo, body, wanted: wanted)
        #expect(fast.name == "RspInfo" && fast.members.count == 1 && fast.int("ErrorID") == 7)
    }
}

/// The member cursor finds what the subscript finds, asked in any order and more than once, and
/// nothing for a member the field lacks.
@Test func memberCursorFindsWhatTheSubscriptFinds() {
    let members: [(String, FieldValue)] = [
        ("TradingDay", .string("20260102")), ("ExchangeID", .string("CFFEX")), ("LastPrice", .double(4000)),
        ("Volume", .int(7)), ("UpdateTime", .string("09:30:00")), ("UpdateMillisec", .int(500)), ("InstrumentID", .string("IF2601")),
    ]
    let field = CTPDecodedField(fid: CTPFieldTable.depthMarketData, name: "DepthMarketData", length: 0, members: members, known: true)
    let names = members.map(\.0) + ["NoSuchMember", "reserve1"]
    var generator = SeededGenerator(seed: 0x2545_F491_4F6C_DD1D)
    for _ in 0..<200 {
        var cursor = CTPMemberCursor(field)
        for _ in 0..<12 {
            let name = names[generator.int(in: 0...(names.count - 1))]
            #expect(cursor.value(name) == field[name], "\(name)")
        }
    }
    var cursor = CTPMemberCursor(field)
    #expect(cursor.text("ExchangeID") == "CFFEX" && cursor.int("UpdateMillisec") == 500 && cursor.text("TradingDay") == "20260102")
    #expect(cursor.int("ExchangeID") == nil && cursor.text("Volume") == nil)
}
