import Foundation
import Inspector
import Testing

/// The TDX recordings of `Captures/tdx/` (the real pytdx client against the simulated quote
/// server and TdxTradeServer wrapper, and one hand-made official-client session), decoded through
/// the whole analyzer, against the ground truth written by the programs that made them
/// (`*.truth.json`) and against golden outputs.
@Suite("TDX recordings through the whole analyzer")
struct TDXCaptureTests {
    /// The committed TDX recordings.
    static var captures: [String] {
        let folder = CommittedCaptures.folder.appendingPathComponent("tdx")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") }.sorted().map { "tdx/" + $0 }
    }

    static func decode(_ capture: String) throws -> AnalysisRun {
        try EndToEnd.analyze([CommittedCaptures.path(capture)]) { configuration in
            configuration.detector.decoders = configuration.builtInDecoders
            configuration.flowEvents = false
            configuration.statsRecord = false
        }
    }

    /// A number as an integer in `scale`ths (prices are written in currency units; the truth
    /// gives 1/100 or 1/1000).
    static func scaled(_ value: Any?, _ scale: Double) -> Int? {
        (value as? NSNumber).map { Int(($0.doubleValue * scale).rounded()) }
    }

    /// Whether a float32 the decoder wrote is the float32 the truth gives.
    static func sameFloat(_ mine: Any?, _ truth: Any?) -> Bool {
        guard let mine = mine as? NSNumber, let truth = truth as? NSNumber else { return false }
        return Float(mine.doubleValue) == Float(truth.doubleValue)
    }

    @Test("every frame pytdx and the server sent is decoded once, in order, with its header and values", arguments: captures)
    func groundTruth(capture: String) throws {
        let truthPath = CommittedCaptures.path(capture.replacingOccurrences(of: ".pcap", with: ".truth.json"))
        let truth = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: truthPath))) as? [String: Any])
        let connections = try #require(truth["connections"] as? [[String: Any]])
        let secrets = truth["secrets"] as? [String] ?? []
        let run = try Self.decode(capture)
        let records = run.events("tdx")
        for secret in secrets { #expect(!run.eve.containsSubsequence(Array(secret.utf8)), "secret \(secret) in the output") }
        try EndToEnd.expectTruthFrames(records, connections: connections, label: "\(capture) ") { mine, theirs, connection, context in
            #expect(mine.value(["tdx", "anomalies"]) == nil, "\(context)")
            if connection["role"] as? String == "http" {
                try Self.checkHTTP(mine, theirs, context)
            } else {
                try Self.checkFrame(mine, theirs, context)
            }
        }
    }

    static func checkHTTP(_ mine: EVERecord, _ theirs: [String: Any], _ context: String) throws {
        let encrypted = theirs["encrypted"] as? Bool ?? false
        #expect(mine.value(["tdx", "encrypted"]) as? Bool == encrypted, "\(context)")
        #expect(mine.int("tdx", "http", "content_length") == theirs["body_length"] as? Int, "\(context)")
        if encrypted {
            #expect(mine.int("tdx", "ciphertext_length") == theirs["ciphertext_length"] as? Int, "\(context)")
            return
        }
        if theirs["direction"] as? String == "to_server" {
            #expect(mine.string("tdx", "func") == theirs["func"] as? String, "\(context)")
            for (key, value) in theirs["params"] as? [String: Any] ?? [:] {
                let decoded = mine.value(["tdx", "params", key])
                if let text = value as? String, text == "<redacted>" {
                    // The truth redacts every password; the decoder shows an empty one as empty.
                    #expect(decoded as? String == text || decoded as? String == "", "\(context) \(key)")
                } else if let text = value as? String {
                    #expect(decoded as? String == text, "\(context) \(key)")
                } else {
                    #expect((decoded as? NSNumber) == (value as? NSNumber), "\(context) \(key)")
                }
            }
        } else {
            let json = theirs["json"] as? [String: Any] ?? [:]
            #expect(mine.value(["tdx", "success"]) as? Bool == json["success"] as? Bool, "\(context)")
            if let rows = json["data"] as? [Any] { #expect(mine.int("tdx", "data_rows") == rows.count, "\(context)") }
        }
    }

    static func checkFrame(_ mine: EVERecord, _ theirs: [String: Any], _ context: String) throws {
        #expect(mine.string("tdx", "command") == theirs["command"] as? String, "\(context)")
        #expect(mine.string("tdx", "command_name") == theirs["command_name"] as? String, "\(context)")
        #expect(mine.string("tdx", "sequence") == theirs["sequence"] as? String, "\(context)")
        let request = theirs["direction"] as? String == "to_server"
        if request {
            #expect(mine.string("tdx", "flag") == theirs["flag"] as? String, "\(context)")
            #expect(mine.int("tdx", "packet_type") == theirs["packet_type"] as? Int, "\(context)")
            #expect(mine.int("tdx", "length") == theirs["len1"] as? Int, "\(context)")
        } else {
            #expect(mine.value(["tdx", "compressed"]) as? Bool == theirs["compressed"] as? Bool, "\(context)")
            #expect(mine.int("tdx", "wire_size") == theirs["wire_size"] as? Int, "\(context)")
            #expect(mine.int("tdx", "raw_size") == theirs["raw_size"] as? Int, "\(context)")
            #expect(mine.value(["tdx", "paired"]) as? Bool == true, "\(context)")
        }
        guard let values = theirs["values"] as? [String: Any] else { return }
        let body = mine.value(["tdx", "body"]) as? [String: Any] ?? [:]
        let name = theirs["command_name"] as? String ?? ""
        switch (name, request) {
        case ("setup1", true):
            #expect(body["step"] as? Int == values["step"] as? Int, "\(context)")
        case ("security_count", true), ("security_list", true):
            #expect(body["market"] as? Int == values["market"] as? Int, "\(context)")
            if let start = values["start"] as? Int { #expect(body["start"] as? Int == start, "\(context)") }
        case ("security_count", false), ("ex_instrument_count", false):
            #expect(body["count"] as? Int == values["count"] as? Int, "\(context)")
        case ("security_quotes", true):
            let codes = (values["codes"] as? [[Any]] ?? []).map { pair in
                "\(pair[1] as? String ?? "").\((pair[0] as? Int) == 1 ? "SH" : "SZ")"
            }
            #expect(body["codes"] as? [String] == codes, "\(context)")
        case ("security_quotes", false):
            try checkQuotes(body, values, context)
        case ("security_list", false):
            let rows = values["rows"] as? [[Any]] ?? []
            let mineRows = body["securities"] as? [[String: Any]] ?? []
            #expect(mineRows.count == rows.count && body["count"] as? Int == values["count"] as? Int, "\(context)")
            for (row, decoded) in zip(rows, mineRows) {
                #expect(decoded["code"] as? String == row[0] as? String, "\(context)")
                #expect(decoded["volunit"] as? Int == row[1] as? Int, "\(context)")
                #expect(decoded["name"] as? String == row[2] as? String, "\(context) \(row[0])")
                #expect(decoded["decimal_point"] as? Int == row[4] as? Int, "\(context)")
                #expect(sameFloat(decoded["pre_close"], row[5]), "\(context) \(row[0]) pre_close")
            }
        case ("security_bars", true), ("minute_time_data", true), ("history_minute_time_data", true), ("transaction_data", true),
            ("ex_instrument_quote", true):
            #expect(body["market"] as? Int == values["market"] as? Int, "\(context)")
            #expect(body["code"] as? String == values["code"] as? String, "\(context)")
            for key in ["category", "start", "count", "date"] where values[key] != nil {
                #expect(body[key] as? Int == values[key] as? Int, "\(context) \(key)")
            }
        case ("security_bars", false):
            let rows = values["rows"] as? [[Any]] ?? []
            let bars = body["bars"] as? [[String: Any]] ?? []
            #expect(bars.count == rows.count, "\(context)")
            for (row, bar) in zip(rows, bars) {
                let date = String(format: "%04d-%02d-%02d", row[0] as? Int ?? 0, row[1] as? Int ?? 0, row[2] as? Int ?? 0)
                let time = (row[3] as? Int).map { String(format: " %02d:%02d", $0, row[4] as? Int ?? 0) } ?? ""
                #expect(bar["datetime"] as? String == date + time, "\(context)")
                for (index, key) in ["open", "close", "high", "low"].enumerated() {
                    #expect(scaled(bar[key], 1000) == row[5 + index] as? Int, "\(context) \(key)")
                }
                #expect(sameFloat(bar["vol"], row[9]) && sameFloat(bar["amount"], row[10]), "\(context)")
            }
        case ("minute_time_data", false), ("history_minute_time_data", false):
            let rows = values["rows"] as? [[Any]] ?? []
            let points = body["points"] as? [[Any]] ?? []
            #expect(points.count == rows.count, "\(context)")
            for (row, point) in zip(rows, points) {
                #expect(scaled(point[0], 100) == row[0] as? Int && point[1] as? Int == row[2] as? Int, "\(context)")
            }
        case ("transaction_data", false):
            let rows = values["rows"] as? [[Any]] ?? []
            let trades = body["trades"] as? [[Any]] ?? []
            #expect(trades.count == rows.count, "\(context)")
            for (row, trade) in zip(rows, trades) {
                #expect(trade[0] as? String == String(format: "%02d:%02d", row[0] as? Int ?? 0, row[1] as? Int ?? 0), "\(context)")
                #expect(scaled(trade[1], 100) == row[2] as? Int, "\(context)")
                #expect(trade[2] as? Int == row[3] as? Int && trade[3] as? Int == row[4] as? Int && trade[4] as? Int == row[5] as? Int, "\(context)")
            }
        case ("file_meta", true):
            #expect(body["file_name"] as? String == values["file_name"] as? String, "\(context)")
            if (values["file_name"] as? String)?.hasPrefix("customcfg_") == true {
                #expect(mine.string("trading", "tdx.broker_config") == values["file_name"] as? String, "\(context)")
            }
        case ("file_meta", false):
            #expect(body["size"] as? Int == values["size"] as? Int && body["hash"] as? String == values["hash"] as? String, "\(context)")
        case ("official_login", true), ("ex_setup", true):
            #expect(body["repeated_block"] as? String == (values["block_at_32_hex"] ?? values["block_hex"]) as? String, "\(context)")
            #expect(body["block_repeats"] as? Int == values["block_repeats"] as? Int, "\(context)")
            let fingerprint = name == "official_login" ? "official_client" : "pytdx_extended"
            #expect(mine.string("trading", "client_fingerprint") == fingerprint, "\(context)")
        case ("ex_markets", false):
            let rows = values["rows"] as? [[Any]] ?? []
            let markets = body["markets"] as? [[String: Any]] ?? []
            #expect(markets.count == rows.count, "\(context)")
            for (row, market) in zip(rows, markets) {
                #expect(market["category"] as? Int == row[0] as? Int && market["name"] as? String == row[1] as? String, "\(context)")
                #expect(market["market"] as? Int == row[2] as? Int && market["short_name"] as? String == row[3] as? String, "\(context)")
            }
        case ("ex_instrument_info", true):
            #expect(body["start"] as? Int == values["start"] as? Int && body["count"] as? Int == values["count"] as? Int, "\(context)")
        case ("ex_instrument_info", false):
            let rows = values["rows"] as? [[Any]] ?? []
            let instruments = body["instruments"] as? [[String: Any]] ?? []
            #expect(instruments.count == rows.count, "\(context)")
            for (row, instrument) in zip(rows, instruments) {
                for (index, key) in ["category", "market", "code", "name", "desc"].enumerated() {
                    #expect("\(instrument[key] ?? "")" == "\(row[index])", "\(context) \(key)")
                }
            }
        case ("ex_instrument_quote", false):
            #expect(body["code"] as? String == values["code"] as? String && body["market"] as? Int == values["market"] as? Int, "\(context)")
            for key in ["pre_close", "open", "high", "low", "price"] {
                #expect(sameFloat(body[key], values[key]), "\(context) \(key)")
            }
            for key in ["kaicang", "zongliang", "xianliang", "neipan", "waipan", "chicang"] {
                #expect(body[key] as? Int == values[key] as? Int, "\(context) \(key)")
            }
            let bids = (body["bids"] as? [[Any]] ?? []).map { $0[0] }
            for (mine, truth) in zip(bids, values["bids"] as? [Any] ?? []) { #expect(sameFloat(mine, truth), "\(context) bids") }
        default:
            break
        }
    }

    static func checkQuotes(_ body: [String: Any], _ values: [String: Any], _ context: String) throws {
        let columns = values["columns"] as? [String] ?? []
        let rows = values["rows"] as? [[Any]] ?? []
        let quotes = body["quotes"] as? [[String: Any]] ?? []
        #expect(quotes.count == rows.count && body["count"] as? Int == values["count"] as? Int, "\(context)")
        for (row, quote) in zip(rows, quotes) {
            for (index, column) in columns.enumerated() {
                let truth = row[index]
                switch column {
                case "market", "active1", "active2", "vol", "cur_vol", "s_vol", "b_vol", "server_time":
                    #expect(quote[column] as? Int == truth as? Int, "\(context) \(column)")
                case "code":
                    #expect(quote["code"] as? String == truth as? String, "\(context)")
                case "price", "last_close", "open", "high", "low":
                    #expect(scaled(quote[column], 100) == truth as? Int, "\(context) \(column)")
                case "amount":
                    #expect(sameFloat(quote["amount"], truth), "\(context) amount")
                case "speed":
                    #expect(scaled(quote["speed"], 100) == truth as? Int, "\(context) speed")
                case "bids", "asks":
                    let levels = (quote[column] as? [[Any]] ?? []).map { [scaled($0[0], 100) ?? -1, $0[1] as? Int ?? -1] }
                    #expect(levels == (truth as? [[Int]] ?? []), "\(context) \(column)")
                default:
                    break
                }
            }
        }
    }

    @Test("decoding each committed TDX capture gives its golden output byte for byte", arguments: captures)
    func golden(capture: String) throws {
        try EndToEnd.expectGolden(try Self.decode(capture), capture: capture)
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the bytes.
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        for start in 0...(count - needle.count) where self[start] == needle[0] && Array(self[start..<(start + needle.count)]) == needle {
            return true
        }
        return false
    }
}
