import ProtocolKit
import TestSupport
import Testing

@testable import TDXProtocol

/// The test vectors of the TDX notes (section 1.10), as data from their public sources, each
/// named where it is used: quant1x/gotdx's captured reply frames, pytdx's parser docstrings,
/// rustdx's request snapshots, tdxrs's new-generation request templates, and the hexdumps of real
/// traffic in the nDPI fork JKJUN527/nDPI_Developing_base1.4.
@Suite("TDX test vectors")
struct TDXVectorTests {
    // MARK: - quant1x/gotdx

    /// quant1x/gotdx `quotes/stock_security_quotes_new_test.go`: a whole 0x054c reply of 20
    /// securities, zlib-compressed (wire 1297, raw 2001 bytes).
    static let quotesNewCompressed = hex(
        """
        b1cb74001c3b2f8800004c051105d107789c75957d4c137718c79fdfddf5ee7a6da1050aa29597a9d36cce1d2db4b02d
        2d5704c4524944d0a9c16c0b71cecd652ff125cb16c69497511c600b5840878522182ca0e86801d14dc117d4b86936b9
        04984ee79c6e6ed1c539c3aef80ff7c7fdfeff3d9f7c9ee7fb7b7e0011002ccb1af529835480cab06269fe669e7942b9
        bc8bd4aef762ed4dd5ea3ee72ccefd3902545e8cca9fab54de9bc2a068f15016cc387addefe61fc25a4e82c419a4048a
        5ecfa6e413adea4c8ec9aadacb33bfa82b7ec54d05f2a736d7083ab61f833639071a1f5212e140c150e297cb6696d89b
        32c762bd775612914f0411294909d730bf3a3f479e13a8e7997fd5bda7b0105d6187cdb7ade43c82432a40b39d48093a
        888689dceb2289e41db254d9cb999c14e11a36dd2a43f20d6c3f63c5c88c0e37cf8c33ee49fc95bace265b4f2b763080
        609f82034329a1c400645014d08b241efdbcc8b279af4b52e24610a14fd227dfa29bc36d79d16b9cb53c3319defc94f3
        609737c4afa81889abeb8d075f0f09a89ae8a5ed918fa734006b8a96cfacb2755b93f97e53ac558a728b0e5212f58602
        aa5fb1b19029ec6be299ff14dee1387ad5f7667bd569a6ae38129c1f0b23475e952ac23ba505d8a7153126d61db08ccf
        ad933429a09091650d498957c9800296a956150773a568dc19f962f42798dd7354d977490ece1121574708373d4a8d4e
        8540d1f8b86822cb7df32c556baa252157c96908ab3f891ae9a51c6e1d708c313cbd731821f3922bcb4b0b07df003705
        e83072a1cac86777a8f49915521765bcf6e89cfe9414e1249a1e8889adc3eb298411694d0778e647aa9d57a81aff599c
        fd8d93ee1ec6913b9483da591df917901648803287c8c2467b2cfafba5921675f874725936047744903a5dd64015cf5c
        88f0f810d6b0b0c0d6feb63f03952de0a007d508c9550302584c67ceaca07dd86ee6cedc944c6ec83421c998c8135574
        decac8bcbe469eb94c7b476675a95aeacf669fb849b7dd08852fc23918c43aa21df8fd291c8aca178a34e22d6bcd0f9f
        f4486af0c107c89a0cc66ed217b5ce4eae2ca9e1993fa2765fa435d7df3f9f5dd346f47b09f07e294c5ceb56286136d0
        90aa528852b57a81ce72cbe9911c4737399ddc64c308f6359d8ee14b5d42aa26687f00a78e1cde6c6bbb83f65c417010
        717002edc695c20d0c86c6e2451e85c7f7584ae6570f493146b060a84cacc14f1f8ab1a531ab6b76f3ccdd987df5f35c
        e87533b9c2f39ba6bf5303bd3b69409dd8f125768d2cf8d273626c33ab90ebdfb4c4b98a254dfc74909268326da77651
        e91c2c6b6ce399d394ab42d749bc3af774f6d19f94cddda1b0ab567069d71e4a75a048215aa99b9e17f5ebddb756598c
        f5d2fb647b70efb2c986840d74a9f1c334d5d6c37f8f31c346e777aaf8fe40afbdac94ac1ca0c0fb44d859c588568629
        810088558918b9ef5c33b736e44a866b030d06019294f2801e8c3d87b6c8b61c2fe71968bcd8833cb2973e65733abd59
        5d6d9bacbde75f005421938f8684821c8a720744fd9abcd465193b7257d2e441b05f0683d1741baf8c92a974e9f50e9e
        198d2a398385d714dfb3d50ea1ae5d08396200a110a5f07d087fd45f0745bbb76fc7b7e6f4890f24b7e2ed678f242141
        43bac3ac8432b3a18e67ae8735b490ea3cefc6ec7e3fbeff0e062d9c15e447c90bc4e3291ae2d61f13452bd33537352a
        e13349090d196c95d16430e1adb319ad2eadea2ba153be1e2c7c8f09b21d2790e723e85f0bf89cf92ae191d3007f968b
        147c936596be4287a48209ff1fbd25ad8b
        """)

    /// quant1x/gotdx `quotes/stock_security_quotes_new_test.go`: a plain 0x054c reply of one security (002423).
    static let quotesNewPlain = hex(
        "b1cb74000c15000000004c05690069000000010000303032343233000fbf0b6a68096882fba60eff0b9dc73884710b36a74d9ebd14808a240194744100"
            + "900d9d1816140d001100805fa94a0000000000000000000000005ba59c3fd71b0fc2000000000000000000000000000000000000000000000000000f")

    @Test("0x054c compressed (gotdx stock_security_quotes_new_test.go): 20 quotes; 000629 at 5.07, previous close 5.01, 330133 lots, 167172432 CNY")
    func quotesNewCompressedFrame() throws {
        let frame = Self.quotesNewCompressed
        #expect(frame.count == 16 + 1297)
        let header = frame.withUnsafeBytes { TDXReplyHeader($0, at: 0) }
        #expect(header.flag == 0x1C && header.command == 0x054C && header.wireSize == 1297 && header.rawSize == 2001)
        #expect(header.compressed && header.flagAgrees)
        let sink = run([.data(.toClient, frame)], flow: midStream)
        let event = try #require(sink.events.first)
        #expect(sink.events.count == 1)
        #expect(event.anomalyNames == [])
        #expect(event.kind == .mdQuote)
        #expect(event.body("count") == .uint(20))
        #expect(event[field: "instrument"] == .string("000629.SZ"))
        #expect(event[field: "price"] == .double(5.07))
        #expect(event[field: "pre_close"] == .double(5.01))
        #expect(event[field: "volume"] == .int(330_133))
        #expect(event[field: "amount"] == .double(167_172_432))
        #expect(event[field: "entry_count"] == .uint(20))
        let quotes = event.body("quotes")?.elements ?? []
        #expect(quotes.count == 20)
        // Every record ends with active2 equal to active1: the layout is read in step to the end.
        for quote in quotes { #expect(quote[member: "active1"] == quote[member: "active2"]) }
        #expect(quotes.last?[member: "code"] == .string("300673"))
        #expect(quotes[6][member: "code"] == .string("600354") && quotes[6][member: "market"] == .uint(1))
        #expect(quotes[0][member: "speed"] == .double(-0.19))
    }

    @Test("0x054c plain (gotdx stock_security_quotes_new_test.go): 002423 at 7.67, previous close 7.25, 463325 lots, bid 7.66/848, ask 7.67/1565")
    func quotesNewPlainFrame() throws {
        #expect(Self.quotesNewPlain.count == 16 + 105)
        let sink = run([.data(.toClient, Self.quotesNewPlain)], flow: midStream)
        let event = try #require(sink.events.first)
        #expect(event.anomalyNames == [])
        #expect(event.tdx("compressed") == .bool(false))
        #expect(event[field: "instrument"] == .string("002423.SZ"))
        #expect(event[field: "price"] == .double(7.67))
        #expect(event[field: "pre_close"] == .double(7.25))
        #expect(event[field: "volume"] == .int(463_325))
        #expect(event[field: "amount"] == .double(350_667_104))
        #expect(event[field: "bid_price"] == .double(7.66) && event[field: "bid_quantity"] == .int(848))
        #expect(event[field: "ask_price"] == .double(7.67) && event[field: "ask_quantity"] == .int(1565))
    }

    /// quant1x/gotdx `quotes/cmd_hearbeat.go` and `quotes/base_message_test.go`: the heartbeat
    /// request (0x0004, no body) and its 10-byte reply.
    static let heartbeatRequest = hex("0c7600280002020002000400")
    static let heartbeatReply = hex("b1cb74000c760028000004000a000a0000000000000000000000")

    @Test("the heartbeat of gotdx cmd_hearbeat.go: request and reply pair as heartbeat events")
    func heartbeat() {
        let sink = run([.data(.toServer, Self.heartbeatRequest), .data(.toClient, Self.heartbeatReply)])
        #expect(sink.events.map(\.kind) == [.heartbeat, .heartbeat])
        #expect(sink.events.map(\.commandName) == ["heartbeat", "heartbeat"])
        #expect(sink.events[1].tdx("paired") == .bool(true))
        #expect(sink.events[1].tdx("raw_size") == .uint(10))
        #expect(sink.events[0].tdx("sequence") == .string("76002800"))
        #expect(sink.counter("heartbeats") == 2)
        #expect(sink.anomalyNames == [])
    }

    // MARK: - pytdx docstrings

    /// rainx/pytdx `pytdx/parser/get_security_bars.py` docstring: daily bars (category 9) of
    /// 000001, start 0, count 10: the request and the server's reply.
    static let barsRequest = hex("0c01086401011c001c002d0500003030303030310900010000000a0000000000000000000000")
    static let barsReply = hex(
        "b1cb74000c01086401002d05aa00aa000a006ec73301b28c011e3254a081ad4816d6984d6fc7330154ae0182024ab0a51d4978090c4e70c73301"
            + "5414285e8003bb488b59a64d71c73301140086015ec059274945cb154e74c73301006828724060f648ae0edc4d75c73301000a1e7c40f6da48a37d"
            + "c24d76c7330100680ad0018052b748ad68a24d77c7330100680072a0f0a448f8b9914d78c733010054285ee0a48b48c294764d7bc733010aa401b8"
            + "014a001def4874abd44d")

    @Test("bars of pytdx get_security_bars.py: 10 daily bars of 000001 decoded against the request's category")
    func bars() throws {
        #expect(Self.barsReply.count == 16 + 170)
        let sink = run([.data(.toServer, Self.barsRequest), .data(.toClient, Self.barsReply)])
        #expect(sink.anomalyNames == [])
        let request = try #require(sink.events.first)
        #expect(request.kind == .mdSubscribe)
        #expect(request[field: "subscription_type"] == .string("bars"))
        #expect(request[field: "instrument"] == .string("000001.SZ"))
        #expect(request.body("category") == .uint(9) && request.body("count") == .uint(10))
        let reply = sink.events[1]
        #expect(reply.body("count") == .uint(10))
        let bars = reply.body("bars")?.elements ?? []
        #expect(bars.count == 10)
        // The first bar's open is absolute (0x8cb2 varint = 9.010); each later open is relative to the previous close.
        #expect(bars.first?[member: "datetime"] == .string("2017-06-06"))
        #expect(bars.first?[member: "open"] == .double(9.01))
        #expect(bars.last?[member: "datetime"] == .string("2017-06-19"))
        for bar in bars {
            let low = bar[member: "low"]?.double ?? 0, high = bar[member: "high"]?.double ?? 0
            #expect(low <= (bar[member: "open"]?.double ?? -1) && (bar[member: "close"]?.double ?? 0) <= high)
        }
    }

    /// rainx/pytdx `pytdx/parser/get_minute_time_data.py` docstring: the start of a 0x051d reply
    /// (header, n = 240, two skipped bytes, the first points), and pytdx's own readings of them.
    static let minuteExcerpt = hex("b1cb74000c1b080001b61d05be03be03f0000000a208ce038d2c028302972f4124b11a00219821011183180014891c0009be0b4207b11000429c2041")

    @Test("minute data of pytdx get_minute_time_data.py: header fields, and the varints pytdx read (546, -206, 2829; 2, 131, 3031; -1, 36, 1713)")
    func minuteDocstring() throws {
        let header = Self.minuteExcerpt.withUnsafeBytes { TDXReplyHeader($0, at: 0) }
        #expect(header.sequence == 0x0100_081B && header.byte9 == 0xB6 && header.command == 0x051D)
        #expect(header.wireSize == 958 && header.rawSize == 958)
        let values = try Self.minuteExcerpt.withUnsafeBytes { buffer in
            var reader = TDXReader(UnsafeRawBufferPointer(rebasing: buffer[18...]))
            return try (0..<12).map { _ in try reader.varint() }
        }
        #expect(values == [0, 0, 546, -206, 2829, 2, 131, 3031, -1, 36, 1713, 0])
        // Cut after 44 body bytes: a frame cut by the end of the stream.
        let sink = run([.data(.toClient, Self.minuteExcerpt)], flow: midStream)
        #expect(sink.anomalyNames == ["truncated_at_end"])
    }

    // MARK: - rustdx snapshots

    @Test("security count and list requests of rustdx tests/snapshots (tcp__security-count-sh, tcp__security-list-send)")
    func rustdxRequests() {
        let count: [UInt8] = [12, 12, 24, 108, 0, 1, 8, 0, 8, 0, 78, 4, 1, 0, 117, 199, 51, 1]
        let list: [UInt8] = [12, 1, 24, 100, 1, 1, 6, 0, 6, 0, 80, 4, 0, 0, 0, 0]
        #expect(probe(count) == .match)
        let sink = run([.data(.toServer, count + list)])
        #expect(sink.events.map(\.commandName) == ["security_count", "security_list"])
        #expect(sink.events[0].body("market") == .uint(1))
        #expect(sink.events[0].body("tail") == .uint(20_170_613))
        #expect(sink.events[1].body("market") == .uint(0) && sink.events[1].body("start") == .uint(0))
        #expect(sink.counter("commands.security_count") == 1 && sink.counter("commands.security_list") == 1)
    }

    // MARK: - tdxrs new-generation templates

    /// mosandao/tdxrs `python/tdxrs/v2_client.py`: the official client's new-generation request
    /// templates (login 80 B, bars 58 B, minute 50 B, quote 58 B, snapshot 55 B); the code slots
    /// hold the placeholder `C0DE00`.
    static let newGenerationLogin = hex(
        "000300010001460046000f1204002d3100000000000000000027100e00000000"
            + "0000000000000000000000000000000000000000000000000000000000000000" + "00000000000000000000000000000000")
    static let newGenerationBars = hex("000a00681301300030002e120000433044453030000000000000000000000000" + "000000000400010000000000bc02000001010001000000000000")
    static let newGenerationMinute = hex("0007003a0101280028002d120000433044453030000000000000000000000000" + "000000000000000001000000000000000000")
    static let newGenerationQuote = hex("000500290001300030002b12ffffffffff58ff07000000020000000000000000" + "0100000043304445303000000000000000000000000000000000")
    static let newGenerationSnapshot = hex("000d002c12012d002d002c12060000000000000000000000000e00360000001b" + "000100fffce1cc3f080302000000000000000000000001")

    @Test("the new-generation frames of tdxrs v2_client.py frame with the classic header (flag 0x00, len1 = total - 10) and are named")
    func newGeneration() throws {
        let frames = [Self.newGenerationLogin, Self.newGenerationBars, Self.newGenerationMinute, Self.newGenerationQuote, Self.newGenerationSnapshot]
        #expect(frames.map(\.count) == [80, 58, 50, 58, 55])
        for frame in frames {
            let header = frame.withUnsafeBytes { TDXRequestHeader($0, at: 0) }
            #expect(header.flag == 0 && header.plausible && header.frameLength == frame.count)
        }
        #expect(probe(Self.newGenerationLogin) == .match)
        let sink = run([.data(.toServer, frames.flatMap { $0 })])
        #expect(sink.anomalyNames == [])
        #expect(sink.events.map(\.commandName) == ["ng_login", "ng_symbol_bars", "ng_minute_data", "ng_symbol_quote", "ng_market_snapshot"])
        #expect(sink.events.allSatisfy { $0.tdx("family") == .string("new_generation") })
        #expect(sink.events[0].kind == .logon)
        #expect(sink.events[0][field: "client_fingerprint"] == .string("official_new_generation"))
        let bars = sink.events[1]
        #expect(bars.kind == .mdSubscribe)
        #expect(bars.body("code") == .string("C0DE00"))
        #expect(bars.body("category") == .uint(4) && bars.body("count") == .uint(700))
        #expect(sink.events[3].body("code") == .string("C0DE00"))
        #expect(sink.counter("new_generation_flows") == 1)
    }

    // MARK: - nDPI hexdumps of real traffic

    /// JKJUN527/nDPI_Developing_base1.4 `nDPI/src/lib/protocols/huarong.c`: the official client's
    /// request for its broker-branded configuration (0x02c5, 52 bytes).
    static let brokerConfigRequest = hex(
        "0c 06 18 69 00 01 2a 00 2a 00 c5 02 63 75 73 74 6f 6d 63 66 67 5f 68 72 7a 71 76 36 2e 7a 69 70"
            + " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")

    @Test("the broker configuration request of nDPI huarong.c names customcfg_hrzqv6.zip, a session fingerprint")
    func brokerConfig() throws {
        #expect(Self.brokerConfigRequest.count == 52)
        let sink = run([.data(.toServer, Self.brokerConfigRequest + Self.heartbeatRequest)])
        #expect(sink.events.count == 2)
        #expect(sink.events[0].body("file_name") == .string("customcfg_hrzqv6.zip"))
        #expect(sink.events[1][field: "tdx.broker_config"] == .string("customcfg_hrzqv6.zip"))
        #expect(sink.counter("broker_config_flows") == 1)
        // Counted without events too.
        let quiet = run([.data(.toServer, Self.brokerConfigRequest)], interest: .none)
        #expect(quiet.events.isEmpty && quiet.counter("broker_config_flows") == 1)
    }

    /// JKJUN527/nDPI_Developing_base1.4 `pinganzhengquan.c`: reply headers of real
    /// extended-market traffic (set-up, markets compressed, count plain, instruments compressed)
    /// and `huarong.c`: a standard-port reply with flag 0x01 carrying a file.
    @Test("reply headers of nDPI pinganzhengquan.c and huarong.c: flags, compression, sizes")
    func ndpiReplyHeaders() {
        let cases: [(String, UInt8, UInt16, UInt16, UInt16, Bool)] = [
            ("b1 cb 74 00 11 01 48 65 00 00 54 24 30 00 2b 01", 0x11, 0x2454, 0x30, 0x12B, true),
            ("b1 cb 74 00 11 02 48 69 00 00 f4 23 cb 02 82 1f", 0x11, 0x23F4, 0x2CB, 0x1F82, true),
            ("b1 cb 74 00 01 03 48 66 00 00 f0 23 1f 00 1f 00", 0x01, 0x23F0, 0x1F, 0x1F, false),
            ("b1 cb 74 00 11 04 48 67 00 00 f5 23 86 20 06 7d", 0x11, 0x23F5, 0x2086, 0x7D06, true),
            ("b1 cb 74 00 01 00 00 54 00 00 4c 1f 14 04 14 04", 0x01, 0x1F4C, 0x414, 0x414, false),
        ]
        for (text, flag, command, wire, raw, compressed) in cases {
            let bytes = hex(text)
            #expect(probe(bytes, direction: .toClient) == .match)
            let header = bytes.withUnsafeBytes { TDXReplyHeader($0, at: 0) }
            #expect(header.flag == flag && header.command == command && header.wireSize == wire && header.rawSize == raw)
            #expect(header.compressed == compressed && header.flagAgrees)
        }
        #expect(TDXCommand.family(of: 0x23F0, flag: 0x01) == .extended)
    }

    // MARK: - Notes section 1.5 and 1.4

    @Test("pytdx's three set-up frames (notes 1.5, pytdx parser/setup_commands.py) fingerprint the client as pytdx_or_tradex")
    func setupFingerprint() {
        let sink = run([.data(.toServer, TDXFrameBuilder.pytdxSetup.flatMap { $0 })])
        #expect(sink.events.map(\.kind) == [.message, .message, .logon])
        #expect(sink.events[2][field: "client_fingerprint"] == .string("pytdx_or_tradex"))
        #expect(sink.events[2].body("pytdx_bytes") == .bool(true))
        #expect(sink.counter("pytdx_setup_flows") == 1)
    }

    @Test("float32 amounts are IEEE-754 (notes 1.4: 0x4d1f6d95 is 167172432.0, which pytdx's get_volume also gives)")
    func float32() throws {
        let value = try ([0x95, 0x6D, 0x1F, 0x4D] as [UInt8]).withUnsafeBytes { buffer in
            var reader = TDXReader(buffer)
            return try reader.f32()
        }
        #expect(value == 167_172_432)
        // FINDINGS.md section 6: 11.52 (41 38 51 ec) is 11.52, not pytdx's 904.02.
        let small = try ([0xEC, 0x51, 0x38, 0x41] as [UInt8]).withUnsafeBytes { buffer in
            var reader = TDXReader(buffer)
            return try reader.f32()
        }
        #expect(TDXNumber.double(small) == 11.52)
    }

    /// A flow picked up mid-stream (no SYN): replies with no request seen are not news.
    static let midStream = FlowInfo(
        client: IPAddress(ipv4: 0x0A1E_010B), clientPort: 54674, server: IPAddress(ipv4: 0x0A1E_0001), serverPort: 7709,
        transport: .tcp, id: 9, start: .zero, orientation: .servicePort)
    var midStream: FlowInfo { Self.midStream }
}
