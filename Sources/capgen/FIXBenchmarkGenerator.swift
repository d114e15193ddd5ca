import PacketCapture
import TestSupport

/// Writes a large FIX.4.4 capture for throughput measurements: many concurrent TCP sessions, each
/// with a handshake, Logon both ways, NewOrderSingles from the client answered by two
/// ExecutionReports (New, then Fill; 18 business fields), a Heartbeat now and then, Logout both
/// ways and a FIN close. Each burst of messages (1-4 orders, or their reports) is queued in a
/// per-session buffer and leaves in segments of 300-1400 bytes cut wherever the size falls, so
/// one segment packs several messages and messages are split across segments; 1 % of segments
/// overtake the previous one and 0.5 % are sent twice.
///
/// Nothing is allocated per message: messages are copied from templates built once, their
/// variable fields (ids, times, prices, quantities) are fixed-width slots patched in place, and
/// only MsgSeqNum and BodyLength vary in width. All buffers live in one slab.
struct FIXBenchmarkGenerator {
    /// Stop once the file reaches this many bytes.
    var targetBytes: Int
    /// Sessions open at any time (a closed one is replaced by a new one).
    var concurrentSessions: Int
    /// The seed of everything random.
    var seed: UInt64

    /// What was written.
    struct Summary {
        /// Messages by kind, indexed by `Kind.rawValue`.
        var messages = [Int](repeating: 0, count: Kind.allCases.count)
        /// The sessions, the TCP side and the file size.
        var totals = SessionBenchmarkTotals()

        /// One line for the terminal.
        func line(path: String, seconds: Double) -> String {
            var byType: [String: Int] = [:]
            for kind in Kind.allCases { byType[kind.msgType, default: 0] += messages[kind.rawValue] }
            let types = ["A", "D", "8", "0", "5"].map { "\($0)=\(byType[$0] ?? 0)" }.joined(separator: " ")
            let total = messages.reduce(0, +)
            return totals.line(path: path, seconds: seconds, messages: """
                \(total) messages (\(types); ExecutionReports \(messages[Kind.executionNew.rawValue]) New + \
                \(messages[Kind.executionFill.rawValue]) Fill)
                """)
        }
    }

    /// The message kinds, each with its own template per direction.
    enum Kind: Int, CaseIterable {
        case logon, newOrder, executionNew, executionFill, heartbeat, logout

        var msgType: String {
            switch self {
            case .logon: "A"
            case .newOrder: "D"
            case .executionNew, .executionFill: "8"
            case .heartbeat: "0"
            case .logout: "5"
            }
        }
    }

    /// A patchable field in a template.
    enum Slot: Int {
        case client, server, time, clOrdID, orderID, execID, account, symbol, side, quantity, price
    }

    /// The bytes after `34=<seq>` up to the last SOH before `10=`, with fixed-width slots.
    struct Template {
        var bytes: [UInt8] = []
        var slots: [(slot: Slot, offset: Int, width: Int)] = []
        /// `35=X␁34=`.
        var prefix: [UInt8] = []

        /// Parses `{name:width}` placeholders.
        init(msgType: String, _ text: String) {
            prefix = Array("35=\(msgType)\u{01}34=".utf8)
            let names: [String: Slot] = [
                "client": .client, "server": .server, "time": .time, "clord": .clOrdID, "order": .orderID,
                "exec": .execID, "account": .account, "symbol": .symbol, "side": .side, "qty": .quantity, "px": .price,
            ]
            var rest = Substring(text)
            while let open = rest.firstIndex(of: "{") {
                bytes += Array(rest[..<open].utf8)
                // The templates are literals of this file: a malformed one is a programming error.
                guard let close = rest[open...].firstIndex(of: "}") else { preconditionFailure("unclosed slot in a template") }
                let spec = rest[rest.index(after: open)..<close].split(separator: ":")
                guard spec.count == 2, let width = Int(spec[1]), let slot = names[String(spec[0])] else {
                    preconditionFailure("bad slot \(spec) in a template")
                }
                slots.append((slot, bytes.count, width))
                bytes += [UInt8](repeating: UInt8(ascii: "0"), count: width)
                rest = rest[rest.index(after: close)...]
            }
            bytes += Array(rest.utf8)
        }
    }

    /// One order waiting for its ExecutionReports.
    /// Writes one message of `template` at `start`: the header with its BodyLength, the
    /// template's bytes with their slots patched (`execID` counts the executions), and the
    /// CheckSum; returns where the message ends.
    static func writeMessage(
        _ template: Template, sequence: Int, client: Int, server: Int, account: Int, order: Order, timeText: [UInt8],
        execID: inout Int, at start: UnsafeMutablePointer<UInt8>
    ) -> UnsafeMutablePointer<UInt8> {
        let bodyLength = template.prefix.count + digitCount(sequence) + template.bytes.count
        var cursor = start
        copy("8=FIX.4.4\u{01}9=", to: &cursor)
        cursor = writeDecimal(bodyLength, at: cursor)
        cursor.pointee = 0x01
        cursor += 1
        template.prefix.withUnsafeBufferPointer { cursor.update(from: $0.baseAddress!, count: $0.count) }
        cursor += template.prefix.count
        cursor = writeDecimal(sequence, at: cursor)
        let body = cursor
        template.bytes.withUnsafeBufferPointer { body.update(from: $0.baseAddress!, count: $0.count) }
        cursor += template.bytes.count
        for (slot, offset, width) in template.slots {
            let target = body + offset
            switch slot {
            case .client: writeFixed(client, width: width, at: target)
            case .server: writeFixed(server, width: width, at: target)
            case .time: timeText.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: 21) }
            case .clOrdID: writeFixed(order.clOrdID, width: width, at: target)
            case .orderID: writeFixed(order.orderID, width: width, at: target)
            case .execID:
                execID += 1
                writeFixed(execID, width: width, at: target)
            case .account: writeFixed(account, width: width, at: target)
            case .symbol:
                symbols[order.symbol].withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: 4) }
            case .side: target.pointee = order.side == 0 ? UInt8(ascii: "1") : UInt8(ascii: "2")
            case .quantity: writeFixed(order.quantity, width: width, at: target)
            case .price:
                writeFixed(order.price / 100, width: 3, at: target)
                target[3] = UInt8(ascii: ".")
                writeFixed(order.price % 100, width: 2, at: target + 4)
            }
        }
        let sum = byteSum(UnsafeRawPointer(start), count: cursor - start)
        copy("10=", to: &cursor)
        writeFixed(sum, width: 3, at: cursor)
        cursor[3] = 0x01
        return cursor + 4
    }

    struct Order {
        var clOrdID = 0
        var orderID = 0
        var symbol = 0
        var side = 0
        var quantity = 0
        var price = 0
    }

    /// The phases of an open session.
    enum Phase {
        case clientLogon, serverLogon, orders, reports, clientLogout, serverLogout
    }

    struct Session: BenchmarkSession, FIXQueuedSession {
        var client: Endpoint
        var server: Endpoint
        var clientNumber: Int
        var gatewayNumber: Int
        var account: Int
        /// Next TCP sequence number per side (0 client, 1 server).
        var tcp: (UInt32, UInt32)
        /// Next MsgSeqNum per side.
        var fix: (Int, Int) = (1, 1)
        var stage = ConnectionStage.opening(0)
        var phase = Phase.clientLogon
        var ordersLeft: Int
        /// Orders sent and not yet answered (indices into the session's order slots).
        var openOrders = 0
        /// Queued bytes per side (a burst is queued, then sent whole).
        var tail: (Int, Int) = (0, 0)
    }

    /// The order symbols (four letters each).
    static let symbols: [[UInt8]] = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "TSLA", "META", "INTC", "ORCL", "CSCO", "ADBE", "QCOM", "AMAT", "SBUX", "PYPL", "NFLX"].map { Array($0.utf8) }
    private static let ordersPerSession = 4

    /// The templates, indexed by `Kind` then side (0 client, 1 server).
    static func templates() -> [[Template]] {
        let header = { (fromClient: Bool) -> String in
            fromClient
                ? "\u{01}49=CL{client:6}\u{01}56=BROKER{server:2}\u{01}52={time:21}\u{01}"
                : "\u{01}49=BROKER{server:2}\u{01}56=CL{client:6}\u{01}52={time:21}\u{01}"
        }
        let order = "11=C{clord:10}\u{01}1=ACC{account:6}\u{01}21=1\u{01}55={symbol:4}\u{01}54={side:1}\u{01}60={time:21}\u{01}38={qty:4}\u{01}40=2\u{01}44={px:6}\u{01}59=0\u{01}"
        let common = "37=O{order:10}\u{01}11=C{clord:10}\u{01}17=E{exec:12}\u{01}"
        let fields = "1=ACC{account:6}\u{01}55={symbol:4}\u{01}54={side:1}\u{01}38={qty:4}\u{01}40=2\u{01}44={px:6}\u{01}59=0\u{01}"
        let new = common + "150=0\u{01}39=0\u{01}" + fields + "32=0\u{01}31=0\u{01}151={qty:4}\u{01}14=0\u{01}6=0\u{01}60={time:21}\u{01}"
        let fill = common + "150=F\u{01}39=2\u{01}" + fields + "32={qty:4}\u{01}31={px:6}\u{01}151=0\u{01}14={qty:4}\u{01}6={px:6}\u{01}60={time:21}\u{01}"
        return Kind.allCases.map { kind in
            [true, false].map { fromClient in
                let body: String
                switch kind {
                case .logon: body = "98=0\u{01}108=30\u{01}" + (fromClient ? "141=Y\u{01}" : "")
                case .newOrder: body = order
                case .executionNew: body = new
                case .executionFill: body = fill
                case .heartbeat: body = ""
                case .logout: body = ""
                }
                return Template(msgType: kind.msgType, header(fromClient) + body)
            }
        }
    }

    /// Writes the capture to `path`.
    func write(to path: String) throws(CaptureWriteError) -> Summary {
        var random = SeededGenerator(seed: seed)
        let writer = try PcapWriter(path: path, linkType: .ethernet, nanosecond: true)
        let sender = SegmentSender(
            writer: writer, clientMAC: MACAddress(0x02_00_00_00_10_01), serverMAC: MACAddress(0x02_00_00_00_10_02),
            start: Timestamp(seconds: Recipe.epoch, nanoseconds: 0))
        let count = max(1, concurrentSessions)
        let queues = FIXMessageQueues(slots: count)
        var orders = [Order](repeating: Order(), count: count * Self.ordersPerSession)
        var summary = Summary()
        var counters = (clOrdID: 0, orderID: 0)

        func newSession(_ number: Int, _ random: inout SeededGenerator) -> Session {
            let serverIndex = random.int(in: 1...8)
            return Session(
                client: .benchmarkClient(number, network: 0x0A01_0000),
                server: Endpoint(address: IPAddress(ipv4: 0x0AC8_0000 | UInt32(serverIndex)), port: 9878),
                clientNumber: number % 1_000_000, gatewayNumber: serverIndex, account: random.int(in: 100_000...999_999),
                tcp: random.initialSequenceNumbers(),
                ordersLeft: random.int(in: 2...30))
        }

        /// Appends one message from `side` of session `index` to its queue.
        func queue(_ kind: Kind, _ session: inout Session, index: Int, side: Int, order: Order) {
            queues.append(kind, &session, index: index, side: side, order: order, time: sender.time)
            summary.messages[kind.rawValue] += 1
        }

        /// Sends every queued byte from `side`.
        func transmit(_ session: inout Session, index: Int, side: Int, _ random: inout SeededGenerator) {
            queues.flush(&session, index: index, side: side) { start, count, session in
                sender.transmit(start, count: count, &session, fromClient: side == 0, &random)
            }
        }

        let none = Order()
        let totals = try sender.runSessions(
            count: count, untilFileBytes: targetBytes, &random, newSession: newSession
        ) { session, index, random in
            switch session.phase {
            case .clientLogon:
                queue(.logon, &session, index: index, side: 0, order: none)
                transmit(&session, index: index, side: 0, &random)
                session.phase = .serverLogon
            case .serverLogon:
                queue(.logon, &session, index: index, side: 1, order: none)
                transmit(&session, index: index, side: 1, &random)
                session.phase = .orders
            case .orders:
                if random.chance(0.03) { queue(.heartbeat, &session, index: index, side: 0, order: none) }
                let batch = min(session.ordersLeft, random.int(in: 1...Self.ordersPerSession))
                for slot in 0..<batch {
                    counters.clOrdID += 1
                    let order = Order(
                        clOrdID: counters.clOrdID, orderID: 0, symbol: random.int(in: 0...(Self.symbols.count - 1)),
                        side: random.int(in: 0...1), quantity: random.int(in: 10...99) * 100,
                        price: random.int(in: 10_000...99_999))
                    orders[index * Self.ordersPerSession + slot] = order
                    queue(.newOrder, &session, index: index, side: 0, order: order)
                }
                session.openOrders = batch
                session.ordersLeft -= batch
                transmit(&session, index: index, side: 0, &random)
                session.phase = .reports
            case .reports:
                if random.chance(0.03) { queue(.heartbeat, &session, index: index, side: 1, order: none) }
                for slot in 0..<session.openOrders {
                    counters.orderID += 1
                    orders[index * Self.ordersPerSession + slot].orderID = counters.orderID
                    let order = orders[index * Self.ordersPerSession + slot]
                    queue(.executionNew, &session, index: index, side: 1, order: order)
                    queue(.executionFill, &session, index: index, side: 1, order: order)
                }
                session.openOrders = 0
                transmit(&session, index: index, side: 1, &random)
                if random.chance(0.5) { sender.control(session, fromClient: true, flags: .ack, &random) }
                session.phase = session.ordersLeft > 0 ? .orders : .clientLogout
            case .clientLogout:
                queue(.logout, &session, index: index, side: 0, order: none)
                transmit(&session, index: index, side: 0, &random)
                session.phase = .serverLogout
            case .serverLogout:
                queue(.logout, &session, index: index, side: 1, order: none)
                transmit(&session, index: index, side: 1, &random)
                session.stage = .closing(0)
            }
        }
        summary.totals = totals
        return summary
    }

    // MARK: - Byte helpers

    /// Copies `text` to `cursor` and moves the cursor past it.
    @inline(__always)
    static func copy(_ text: StaticString, to cursor: inout UnsafeMutablePointer<UInt8>) {
        cursor.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        cursor += text.utf8CodeUnitCount
    }

    /// The number of decimal digits of `value` (at least 1).
    @inline(__always)
    static func digitCount(_ value: Int) -> Int {
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return digits
    }

    /// Writes `value` in decimal without padding; returns the position after it.
    @inline(__always)
    static func writeDecimal(_ value: Int, at target: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let digits = digitCount(value)
        writeFixed(value, width: digits, at: target)
        return target + digits
    }

    /// Writes the low `width` decimal digits of `value`, zero-padded.
    @inline(__always)
    static func writeFixed(_ value: Int, width: Int, at target: UnsafeMutablePointer<UInt8>) {
        var rest = value
        var index = width - 1
        while index >= 0 {
            target[index] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
            rest /= 10
            index -= 1
        }
    }

    /// The byte sum mod 256 (the FIX CheckSum), eight bytes at a time.
    @inline(__always)
    static func byteSum(_ base: UnsafeRawPointer, count: Int) -> Int {
        var sum: UInt64 = 0
        var index = 0
        while index + 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let pairs = (word & 0x00FF_00FF_00FF_00FF) &+ ((word >> 8) & 0x00FF_00FF_00FF_00FF)
            let quads = (pairs & 0x0000_FFFF_0000_FFFF) &+ ((pairs >> 16) & 0x0000_FFFF_0000_FFFF)
            sum &+= (quads & 0xFFFF_FFFF) &+ (quads >> 32)
            index += 8
        }
        while index < count {
            sum &+= UInt64(base.load(fromByteOffset: index, as: UInt8.self))
            index += 1
        }
        return Int(sum & 0xFF)
    }

    /// Writes `YYYYMMDD-HH:MM:SS.` for a Unix time into the first 18 bytes of `text`.
    static func formatSecond(_ seconds: Int64, into text: inout [UInt8]) {
        let days = Int(seconds / 86_400)
        let secondOfDay = Int(seconds % 86_400)
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let parts = [(year, 4), (month, 2), (day, 2)]
        var index = 0
        text.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            for (value, width) in parts {
                writeFixed(value, width: width, at: base + index)
                index += width
            }
            base[8] = UInt8(ascii: "-")
            writeFixed(secondOfDay / 3600, width: 2, at: base + 9)
            base[11] = UInt8(ascii: ":")
            writeFixed(secondOfDay / 60 % 60, width: 2, at: base + 12)
            base[14] = UInt8(ascii: ":")
            writeFixed(secondOfDay % 60, width: 2, at: base + 15)
            base[17] = UInt8(ascii: ".")
        }
    }
}
