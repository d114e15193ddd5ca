import PacketCapture
import TestSupport

/// FIX captures with a ground truth: the edge cases of the protocol notes' section 1.7 (one TCP
/// conversation per client port), the "other results" of that section (junk before the first
/// message, a greeting, a split before the trailer, `8=FIX` in Text) and garbage between messages
/// of an established flow. Each writes a `.truth.json` next to the capture.
enum FIXCaptures {
    /// The recipes, in manifest order.
    static let recipes: [CaptureRecipe] = [
        CaptureRecipe(
            name: "fix-edgecases", file: "synthetic-fix-edgecases.pcap", folder: "fix",
            covers: """
                Ethernet, FIX edge cases one per client port: 40001-40016 as in the protocol notes 1.7 (553/554 logon, \
                split and packed messages, BodyLength -5, bad checksum, RawData with SOH, mid-stream start, junk prefix, \
                FIXT.1.1 W with groups, reordering, retransmission, 10=81, hub NOS with NoHops, GBK Text, 3.1 KB W, \
                tag 058), 40017 STEP.1.0.0 logon, 40018 FIXCOMP, 40019 8=O, 40020 two logon cycles with \
                ResendRequest and GapFill, 40021 message cut by a lost segment, 40022 1-byte segments
                """,
            make: edgeCases),
        CaptureRecipe(
            name: "fix-prefix-split", file: "synthetic-fix-prefix-split.pcap", folder: "fix",
            covers: """
                Ethernet, FIX: junk-prefixed first message (42001), non-FIX greeting then FIX (42002), split just \
                before the trailer (42003), 8=FIX inside Text 58 (42004)
                """,
            make: prefixSplit),
        CaptureRecipe(
            name: "fix-resync", file: "synthetic-fix-resync.pcap", folder: "fix",
            covers: """
                Ethernet, FIX: 4 garbage bytes between messages of an established flow, at a segment start (43001) \
                and inside a segment (43002)
                """,
            make: resync),
    ]

    private static let junk: [UInt8] = [0x00, 0xFF, 0x13, 0x37, 0xDE, 0xAD, 0xBE, 0xEF]
    private static let garbage: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF]
    /// "证券账户冻结" (securities account frozen) in GBK.
    private static let gbkAccountFrozen: [UInt8] = [0xD6, 0xA4, 0xC8, 0xAF, 0xD5, 0xCB, 0xBB, 0xA7, 0xB6, 0xB3, 0xBD, 0xE1]
    /// "行情用户登录" (market-data user logon) in GBK.
    private static let gbkMarketDataLogon: [UInt8] = [0xD0, 0xD0, 0xC7, 0xE9, 0xD3, 0xC3, 0xBB, 0xA7, 0xB5, 0xC7, 0xC2, 0xBC]

    /// The business fields of a NewOrderSingle.
    private static func newOrder(_ message: inout FIXMessageBuilder, clOrdID: String, account: String = "U1234567") {
        message.add(11, clOrdID)
        message.add(1, account)
        message.add(21, "1")
        message.add(55, "IBM")
        message.add(54, "1")
        message.add(60, "20231114-22:13:20.000")
        message.add(38, 100)
        message.add(40, "2")
        message.add(44, "135.25")
        message.add(59, "0")
    }

    private static func logonFields(_ message: inout FIXMessageBuilder, reset: Bool = false) {
        message.add(98, 0)
        message.add(108, 30)
        if reset { message.add(141, "Y") }
    }

    // MARK: - Edge cases

    private static func edge(
        _ port: UInt16, _ summary: String, tshark: String, serverPort: UInt16 = 9878, handshake: Bool = true
    ) -> FIXCase {
        FIXCase(
            summary, tshark: tshark, client: Endpoint("10.60.0.1", port), server: Endpoint("10.60.0.2", serverPort),
            index: Int(port) - 40000, handshake: handshake)
    }

    static func edgeCaseFlows() -> [FIXCase] {
        var cases: [FIXCase] = []

        var c = edge(40001, "Logon with Username 553 and Password 554; Logon reply", tshark: "OK")
        c.send(.client, c.message(.client, "A", seq: 1) {
            logonFields(&$0, reset: true)
            $0.add(553, "trader01")
            $0.add(554, "S3cr3t-Pa55")
        })
        c.send(.server, c.message(.server, "A", seq: 1) { logonFields(&$0, reset: true) })
        c.close()
        cases.append(c)

        c = edge(40002, "one NewOrderSingle in 3 segments", tshark: "OK (reassembled)")
        c.send(.client, c.message(.client, "D", seq: 1) { newOrder(&$0, clOrdID: "ORD-40002") }.bytes(), sizes: [57, 61])
        c.close()
        cases.append(c)

        c = edge(40003, "3 Heartbeats in one segment", tshark: "OK; Info \"Heartbeat, Heartbeat, Heartbeat\"")
        var packed: [UInt8] = []
        for seq in 1...3 { packed += c.message(.client, "0", seq: seq).bytes() }
        c.send(.client, packed)
        c.close()
        cases.append(c)

        c = edge(40004, "BodyLength 5 too small on the first of two Heartbeats", tshark: "both messages shown, no warning")
        var short = c.message(.client, "0", seq: 1, anomalies: ["body_length_mismatch"])
        short.bodyLengthAdjustment = -5
        c.send(.client, short)
        c.send(.client, c.message(.client, "0", seq: 2))
        c.close()
        cases.append(c)

        c = edge(40005, "bad CheckSum on the first of two Heartbeats", tshark: "fix.checksum_bad==1 on the first")
        var bad = c.message(.client, "0", seq: 1, anomalies: ["bad_checksum"])
        bad.checksumAdjustment = 17
        c.send(.client, bad)
        c.send(.client, c.message(.client, "0", seq: 2))
        c.close()
        cases.append(c)

        c = edge(
            40006, "Logon with RawDataLength 95 / RawData 96 holding SOH, '=' and '8=FIX'",
            tshark: "96 cut to \"ab\", Invalid Tag, checksum never checked")
        c.send(.client, c.message(.client, "A", seq: 1) {
            logonFields(&$0)
            $0.addData(lengthTag: 95, dataTag: 96, Array("ab\u{01}cd=ef\u{01}8=FIX.4.4\u{01}9=5\u{01}35=0\u{01}xyz".utf8))
        })
        c.close()
        cases.append(c)

        c = edge(
            40007, "capture starts mid-message (no SYN): a segment with the last 30 bytes of Heartbeat seq 6, then seq 7 and 8",
            tshark: "tail skipped, next messages OK", handshake: false)
        let earlier = c.message(.client, "0", seq: 6, record: false).bytes()
        c.send(.client, Array(earlier.suffix(30)))
        c.send(.client, c.message(.client, "0", seq: 7))
        c.send(.client, c.message(.client, "0", seq: 8))
        c.streamAnomalies.append((.client, "junk_skipped"))
        c.note = "the 30-byte tail of seq 6 is partial, not a complete message; a decoder that treats a mid-stream start as a gap may count it as resync bytes instead of junk_skipped"
        c.close()
        cases.append(c)

        c = edge(
            40008, "8 binary bytes before the first message of the flow (Logon)",
            tshark: "flow never detected (heuristic needs 8=FIX at offset 0)")
        c.send(.client, junk + c.message(.client, "A", seq: 1) { logonFields(&$0) }.bytes())
        c.streamAnomalies.append((.client, "junk_skipped"))
        c.close()
        cases.append(c)

        c = edge(40009, "FIXT.1.1 35=W with ApplVerID 1128=9 and a NoMDEntries 268 group of 3", tshark: "decoded flat; groups not structured")
        c.send(.server, c.message(.server, "W", seq: 1, version: "FIXT.1.1", applVerID: "9") {
            $0.add(262, "MDREQ-1")
            $0.add(55, "EUR/USD")
            $0.addGroup(268, [
                [(269, "0"), (270, "1.08515"), (271, "1000000")],
                [(269, "1"), (270, "1.08520"), (271, "2000000")],
                [(269, "2"), (270, "1.08518"), (271, "500000")],
            ])
        })
        c.close()
        cases.append(c)

        c = edge(
            40010, "NewOrderSingle in 2 segments sent out of order",
            tshark: "message lost; decoded with -o tcp.reassemble_out_of_order:TRUE")
        let reordered = c.pieces(.client, c.message(.client, "D", seq: 1) { newOrder(&$0, clOrdID: "ORD-40010") }.bytes(), sizes: [120])
        c.conversation.append([reordered[1], reordered[0]], from: .client)
        c.conversation.acknowledge(from: .server)
        c.close()
        cases.append(c)

        c = edge(40011, "NewOrderSingle segment retransmitted 200 ms later (same bytes)", tshark: "not re-dissected")
        let once = c.pieces(.client, c.message(.client, "D", seq: 1) { newOrder(&$0, clOrdID: "ORD-40011") }.bytes(), sizes: [])
        c.conversation.append(once, from: .client)
        c.conversation.wait(nanoseconds: 200_000_000)
        c.conversation.append(once, from: .client)
        c.conversation.acknowledge(from: .server)
        c.close()
        cases.append(c)

        c = edge(40012, "Heartbeat whose CheckSum is written 10=81 (2 digits)", tshark: "accepted as correct")
        var twoDigits = c.message(.client, "0", seq: 1, anomalies: ["checksum_not_three_digits"])
        guard twoDigits.appendFiller(112, prefix: "TEST-", checksum: 81) else { fatalError("no filler gives checksum 81") }
        twoDigits.checksumStyle = .unpadded
        c.send(.client, twoDigits)
        c.close()
        cases.append(c)

        c = edge(
            40013, "hub NewOrderSingle: OnBehalfOf 115/116, DeliverTo 128, SenderSubID 50, NoHops 627 with 2 hops (628/629/630)",
            tshark: "decoded (the fields exist)")
        c.send(.client, c.message(.client, "D", seq: 1, ids: ("HUBFIRM", "BROKER1")) {
            $0.add(115, "CLIENTFIRM")
            $0.add(116, "TRADER7")
            $0.add(128, "DESKB")
            $0.add(50, "DESK3")
            $0.addGroup(627, [
                [(628, "HUBA"), (629, "20231114-22:13:19.900"), (630, "1201")],
                [(628, "HUBB"), (629, "20231114-22:13:19.950"), (630, "3344")],
            ])
            newOrder(&$0, clOrdID: "ORD-40013", account: "ACC-77")
        })
        c.close()
        cases.append(c)

        c = edge(40014, "ExecutionReport (rejected) with MessageEncoding 347=GBK and Text 58 in GBK", tshark: "Text shown as U+FFFD characters")
        c.send(.server, c.message(.server, "8", seq: 1) {
            $0.add(347, "GBK")
            $0.add(37, "NONE")
            $0.add(11, "ORD-40014")
            $0.add(17, "EXEC-40014")
            $0.add(150, "8")
            $0.add(39, "8")
            $0.add(55, "600000")
            $0.add(54, "1")
            $0.add(38, 100)
            $0.add(151, 0)
            $0.add(14, 0)
            $0.add(6, "0")
            $0.add(58, bytes: gbkAccountFrozen)
        })
        c.close()
        cases.append(c)

        c = edge(40015, "3.1 KB MarketDataSnapshotFullRefresh 35=W over 3 MSS (1460) segments", tshark: "OK")
        var entries = 80
        var large: FIXMessageBuilder
        repeat {
            large = FIXMessageBuilder(beginString: "FIX.4.4", msgType: "W")
            large.add(49, "TSBROKER")
            large.add(56, "TSCLIENT")
            large.add(34, 1)
            large.add(52, "20231114-22:13:35.001")
            large.add(262, "MDREQ-2")
            large.add(55, "ES")
            large.addGroup(268, (0..<entries).map { index in
                [(269, index % 2 == 0 ? "0" : "1"), (270, "4512.\(25 + index % 50)"), (271, "\(100 + index * 7)"), (290, "\(index / 2 + 1)")]
            })
            entries += 1
        } while large.bytes().count < 3100
        c.record(FIXTruthMessage(side: .server, beginString: "FIX.4.4", msgType: "W", msgSeqNum: 1))
        c.send(.server, large)
        c.close()
        cases.append(c)

        c = edge(
            40016, "Logout with the Text tag written 058 (BodyLength and CheckSum computed over the bytes as sent)",
            tshark: "treated as 58; checksum good (the acceptance set's edited tag also broke its checksum)")
        c.send(.client, c.message(.client, "5", seq: 1, anomalies: ["non_canonical_tag"]) {
            $0.add(rawTag: "058", "end of day")
        })
        c.close()
        cases.append(c)

        c = edge(
            40017, "STEP.1.0.0 logon, VDE style (49=VSS 56=VDE), GBK Text 58 without 347",
            tshark: "never detected (8=STEP)", serverPort: 9129)
        c.send(.client, c.message(.client, "A", seq: 1, version: "STEP.1.0.0", ids: ("VSS", "VDE")) {
            logonFields(&$0)
            $0.add(58, bytes: gbkMarketDataLogon)
        })
        c.close()
        cases.append(c)

        c = edge(
            40018, "FIXCOMP frame: zlib-compressed FIX.4.1 Heartbeat (seq 12, 112=farm), no outer trailer",
            tshark: "detected by the 8=FIX prefix, then waits for a trailer that never comes: nothing decoded", serverPort: 4000)
        var inner = FIXMessageBuilder(beginString: "FIX.4.1", msgType: "0")
        inner.add(34, 12)
        inner.add(52, "20231114-22:13:38.000")
        inner.add(112, "farm")
        let compressed = Zlib.compress(inner.bytes(), level: 6)
        c.send(.server, Array("8=FIXCOMP\u{01}9=\(compressed.count)\u{01}".utf8) + compressed)
        c.record(FIXTruthMessage(side: .server, beginString: "FIXCOMP", msgType: "0", msgSeqNum: 12, inner: "FIX.4.1"))
        c.close()
        cases.append(c)

        c = edge(
            40019, "proprietary envelope 8=O, 9=0012, 35=P then 7 binary bytes, no trailer",
            tshark: "never detected (8=O)", serverPort: 4000)
        c.send(.server, Array("8=O\u{01}9=0012\u{01}35=P\u{01}".utf8) + [0x00, 0x01, 0x3D, 0x80, 0xFF, 0x0A, 0x7F])
        c.record(FIXTruthMessage(side: .server, beginString: "O", msgType: "P", msgSeqNum: nil))
        c.close()
        cases.append(c)

        c = edge(
            40020, """
                two Logon/Logout cycles on one connection; in the second the server jumps from 4 to 7, the client \
                sends ResendRequest 7=5 16=0, the server answers SequenceReset-GapFill 34=5 43=Y 123=Y 36=8
                """,
            tshark: "OK")
        c.send(.client, c.message(.client, "A", seq: 1) { logonFields(&$0, reset: true) })
        c.send(.server, c.message(.server, "A", seq: 1) { logonFields(&$0, reset: true) })
        c.send(.client, c.message(.client, "0", seq: 2))
        c.send(.server, c.message(.server, "0", seq: 2))
        c.send(.client, c.message(.client, "5", seq: 3))
        c.send(.server, c.message(.server, "5", seq: 3))
        c.conversation.wait(nanoseconds: 1_000_000_000)
        c.send(.client, c.message(.client, "A", seq: 4) { logonFields(&$0) })
        c.send(.server, c.message(.server, "A", seq: 4) { logonFields(&$0) })
        c.send(.server, c.message(.server, "0", seq: 7, anomalies: ["sequence_gap"]))
        c.send(.client, c.message(.client, "2", seq: 5) {
            $0.add(7, 5)
            $0.add(16, 0)
        })
        c.send(.server, c.message(.server, "4", seq: 5) {
            $0.add(43, "Y")
            $0.add(122, "20231114-22:13:40.010")
            $0.add(123, "Y")
            $0.add(36, 8)
        })
        c.send(.server, c.message(.server, "0", seq: 8))
        c.send(.client, c.message(.client, "0", seq: 6))
        c.send(.client, c.message(.client, "5", seq: 7))
        c.send(.server, c.message(.server, "5", seq: 9))
        c.close()
        cases.append(c)

        c = edge(
            40021, """
                NewOrderSingles seq 1-3 and a Heartbeat seq 4; 50 bytes in the middle of seq 2 are never captured \
                (a lost segment); the segment after the hole starts with the tail of seq 2
                """,
            tshark: "seq 1, 3 and 4 decode; with -o tcp.reassemble_out_of_order:TRUE only seq 1 (the stream waits for the hole)")
        let first = c.message(.client, "D", seq: 1) { newOrder(&$0, clOrdID: "ORD-40021-1") }.bytes()
        let cut = c.message(.client, "D", seq: 2, record: false) { newOrder(&$0, clOrdID: "ORD-40021-2") }.bytes()
        let third = c.message(.client, "D", seq: 3) { newOrder(&$0, clOrdID: "ORD-40021-3") }.bytes()
        precondition(60 + 50 < cut.count, "the hole must end inside seq 2")
        let holed = c.pieces(.client, first + cut + third, sizes: [first.count + 60, 50])
        c.conversation.append([holed[0], holed[2]], from: .client)
        c.conversation.acknowledge(from: .server)
        c.send(.client, c.message(.client, "0", seq: 4))
        c.streamAnomalies.append((.client, "truncated_at_gap"))
        c.note = "seq 2 is cut by the hole and is not a complete message; the bytes after the hole up to seq 3 are resync bytes, not junk"
        c.close()
        cases.append(c)

        c = edge(40022, "a whole Logon in 1-byte segments", tshark: "never detected: the first segment is shorter than 8=FIX")
        let chunked = c.message(.client, "A", seq: 1) { logonFields(&$0) }.bytes()
        c.send(.client, chunked, sizes: Array(repeating: 1, count: chunked.count))
        c.close()
        cases.append(c)

        return cases
    }

    private static func edgeCases() -> GeneratedCapture {
        let cases = edgeCaseFlows()
        let base = cases.filter { $0.port <= 40016 }.reduce(0) { $0 + $1.messages.count }
        let set = FIXCaptureSet(
            file: "synthetic-fix-edgecases.pcap", command: "fix-edgecases", cases: cases,
            extra: [("complete_messages_ports_40001_40016", .int(base))])
        return set.generated(truthFile: "synthetic-fix-edgecases.truth.json")
    }

    // MARK: - Prefix and split

    private static func prefixSplit() -> GeneratedCapture {
        func flow(_ port: UInt16, _ summary: String, tshark: String) -> FIXCase {
            FIXCase(
                summary, tshark: tshark, client: Endpoint("10.61.0.1", port), server: Endpoint("10.61.0.2", 9878),
                index: Int(port) - 42000)
        }
        var cases: [FIXCase] = []

        var c = flow(42001, "a 4-byte length prefix before the client's first message (Logon); the server's Logon reply", tshark: "the junk-prefixed Logon is lost, the reply decodes")
        let logon = c.message(.client, "A", seq: 1) { logonFields(&$0) }.bytes()
        let length = UInt32(logon.count)
        c.send(.client, [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + logon)
        c.send(.server, c.message(.server, "A", seq: 1) { logonFields(&$0) })
        c.streamAnomalies.append((.client, "junk_skipped"))
        c.close()
        cases.append(c)

        c = flow(42002, "a text greeting from the server, then Logon both ways", tshark: "works")
        c.send(.server, Array("FIX GATEWAY READY\r\n".utf8))
        c.send(.client, c.message(.client, "A", seq: 1) { logonFields(&$0) })
        c.send(.server, c.message(.server, "A", seq: 1) { logonFields(&$0) })
        c.streamAnomalies.append((.server, "junk_skipped"))
        c.close()
        cases.append(c)

        c = flow(42003, "a Logon split just before its 10= trailer", tshark: "works")
        let split = c.message(.client, "A", seq: 1) { logonFields(&$0) }.bytes()
        c.send(.client, split, sizes: [split.count - 7])
        c.close()
        cases.append(c)

        c = flow(42004, "Logout whose Text 58 holds '8=FIX.4.2 9=65 35=A'; Logout reply", tshark: "no harm")
        c.send(.client, c.message(.client, "5", seq: 1) { $0.add(58, "peer sent 8=FIX.4.2 9=65 35=A twice, closing") })
        c.send(.server, c.message(.server, "5", seq: 1))
        c.close()
        cases.append(c)

        return FIXCaptureSet(file: "synthetic-fix-prefix-split.pcap", command: "fix-prefix-split", cases: cases)
            .generated(truthFile: "synthetic-fix-prefix-split.truth.json")
    }

    // MARK: - Resync

    private static func resync() -> GeneratedCapture {
        func flow(_ port: UInt16, _ summary: String) -> FIXCase {
            FIXCase(
                summary, tshark: "the message after the garbage is lost (shown as [FIX continuation]; notes 1.3 report Malformed Packet)",
                client: Endpoint("10.62.0.1", port), server: Endpoint("10.62.0.2", 9878), index: Int(port) - 43000)
        }
        var cases: [FIXCase] = []

        var c = flow(43001, "Logon both ways, then a client segment of 4 garbage bytes followed by Heartbeat seq 2")
        c.send(.client, c.message(.client, "A", seq: 1) { logonFields(&$0) })
        c.send(.server, c.message(.server, "A", seq: 1) { logonFields(&$0) })
        c.send(.client, garbage + c.message(.client, "0", seq: 2).bytes())
        c.streamAnomalies.append((.client, "junk_skipped"))
        c.close()
        cases.append(c)

        c = flow(43002, "client Logon, then one server segment: Logon, 4 garbage bytes, Heartbeat seq 2")
        c.send(.client, c.message(.client, "A", seq: 1) { logonFields(&$0) })
        let reply = c.message(.server, "A", seq: 1) { logonFields(&$0) }.bytes()
        c.send(.server, reply + garbage + c.message(.server, "0", seq: 2).bytes())
        c.streamAnomalies.append((.server, "junk_skipped"))
        c.close()
        cases.append(c)

        return FIXCaptureSet(file: "synthetic-fix-resync.pcap", command: "fix-resync", cases: cases)
            .generated(truthFile: "synthetic-fix-resync.truth.json")
    }
}
