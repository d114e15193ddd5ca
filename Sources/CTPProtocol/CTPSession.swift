import ProtocolKit

/// One flow's CTP decoding: framing per direction across TCP segments, resynchronisation after
/// junk and gaps, decompression, FTDC headers and fields, multi-packet chains, the front kind, and
/// events.
final class CTPSession: DecoderSession {
    private let flow: FlowInfo
    private let events: any EventSink
    private let options: CTPOptions
    private let scratch: CTPScratch
    private var streams: PerDirection<CTPStreamState>
    /// Each direction's bytes of a frame not yet complete (apart from `streams`, which the
    /// decoding it drives updates).
    private var held = PerDirection(HeldStream())
    private var counters = CTPCounters()
    private var reported = false
    /// What the run wants from decoders (fixed for a run, read once).
    private let interest: EventInterest
    private let wantsEvents: Bool
    /// What the connection said so far (front kind, AppType, login).
    private var facts = CTPSessionFacts()
    /// The last field id and length (`id << 16 | length`) found to have a known length: a stream of
    /// one kind of push checks its fields once.
    private var lastKnownField: UInt32 = 0xFFFF_FFFF
    /// Without per-message records: the members the rules read of quotes, orders and trades, at
    /// their offsets in each layout (nil: all).
    private let quoteMembers: CTPWantedMembers?
    private let orderMembers: CTPWantedMembers?
    private let tradeMembers: CTPWantedMembers?

    init(flow: FlowInfo, events: any EventSink, options: CTPOptions, scratch: CTPScratch) {
        self.flow = flow
        self.events = events
        self.options = options
        self.scratch = scratch
        self.interest = events.interest
        self.wantsEvents = interest.records || interest.tradingEvents
        let interest = self.interest
        func wanted(_ tid: UInt32) -> CTPWantedMembers? {
            guard interest.tradingEvents, let kind = CTPEventBuilder.kind(tid: tid),
                let (fid, names) = CTPEventBuilder.wantedMembers(tid: tid, interest.plan(protocolIndex: CTPEventBuilder.protocolIndex, kind: kind))
            else { return nil }
            return scratch.members(fid: fid, names: names)
        }
        quoteMembers = wanted(CTPTransactions.rtnDepthMarketData)
        orderMembers = wanted(CTPTransactions.reqOrderInsert)
        tradeMembers = wanted(CTPTransactions.rtnTrade)
        // A stream picked up mid-way starts anywhere in a frame: find the first frame strictly.
        var state = CTPStreamState()
        state.sync = FrameSync(midStream: flow.orientation != .handshake)
        self.streams = PerDirection(state)
    }

    func data(_ bytes: RawSpan, direction: Direction, time: Timestamp) {
        bytes.withUnsafeBytes { incoming in
            held[direction].feed(incoming) { held in
                missingBytes(held, direction: direction)
            } process: { view in
                process(view, direction: direction, time: time, final: false)
            }
        }
    }

    /// How many bytes the frame that `held` starts lacks, when it is a frame header in step with
    /// the stream; 0 when that is not known (fewer than 4 bytes, resynchronising, a bad header).
    private func missingBytes(_ held: UnsafeRawBufferPointer, direction: Direction) -> Int {
        guard held.count >= CTPFrameHeader.size, !streams[direction].sync.resyncing else { return 0 }
        let header = CTPFrameHeader(held, at: 0)
        guard header.typeKnown && header.extensionLengthValid else { return 0 }
        return max(0, header.length - held.count)
    }

    func gap(length: UInt64, direction: Direction, time: Timestamp) {
        flushAtBoundary(direction: direction, time: time, cut: .truncatedAtGap)
        streams[direction].sync.gap()
    }

    func end(direction: Direction, time: Timestamp) {
        flushAtBoundary(direction: direction, time: time, cut: .truncatedAtEnd)
        streams[direction].ended = true
        if streams.toServer.ended && streams.toClient.ended && !reported {
            reported = true
            switch facts.front {
            case .trader: counters.traderFlows += 1
            case .marketData: counters.marketDataFlows += 1
            case nil: break
            }
            events.count(protocol: "ctp", counters.list)
        }
    }

    /// Decodes what the buffer still holds as if no more bytes will come, reports a partial frame
    /// as cut by `cut`, and ends a chain left open.
    private func flushAtBoundary(direction: Direction, time: Timestamp, cut: CTPAnomaly) {
        var buffer = held[direction].takeAll()
        if !buffer.isEmpty {
            let used = buffer.withUnsafeBytes { process($0, direction: direction, time: time, final: true) }
            buffer.removeFirst(used)
        }
        flushJunk(direction: direction, time: time)
        if !buffer.isEmpty {
            anomaly(cut, direction: direction, time: time, bytes: buffer.count)
        }
        if var chain = streams[direction].chain {
            streams[direction].chain = nil
            chain.anomalies.insert(.chainInterrupted)
            finish(chain, direction: direction, time: time)
        }
    }

    // MARK: - Framing

    /// Decodes every whole frame in `view`; returns how many bytes were used.
    private func process(_ view: UnsafeRawBufferPointer, direction: Direction, time: Timestamp, final: Bool) -> Int {
        var position = 0
        let count = view.count
        while position < count {
            if let used = streams[direction].sync.resync(
                view, at: &position, final: final, patternLength: CTPFraming.patternLength,
                candidate: { CTPFraming.nextCandidate($0, from: $1) },
                judge: { view, at in
                    switch CTPFraming.validate(view, at: at, scratch: scratch) {
                    case .data, .link: .frame
                    case .needMore: .needMore
                    case .invalid: .invalid
                    }
                }
            ) {
                return used
            }
            guard count - position >= CTPFrameHeader.size else { return position }
            let header = CTPFrameHeader(view, at: position)
            guard header.typeKnown && header.extensionLengthValid else {
                if streams[direction].sync.badHeader() {
                    anomaly(header.typeKnown ? .badExtensionLength : .unknownFTDType, direction: direction, time: time, bytes: CTPFrameHeader.size)
                }
                position += 1
                continue
            }
            let length = header.length
            guard count - position >= length else { return position }
            flushJunk(direction: direction, time: time)
            streams[direction].sync.afterGap = false
            handleFrame(UnsafeRawBufferPointer(rebasing: view[position..<(position + length)]), header, direction: direction, time: time)
            position += length
        }
        return position
    }

    /// Reports bytes skipped to find a frame (after a gap, skipping is expected and only counted).
    private func flushJunk(direction: Direction, time: Timestamp) {
        guard let junk = streams[direction].sync.takeJunk() else { return }
        if junk.expected {
            counters.resyncBytes &+= UInt64(junk.bytes)
        } else {
            anomaly(.junkSkipped, direction: direction, time: time, bytes: junk.bytes)
        }
    }

    // MARK: - Frames

    private func handleFrame(_ frame: UnsafeRawBufferPointer, _ header: CTPFrameHeader, direction: Direction, time: Timestamp) {
        counters.frames &+= 1
        var anomalies = CTPAnomalySet()
        let contentStart = CTPFrameHeader.size + header.extensionLength
        let area = UnsafeRawBufferPointer(rebasing: frame[CTPFrameHeader.size..<contentStart])
        let content = UnsafeRawBufferPointer(rebasing: frame[contentStart...])
        if header.contentLength > CTPLimits.maxContent { anomalies.insert(.contentOverLimit) }
        let tags = header.extensionLength > 0 ? CTPExtension(area) : CTPExtension(UnsafeRawBufferPointer(start: nil, count: 0))
        if tags.malformed { anomalies.insert(.badExtensionTag) }

        switch header.type {
        case CTPFrameHeader.linkType:
            if !content.isEmpty { anomalies.insert(.bodyOnLinkFrame) }
            if tags.keepAlive || tags.heartbeatTimeout != nil { counters.heartbeats &+= 1 }
            count(anomalies)
            guard wantsEvents else { return }
            events.emit(CTPEventBuilder.link(
                tags, area: area, anomalies: anomalies, front: facts.front, flow: flow, direction: direction, time: time, interest: interest))
        case CTPFrameHeader.ftdcType:
            packet(
                content, length: content.count, frameType: header.type, compressed: false, anomalies: anomalies, area: area,
                direction: direction, time: time)
        default:
            guard content.count >= 2 else {
                anomalies.insert(.headerTruncated)
                report(anomalies, direction: direction, time: time, bytes: frame.count)
                return
            }
            guard content[0] == 0x01 else {
                anomalies.insert(.unknownCRPType)
                report(anomalies, direction: direction, time: time, bytes: frame.count)
                return
            }
            let payload = UnsafeRawBufferPointer(rebasing: content[2...])
            switch content[1] {
            case 0x00:
                packet(
                    payload, length: payload.count, frameType: header.type, compressed: false, anomalies: anomalies, area: area,
                    direction: direction, time: time)
            case 0x03:
                counters.compressedFrames &+= 1
                if !wantsEvents, let length = quickLength(payload) {
                    // Counting only: the header and first field header written, the rest counted.
                    counters.decompressedBytes &+= UInt64(length)
                    let prefix = UnsafeRawBufferPointer(start: scratch.buffer, count: min(length, Self.quickPrefix))
                    if let walk = Self.quickWalk(prefix, length: length) {
                        packet(
                            prefix, length: length, walk: walk, frameType: header.type, compressed: true, anomalies: anomalies,
                            area: area, direction: direction, time: time)
                        return
                    }
                    counters.decompressedBytes &-= UInt64(length)
                }
                let (length, status) = CTPZeroRun.decompress(payload, into: scratch.buffer, capacity: CTPLimits.maxMessage)
                counters.decompressedBytes &+= UInt64(length)
                switch status {
                case .complete: break
                case .overrun: anomalies.insert(.compressionOverrun)
                case .tooLarge:
                    anomalies.insert(.decompressedTooLarge)
                    report(anomalies, direction: direction, time: time, bytes: frame.count)
                    return
                }
                packet(
                    UnsafeRawBufferPointer(start: scratch.buffer, count: length), length: length, frameType: header.type,
                    compressed: true, anomalies: anomalies, area: area, direction: direction, time: time)
            default:
                anomalies.insert(.unknownCompression)
                report(anomalies, direction: direction, time: time, bytes: frame.count)
            }
        }
    }

    // MARK: - FTDC packets and messages

    /// The members prepared for a message of transaction `tid`, if any (`quoteMembers`).
    @inline(__always)
    private func wantedMembers(tid: UInt32) -> CTPWantedMembers? {
        switch tid {
        case CTPTransactions.rtnDepthMarketData: quoteMembers
        case CTPTransactions.reqOrderInsert: orderMembers
        case CTPTransactions.rtnTrade: tradeMembers
        default: nil
        }
    }

    /// Bytes of a packet the counting path writes out: the FTDC header and one field header.
    static let quickPrefix = CTPMessageHeader.size + CTPFields.headerSize

    /// The decompressed length of a compressed packet whose first `quickPrefix` bytes are now in
    /// the scratch buffer; nil when it does not decompress cleanly (then the whole packet is).
    private func quickLength(_ payload: UnsafeRawBufferPointer) -> Int? {
        CTPZeroRun.prefixAndLength(payload, into: scratch.buffer, prefix: Self.quickPrefix, capacity: CTPLimits.maxMessage)
    }

    /// The field walk of a packet known only by its first bytes and its length, when that is
    /// enough: a consistent header followed by no field, or by one field that ends the packet
    /// (every market-data push). Nil otherwise.
    static func quickWalk(_ prefix: UnsafeRawBufferPointer, length: Int) -> CTPFields.Walk? {
        guard prefix.count >= CTPMessageHeader.size else { return nil }
        let header = CTPMessageHeader(prefix)
        guard Int(header.contentLength) == length - CTPMessageHeader.size else { return nil }
        if length == CTPMessageHeader.size { return CTPFields.Walk(count: 0, overrun: false) }
        guard prefix.count >= quickPrefix else { return nil }
        let fieldLength = Int(UInt16(bigEndian: prefix.loadUnaligned(fromByteOffset: CTPMessageHeader.size + 2, as: UInt16.self)))
        guard quickPrefix + fieldLength == length else { return nil }
        return CTPFields.Walk(count: 1, overrun: false)
    }

    /// One FTDC packet (header and fields): checked, then ended as a message or added to its
    /// chain. `bytes` holds the packet, or with `walk` given only its first bytes; `length` is its
    /// whole length.
    private func packet(
        _ bytes: UnsafeRawBufferPointer, length: Int, walk known: CTPFields.Walk? = nil, frameType: UInt8, compressed: Bool,
        anomalies frameAnomalies: CTPAnomalySet, area: UnsafeRawBufferPointer, direction: Direction, time: Timestamp
    ) {
        var anomalies = frameAnomalies
        guard length >= CTPMessageHeader.size else {
            anomalies.insert(.headerTruncated)
            report(anomalies, direction: direction, time: time, bytes: length)
            return
        }
        let header = CTPMessageHeader(bytes)
        if !header.versionKnown { anomalies.insert(.unknownVersion) }
        if !header.chainValid { anomalies.insert(.badChain) }
        let available = length - CTPMessageHeader.size
        if Int(header.contentLength) != available { anomalies.insert(.contentLengthMismatch) }
        let contentLength = min(Int(header.contentLength), available)
        if facts.front == nil { facts.front = CTPTransactions.front(of: header.tid) }

        var fields: [CTPDecodedField] = []
        let walk: CTPFields.Walk
        if let known {
            walk = known
            if known.count == 1 {
                let fid = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: CTPMessageHeader.size, as: UInt16.self))
                if !fieldLengthKnown(fid, length - Self.quickPrefix) { anomalies.insert(.unknownFieldLength) }
            }
        } else {
            let content = UnsafeRawBufferPointer(rebasing: bytes[CTPMessageHeader.size..<(CTPMessageHeader.size + contentLength)])
            // A message of one packet that the rules read only when it has anomalies (trade
            // returns, subscription answers) is walked first without decoding: most have none.
            let deferred = wantsEvents && header.chain != CTPMessageHeader.continued && !streams[direction].chainOpen
                && !CTPSessionFacts.readsFields(tid: header.tid)
                && CTPEventBuilder.neededOnlyForAnomalies(tid: header.tid, interest: interest)
            let kindByFields = deferred && CTPEventBuilder.kind(tid: header.tid) == nil
            var systemInfo = false
            let decodes = wantsEvents && !deferred
            // Quotes, orders and trades are most of a front's traffic: only the members the rules read.
            let wanted = decodes ? wantedMembers(tid: header.tid) : nil
            walk = CTPFields.walk(content) { fid, body in
                if !fieldLengthKnown(fid, body.count) { anomalies.insert(.unknownFieldLength) }
                if kindByFields && !systemInfo { systemInfo = CTPFieldDecoder.isUserSystemInfo(fid, body) }
                guard decodes else { return }
                if let wanted {
                    fields.append(CTPFieldDecoder.decode(fid, body, wanted: wanted))
                } else {
                    fields.append(CTPFieldDecoder.decode(fid, body))
                }
            }
            if deferred {
                // No anomaly so far, and none from the walk (counted below, with the others').
                let clean = anomalies.isEmpty && !walk.overrun && walk.count == Int(header.fieldCount)
                if clean && !systemInfo {
                    // Nobody reads it: counted, its facts noted, not built.
                    counters.fields &+= UInt64(walk.count)
                    counters.messages &+= 1
                    events.skipped()
                    facts.update(with: CTPMessage(
                        header: header, contentBytes: contentLength, fieldCount: Int(header.fieldCount), ftdType: frameType,
                        compressed: compressed))
                    return
                }
                // Needed after all: decoded as any other.
                _ = CTPFields.walk(content) { fid, body in fields.append(CTPFieldDecoder.decode(fid, body)) }
            }
        }
        if walk.overrun { anomalies.insert(.fieldOverrun) }
        if walk.count != Int(header.fieldCount) { anomalies.insert(.fieldCountMismatch) }
        counters.fields &+= UInt64(walk.count)

        // A chain continues only with packets of its own TID and request.
        if streams[direction].chainOpen, let pending = streams[direction].chain,
            pending.header.tid != header.tid || pending.header.requestID != header.requestID
        {
            streams[direction].chain = nil
            var interrupted = pending
            interrupted.anomalies.insert(.chainInterrupted)
            finish(interrupted, direction: direction, time: time)
        }
        let continued = header.chain == CTPMessageHeader.continued
        if !continued && !streams[direction].chainOpen {
            // The usual case: a message of one packet, built only when someone wants it.
            guard wantsEvents else {
                counters.messages &+= 1
                count(anomalies)
                return
            }
            var message = CTPMessage(
                header: header, contentBytes: contentLength, fieldCount: Int(header.fieldCount), ftdType: frameType, compressed: compressed)
            message.fields = fields
            message.anomalies = anomalies
            if interest.records && !area.isEmpty { message.extensions = CTPExtension.record(area) }
            finish(message, direction: direction, time: time)
            return
        }
        var chain = streams[direction].chain
            ?? CTPMessage(header: header, packets: 0, ftdType: frameType, compressed: compressed)
        streams[direction].chain = nil
        if chain.packets == 0, wantsEvents && interest.records && !area.isEmpty { chain.extensions = CTPExtension.record(area) }
        chain.packets += 1
        chain.contentBytes += contentLength
        chain.fieldCount += Int(header.fieldCount)
        chain.header.chain = header.chain
        chain.compressed = chain.compressed || compressed
        chain.anomalies.formUnion(anomalies)
        chain.fields += fields
        if !continued {
            counters.chainedMessages &+= 1
            finish(chain, direction: direction, time: time)
        } else if chain.packets >= options.maxChainPackets || chain.contentBytes >= options.maxChainBytes {
            chain.anomalies.insert(.chainTooLong)
            counters.chainedMessages &+= 1
            finish(chain, direction: direction, time: time)
        } else {
            streams[direction].chain = chain
        }
    }

    /// Whether a field's length is one some release sends for its id (the last known pair is remembered).
    @inline(__always)
    private func fieldLengthKnown(_ fid: UInt16, _ length: Int) -> Bool {
        let key = UInt32(fid) << 16 | UInt32(truncatingIfNeeded: length)
        if key == lastKnownField { return true }
        guard CTPFieldTable.lengthKnown(fid, length) else { return false }
        lastKnownField = key
        return true
    }

    /// Counts a whole message and its anomalies, and emits it when wanted.
    private func finish(_ message: CTPMessage, direction: Direction, time: Timestamp) {
        counters.messages &+= 1
        count(message.anomalies)
        guard wantsEvents else { return }
        if let event = CTPEventBuilder.message(message, facts: facts, flow: flow, direction: direction, time: time, interest: interest) {
            events.emit(event)
        } else {
            events.skipped()
        }
        facts.update(with: message)
    }

    // MARK: - Anomalies

    private func count(_ anomalies: CTPAnomalySet) {
        guard !anomalies.isEmpty else { return }
        for found in anomalies.members { counters.anomalies[found.index] &+= 1 }
    }

    /// A frame that gave no message: its anomalies, counted and reported as one event.
    private func report(_ anomalies: CTPAnomalySet, direction: Direction, time: Timestamp, bytes: Int) {
        count(anomalies)
        guard wantsEvents else { return }
        emitAnomaly(anomalies.members.map(\.rawValue), direction: direction, time: time, bytes: bytes)
    }

    private func anomaly(_ kind: CTPAnomaly, direction: Direction, time: Timestamp, bytes: Int) {
        counters.anomalies[kind.index] &+= 1
        guard wantsEvents else { return }
        emitAnomaly([kind.rawValue], direction: direction, time: time, bytes: bytes)
    }

    private func emitAnomaly(_ names: [String], direction: Direction, time: Timestamp, bytes: Int) {
        let list = FieldValue.array(names.map(FieldValue.string))
        var fields: [(String, FieldValue)] = [("anomaly", .string(names.first ?? "")), ("length", .uint(UInt64(bytes)))]
        if names.count > 1 { fields.append(("anomalies", list)) }
        events.emit(TradingEvent(
            time: time, flow: flow, direction: direction, protocolName: "ctp", kind: .anomaly,
            fields: fields, record: .object([("anomalies", list), ("length", .uint(UInt64(bytes)))])
        ))
    }
}

/// One direction's framing state.
struct CTPStreamState {
    /// Where the direction stands against the framing.
    var sync = FrameSync()
    /// Whether the direction has ended.
    var ended = false
    /// A multi-packet message waiting for its 'L' packet.
    var chain: CTPMessage? {
        didSet { chainOpen = chain != nil }
    }
    /// Whether `chain` holds a message (checked per packet without touching the message).
    private(set) var chainOpen = false
}

/// What a CTP session counts, reported into the stats record as `ctp.<name>`.
struct CTPCounters {
    var messages: UInt64 = 0
    var frames: UInt64 = 0
    var heartbeats: UInt64 = 0
    var compressedFrames: UInt64 = 0
    var decompressedBytes: UInt64 = 0
    var fields: UInt64 = 0
    var chainedMessages: UInt64 = 0
    var resyncBytes: UInt64 = 0
    var traderFlows: UInt64 = 0
    var marketDataFlows: UInt64 = 0
    var anomalies = [UInt64](repeating: 0, count: CTPAnomaly.allCases.count)

    var list: [(String, UInt64)] {
        var out: [(String, UInt64)] = [
            ("messages", messages), ("frames", frames), ("heartbeats", heartbeats), ("compressed_frames", compressedFrames),
            ("bytes_decompressed", decompressedBytes), ("fields", fields), ("multi_packet_messages", chainedMessages),
            ("resync_bytes_after_gap", resyncBytes), ("trader_flows", traderFlows), ("md_flows", marketDataFlows),
        ]
        for anomaly in CTPAnomaly.allCases where anomalies[anomaly.index] > 0 {
            out.append(("anomalies.\(anomaly.rawValue)", anomalies[anomaly.index]))
        }
        return out
    }
}
