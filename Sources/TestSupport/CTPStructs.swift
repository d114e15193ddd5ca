/// Packed bodies of the CTP field structs the decoder reads, written from the official headers'
/// member lists (6.7.11 by default; `legacy` for the 6.3.x layouts where InstrumentID is
/// `char[31]` in place of today's reserve slots). Independent of the decoder's own tables.
package enum CTPStructs {
    /// RspInfo (85): ErrorID, ErrorMsg (GBK bytes).
    package static func rspInfo(_ errorID: Int32 = 0, _ message: [UInt8] = []) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.int(errorID)
        body.raw(message, 81)
        return body.bytes
    }

    /// Dissemination (6): SequenceSeries, SequenceNo.
    package static func dissemination(series: Int16, sequence: Int32) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.short(series)
        body.int(sequence)
        return body.bytes
    }

    /// ReqAuthenticate (88; 55 without AppID).
    package static func reqAuthenticate(broker: String, user: String, product: String, authCode: String, appID: String) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.text(broker, 11); body.text(user, 16); body.text(product, 11); body.text(authCode, 17); body.text(appID, 33)
        return body.bytes
    }

    /// RspAuthenticate (72).
    package static func rspAuthenticate(broker: String, user: String, product: String, appID: String, appType: Character) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.text(broker, 11); body.text(user, 16); body.text(product, 11); body.text(appID, 33); body.char(appType)
        return body.bytes
    }

    /// AuthenticationInfo (254, 6.5.1+), as the 6.7.11 library sends ReqAuthenticate (AuthInfo
    /// empty, or opaque bytes answering a challenge; AppType '4') and the front answers it
    /// (IsResult 1 and the granted AppType).
    package static func authenticationInfo(
        broker: String, user: String, product: String, authInfo: [UInt8], appID: String, appType: Character = "\0",
        isResult: Int32 = 0, clientIP: String = ""
    ) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.text(broker, 11); body.text(user, 16); body.text(product, 11); body.raw(authInfo, 129); body.int(isResult)
        body.text(appID, 33); body.char(appType); body.zeros(16); body.text(clientIP, 33)
        return body.bytes
    }

    /// ReqUserLogin (261, 6.5.1+; `legacy`: 228, 6.3.15-6.3.19).
    package static func reqUserLogin(
        tradingDay: String = "", broker: String, user: String, password: [UInt8], product: String = "",
        interface: String = "THOST User", protocolInfo: String = "FTDC 52", mac: String = "", oneTimePassword: String = "",
        remark: String = "", clientPort: Int32 = 0, clientIP: String = "", legacy: Bool = false
    ) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.text(tradingDay, 9); body.text(broker, 11); body.text(user, 16); body.raw(password, 41)
        body.text(product, 11); body.text(interface, 11); body.text(protocolInfo, 11); body.text(mac, 21)
        body.text(oneTimePassword, 41)
        if legacy {
            body.text(clientIP, 16); body.text(remark, 36); body.int(clientPort)
        } else {
            body.zeros(16); body.text(remark, 36); body.int(clientPort); body.text(clientIP, 33)
        }
        return body.bytes
    }

    /// RspUserLogin, cut to `length` (152 for 6.3.15-6.6.1, 292 for 6.7.11).
    package static func rspUserLogin(
        tradingDay: String, loginTime: String = "", broker: String = "", user: String = "", systemName: String = "",
        frontID: Int32 = 0, sessionID: Int32 = 0, maxOrderRef: String = "", length: Int = 292
    ) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.text(tradingDay, 9); body.text(loginTime, 9); body.text(broker, 11); body.text(user, 16)
        body.text(systemName, 41); body.int(frontID); body.int(sessionID); body.text(maxOrderRef, 13)
        for _ in 0..<5 { body.text(loginTime, 9) }
        body.zeros(41 + 9 + 4 + 4 + 17 + 65)
        return Array(body.bytes.prefix(length))
    }

    /// UserLogout (27).
    package static func userLogout(broker: String, user: String) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.text(broker, 11); body.text(user, 16)
        return body.bytes
    }

    /// UserSystemInfo (550 for 6.6.1+, 399 for 6.5.1, 366 for 6.3.x): what a relay reports for
    /// each end client.
    package static func userSystemInfo(
        broker: String, user: String, systemInfo: [UInt8], publicIP: String, port: Int32, loginTime: String,
        appID: String, remark: String = "", length: Int = 550
    ) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.text(broker, 11); body.text(user, 16); body.int(Int32(systemInfo.count))
        body.bytes += systemInfo.prefix(273)
        body.zeros(273 - min(273, systemInfo.count))
        if length == 366 {
            body.text(publicIP, 16); body.int(port); body.text(loginTime, 9); body.text(appID, 33)
            return body.bytes
        }
        body.zeros(16); body.int(port); body.text(loginTime, 9); body.text(appID, 33); body.text(publicIP, 33)
        body.text(remark, 151)
        return Array(body.bytes.prefix(length))
    }

    /// An order as InputOrder (392 for 6.7.7+, 375 for 6.5.1-6.7.2; `legacy`: 261, 6.3.x).
    package struct Order: Hashable, Sendable {
        package var broker = "9999"
        package var investor = ""
        package var instrument = ""
        package var orderRef = ""
        package var user = ""
        /// '0' buy, '1' sell.
        package var direction: Character = "0"
        package var price: Double? = nil
        package var volume: Int32 = 1
        package var exchange = ""
        package var clientID = ""
        package var ip = ""
        package var mac = ""

        package init() {}
    }

    /// InputOrder of `order`, cut to `length` (392, 375) or in the 6.3.x layout (`legacy`, 261).
    package static func inputOrder(_ order: Order, length: Int = 392, legacy: Bool = false) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.text(order.broker, 11); body.text(order.investor, 13)
        body.text(legacy ? order.instrument : "", 31)
        body.text(order.orderRef, 13); body.text(order.user, 16); body.char("2"); body.char(order.direction)
        body.text("0", 5); body.text("1", 5); body.double(order.price); body.int(order.volume); body.char("3")
        body.zeros(9); body.char("1"); body.int(1); body.char("1"); body.double(0); body.char("0"); body.int(0)
        body.zeros(21); body.int(0); body.int(0); body.int(0); body.text(order.exchange, 9); body.zeros(17)
        body.zeros(13); body.text("CNY", 4); body.text(order.clientID, 11)
        if legacy {
            body.text(order.ip, 16); body.text(order.mac, 21)
            return body.bytes
        }
        body.zeros(16); body.text(order.mac, 21); body.text(order.instrument, 81); body.text(order.ip, 33)
        body.zeros(13); body.int(0)
        return Array(body.bytes.prefix(length))
    }

    /// InputOrderAction (328, 6.7.7+): a cancel ('0') or modify ('3') of `orderRef`.
    package static func inputOrderAction(
        broker: String = "9999", investor: String, orderRef: String, frontID: Int32, sessionID: Int32, exchange: String,
        orderSysID: String, actionFlag: Character = "0", user: String, instrument: String, ip: String = "", mac: String = ""
    ) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.text(broker, 11); body.text(investor, 13); body.int(1); body.text(orderRef, 13); body.int(0)
        body.int(frontID); body.int(sessionID); body.text(exchange, 9); body.text(orderSysID, 21); body.char(actionFlag)
        body.double(0); body.int(0); body.text(user, 16); body.text(instrument, 31); body.zeros(17); body.zeros(16)
        body.text(mac, 21); body.text(instrument, 81); body.text(ip, 33); body.zeros(13); body.int(0)
        return body.bytes
    }

    /// Trade (491, 6.5.1+): a fill of `order`.
    package static func trade(_ order: Order, tradeID: String, orderSysID: String, price: Double, volume: Int32, time: String) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.text(order.broker, 11); body.text(order.investor, 13); body.text(order.instrument, 31)
        body.text(order.orderRef, 13); body.text(order.user, 16); body.text(order.exchange, 9); body.text(tradeID, 21)
        body.char(order.direction); body.text(orderSysID, 21); body.zeros(11); body.text(order.clientID, 11)
        body.char("1"); body.text(order.instrument, 31); body.char("0"); body.char("1"); body.double(price)
        body.int(volume); body.text("20260102", 9); body.text(time, 9); body.zeros(1); body.char("0"); body.zeros(21)
        body.zeros(13); body.zeros(11); body.zeros(21); body.int(1); body.text("20260102", 9); body.int(1); body.int(1)
        body.char("0"); body.zeros(17); body.text(order.instrument, 81); body.text(order.instrument, 81)
        return body.bytes
    }

    /// SpecificInstrument (112 for 6.5.1+ with the old slot filled too; `legacy`: 31).
    package static func specificInstrument(_ instrument: String, legacy: Bool = false) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.text(instrument, 31)
        if !legacy { body.text(instrument, 81) }
        return body.bytes
    }

    /// A depth market data snapshot (bid/ask level 1; the other levels empty).
    package struct Quote: Hashable, Sendable {
        package var tradingDay = "20260102"
        package var instrument = "IF2601"
        package var exchange = "CFFEX"
        package var lastPrice: Double? = 4000
        package var preSettlement: Double? = 3990
        package var preClose: Double? = 3995
        package var preOpenInterest: Double? = 100_000
        package var open: Double? = 3998
        package var high: Double? = 4010
        package var low: Double? = 3985
        package var volume: Int32 = 1000
        package var turnover: Double? = 1.2e9
        package var openInterest: Double? = 100_500
        package var close: Double? = nil
        package var settlement: Double? = nil
        package var upperLimit: Double? = 4389
        package var lowerLimit: Double? = 3591
        package var updateTime = "09:30:00"
        package var millisecond: Int32 = 500
        package var bidPrice: Double? = 3999.8
        package var bidVolume: Int32 = 3
        package var askPrice: Double? = 4000.2
        package var askVolume: Int32 = 2
        package var averagePrice: Double? = 1_199_999.5
        package var actionDay = "20260102"

        package init() {}
    }

    /// DepthMarketData of `quote`, cut to `length` (532 for 6.6.1+, 516 for 6.5.1) or in the
    /// 6.3.x layout (`legacy`, 354).
    package static func depthMarketData(_ quote: Quote, length: Int = 532, legacy: Bool = false) -> [UInt8] {
        var body = CTPFrameBuilder.Body()
        body.text(quote.tradingDay, 9); body.text(quote.instrument, 31); body.text(quote.exchange, 9)
        body.text(legacy ? quote.instrument : "", 31)
        for price in [quote.lastPrice, quote.preSettlement, quote.preClose, quote.preOpenInterest, quote.open, quote.high, quote.low] {
            body.double(price)
        }
        body.int(quote.volume)
        for price in [quote.turnover, quote.openInterest, quote.close, quote.settlement, quote.upperLimit, quote.lowerLimit] {
            body.double(price)
        }
        body.double(nil); body.double(nil)  // PreDelta, CurrDelta
        body.text(quote.updateTime, 9); body.int(quote.millisecond)
        body.double(quote.bidPrice); body.int(quote.bidVolume); body.double(quote.askPrice); body.int(quote.askVolume)
        for _ in 2...5 {
            body.double(nil); body.int(0); body.double(nil); body.int(0)
        }
        body.double(quote.averagePrice); body.text(quote.actionDay, 9)
        if legacy { return body.bytes }
        body.text(quote.instrument, 81); body.text("", 81); body.double(nil); body.double(nil)
        return Array(body.bytes.prefix(length))
    }
}
