/// Sample CTP sessions between the official API and a front, built with `CTPFrameBuilder`: each a
/// list of frames in the order they travel, with the side that sends each.
package enum CTPSampleSessions {
    private typealias F = CTPFrameBuilder.Field

    /// Who sends a frame.
    package enum Sender: Sendable, Equatable {
        case client, server
    }

    /// The order of the trading session.
    package static let order: CTPStructs.Order = {
        var order = CTPStructs.Order()
        order.investor = "00012345"
        order.instrument = "rb2605"
        order.orderRef = "1"
        order.user = "00012345"
        order.direction = "1"
        order.price = 3561.5
        order.volume = 3
        order.exchange = "SHFE"
        order.ip = "192.168.7.21"
        order.mac = "02:42:ac:11:00:02"
        return order
    }()

    /// The terminal blob a relay reports for an end client (opaque, 270 bytes).
    package static func terminalBlob(_ seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return generator.bytes(count: 270)
    }

    /// "撤单找不到相应报单" in GBK.
    package static let gbkMessage: [UInt8] = [
        0xB3, 0xB7, 0xB5, 0xA5, 0xD5, 0xD2, 0xB2, 0xBB, 0xB5, 0xBD, 0xCF, 0xE0, 0xD3, 0xA6, 0xB1, 0xA8, 0xB5, 0xA5,
    ]

    /// The clear-text password of the trading session's login (it must never show in the output).
    package static let password = "Secret#1"

    /// A relay's trading session as the 6.7.11 library and a front send it: handshake,
    /// authentication (the front grants AppType 2, relay many-to-many), RegisterUserSystemInfo for
    /// the end client (TID 0x3024, field 0x4022, request id 1000), login, an order, a fill, a cancel
    /// and its rejection, a query answered in three packets, heartbeats, logout.
    package static var trader: [(Sender, [UInt8])] {
        var steps: [(Sender, [UInt8])] = [(.client, CTPFrameBuilder.heartbeatTimeout(39))]
        var handshake = CTPFrameBuilder.Body()
        handshake.text("API_20171207_V1", 31)
        steps.append((.client, CTPFrameBuilder.message(tid: 0x3025, version: 0x34, fields: [F(0x4032, handshake.bytes)])))
        var handshakeReply = CTPFrameBuilder.Body()
        handshakeReply.int(128)
        handshakeReply.zeros(301)
        handshakeReply.int(0)
        steps.append((.server, CTPFrameBuilder.message(tid: 0x3026, fields: [F(0x0000, CTPStructs.rspInfo()), F(0x4033, handshakeReply.bytes)])))
        var verify = CTPFrameBuilder.Body()
        verify.int(128)
        verify.raw([UInt8](repeating: 0xA5, count: 128), 301)
        steps.append((.client, CTPFrameBuilder.message(tid: 0x3027, version: 0x34, fields: [F(0x4034, verify.bytes)])))
        steps.append((.server, CTPFrameBuilder.message(tid: 0x3028, fields: [F(0x0000, CTPStructs.rspInfo())])))
        steps.append((.client, CTPFrameBuilder.message(tid: 0x3010, series: 1, requestID: 1, version: 0x34, fields: [
            F(0x1012, CTPStructs.authenticationInfo(
                broker: "9999", user: "00012345", product: "relay1", authInfo: [], appID: "client_relay_1.0", appType: "4")),
        ])))
        steps.append((.server, CTPFrameBuilder.message(tid: 0x3011, series: 1, requestID: 1, fields: [
            F(0x0000, CTPStructs.rspInfo(0, Array("CTP:No Error".utf8))),
            F(0x1012, CTPStructs.authenticationInfo(
                broker: "9999", user: "00012345", product: "relay1", authInfo: [], appID: "client_relay_1.0", appType: "2",
                isResult: 1)),
        ])))
        let info = CTPStructs.userSystemInfo(
            broker: "9999", user: "00012345", systemInfo: terminalBlob(1), publicIP: "203.0.113.77", port: 50123,
            loginTime: "09:12:01", appID: "client_enduser_2.1")
        steps.append((.client, CTPFrameBuilder.message(tid: 0x3024, requestID: 1000, version: 0x34, fields: [F(0x4022, info)])))
        steps.append((.client, CTPFrameBuilder.message(tid: 0x3000, requestID: 3, version: 0x34, fields: [
            F(0x1002, CTPStructs.reqUserLogin(
                broker: "9999", user: "00012345", password: Array(password.utf8), product: "relay1", mac: "02:42:ac:11:00:02",
                clientIP: "192.168.7.21")),
            F(0x1001, CTPStructs.dissemination(series: 1, sequence: 0)),
            F(0x1001, CTPStructs.dissemination(series: 2, sequence: -1)),
            F(0x1001, CTPStructs.dissemination(series: 3, sequence: -1)),
            F(0x1001, CTPStructs.dissemination(series: 4, sequence: 0)),
        ])))
        steps.append((.server, CTPFrameBuilder.message(tid: 0x3001, requestID: 3, fields: [
            F(0x0000, CTPStructs.rspInfo(0, Array("CTP:No Error".utf8))),
            F(0x1003, CTPStructs.rspUserLogin(
                tradingDay: "20260102", loginTime: "09:12:03", broker: "9999", user: "00012345", systemName: "TradingHosting",
                frontID: 1, sessionID: 77, maxOrderRef: "1")),
        ])))
        steps.append((.client, CTPFrameBuilder.message(tid: 0x4000, series: 1, sequence: 1, requestID: 4, version: 0x34, fields: [
            F(0x0400, CTPStructs.inputOrder(order)),
        ])))
        steps.append((.server, CTPFrameBuilder.message(tid: 0xF002, series: 2, sequence: 1, fields: [
            F(0x0409, CTPStructs.trade(order, tradeID: "     9001", orderSysID: "      123456", price: 3561, volume: 3, time: "09:12:05")),
        ])))
        steps.append((.client, CTPFrameBuilder.heartbeat))
        steps.append((.client, CTPFrameBuilder.message(tid: 0x4006, series: 1, sequence: 2, requestID: 5, version: 0x34, fields: [
            F(0x0404, CTPStructs.inputOrderAction(
                investor: "00012345", orderRef: "1", frontID: 1, sessionID: 77, exchange: "SHFE", orderSysID: "      123456",
                user: "00012345", instrument: "rb2605", ip: "192.168.7.21")),
        ])))
        steps.append((.server, CTPFrameBuilder.message(tid: 0x4007, series: 1, requestID: 5, fields: [
            F(0x0000, CTPStructs.rspInfo(25, gbkMessage)),
        ])))
        steps.append((.server, CTPFrameBuilder.heartbeat))
        steps.append((.client, CTPFrameBuilder.message(tid: 0x8004, series: 4, requestID: 6, version: 0x34, fields: [
            F(0x0702, [UInt8](repeating: 0, count: 162)),
        ])))
        // The query answer in three packets: C, C, L.
        let position = [UInt8](repeating: 0x11, count: 442)
        for (index, chain) in ["C", "C", "L"].enumerated() {
            steps.append((.server, CTPFrameBuilder.message(
                tid: 0x8005, series: 4, sequence: UInt32(index + 1), requestID: 6, chain: Character(chain),
                fields: [F(0x000D, position), F(0x000D, position)])))
        }
        steps.append((.client, CTPFrameBuilder.message(tid: 0x3002, requestID: 7, version: 0x34, fields: [
            F(0x1004, CTPStructs.userLogout(broker: "9999", user: "00012345")),
        ])))
        steps.append((.server, CTPFrameBuilder.message(tid: 0x3003, requestID: 7, fields: [
            F(0x0000, CTPStructs.rspInfo()), F(0x1004, CTPStructs.userLogout(broker: "9999", user: "00012345")),
        ])))
        return steps
    }

    /// A market-data session: login, a subscription of two instruments, the two answers, and
    /// quotes in 6.6.1+ (532), 6.5.1 (516) and 6.3.x (354) layouts, the last packet with two quotes.
    package static var marketData: [(Sender, [UInt8])] {
        var steps: [(Sender, [UInt8])] = [(.client, CTPFrameBuilder.heartbeatTimeout(39))]
        steps.append((.client, CTPFrameBuilder.message(tid: 0x3000, fields: [
            F(0x1002, CTPStructs.reqUserLogin(broker: "", user: "", password: [])),
        ])))
        steps.append((.server, CTPFrameBuilder.message(tid: 0x3001, fields: [
            F(0x0000, CTPStructs.rspInfo()), F(0x1003, CTPStructs.rspUserLogin(tradingDay: "20260102", length: 152)),
        ])))
        steps.append((.client, CTPFrameBuilder.message(tid: 0x4401, requestID: 1, fields: [
            F(0x2441, CTPStructs.specificInstrument("IF2601")), F(0x2441, CTPStructs.specificInstrument("au2606")),
        ])))
        for instrument in ["IF2601", "au2606"] {
            steps.append((.server, CTPFrameBuilder.message(tid: 0x4402, requestID: 1, fields: [
                F(0x0000, CTPStructs.rspInfo()), F(0x2441, CTPStructs.specificInstrument(instrument)),
            ])))
        }
        var quote = CTPStructs.Quote()
        steps.append((.server, CTPFrameBuilder.message(tid: 0xF101, fields: [F(0x0012, CTPStructs.depthMarketData(quote))])))
        quote.lastPrice = 4000.4
        quote.volume = 1003
        quote.millisecond = 0
        quote.updateTime = "09:30:01"
        steps.append((.server, CTPFrameBuilder.message(tid: 0xF101, fields: [F(0x0012, CTPStructs.depthMarketData(quote, length: 516))])))
        var gold = CTPStructs.Quote()
        gold.instrument = "au2606"
        gold.exchange = "SHFE"
        gold.lastPrice = 612.34
        gold.bidPrice = nil
        steps.append((.server, CTPFrameBuilder.message(tid: 0xF101, fields: [
            F(0x0012, CTPStructs.depthMarketData(quote, legacy: true)), F(0x0012, CTPStructs.depthMarketData(gold, legacy: true)),
        ])))
        return steps
    }
}
