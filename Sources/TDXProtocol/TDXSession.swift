import ProtocolKit

/// One flow's TDX decoding. The first bytes tell what the flow carries:
/// - quote frames (standard, extended market, new generation): framing per direction across TCP
///   segments, resynchronisation after junk and gaps, requests paired with replies by sequence
///   id, command and order, fingerprints, bodies decoded when someone wants events;
/// - the TdxTradeServer HTTP wrapper: messages by Content-Length, `func` and params, secrets
///   redacted, the AES mode recognised;
/// - the trading channel (port 7708), opaque: one event with what can be told, and counters.
final class TDXSession: DecoderSession {
    enum Mode {
        /// Not enough bytes seen yet to tell.
        case undetermined
        case quote
        case http
        case trade
    }

    let flow: FlowInfo
    let events: any EventSink
    let options: TDXOptions
    private let inflater: TDXInflater
    /// Quotes requests decoded before (see `TDXRequestMemo`), shared with the other sessions.
    private let requestMemo: TDXRequestMemo
    /// What the run wants from decoders (fixed for a run, read once).
    let interest: EventInterest
    /// The quotes of a reply its event lists (`TDXEventBuilder.quotesWanted`).
    private let quoteLimit: Int
    let wantsEvents: Bool
    /// Whether the event of some reply may be needed: otherwise requests keep no context for
    /// reading replies (`TDXEventBuilder.anyReplyMayBeNeeded`).
    private let repliesWanted: Bool
    private(set) var mode = Mode.undetermined
    var counters = TDXCounters()
    private var reported = false
    private var ended = PerDirection(false)

    /// Before the mode is known: what arrived, in order.
    private var preface: [(Direction, [UInt8], Timestamp)] = []

    // Quote frames.
    private var streams: PerDirection<TDXStreamState>
    /// Each direction's bytes of a frame not yet complete (apart from `streams`, which the
    /// decoding it drives updates).
    private var held = PerDirection(HeldStream())
    var facts = TDXSessionFacts()
    private var pending = TDXPendingRequests()
    /// Whether every request of the flow was seen (its client stream from the start, no gap): only
    /// then is a reply nobody asked for news.
    private var requestsComplete: Bool
    /// The families the flow's frames belonged to (bits of `TDXFamily.bit`).
    private var families: UInt8 = 0

    // The HTTP wrapper.
    var http = PerDirection(TDXHTTPStream())
    var httpRequests: [String?] = []

    // The trading channel.
    var tradeBytes = PerDirection<UInt64>(0)
    var tradeReported = false

    init(flow: FlowInfo, events: any EventSink, options: TDXOptions, inflater: TDXInflater, requestMemo: TDXRequestMemo) {
        self.flow = flow
        self.events = events
        self.options = options
        self.inflater = inflater
        self.requestMemo = requestMemo
        self.interest = events.interest
        self.wantsEvents = interest.records || interest.tradingEvents
        repliesWanted = TDXEventBuilder.anyReplyMayBeNeeded(interest)
        quoteLimit = interest.tradingEvents
            ? TDXEventBuilder.quotesWanted(interest.plan(protocolIndex: TDXEventBuilder.protocolIndex, kind: .mdQuote)) : .max
        var state = TDXStreamState()
        let midStream = flow.orientation != .handshake
        // A stream picked up mid-way starts anywhere in a frame: find the first frame strictly.
        state.sync = FrameSync(midStream: midStream)
        self.requestsComplete = !midStream
        self.streams = PerDirection(state)
    }

    // MARK: - The session contract

    func data(_ bytes: RawSpan, direction: Direction, time: Timestamp) {
        bytes.withUnsafeBytes { incoming in
            switch mode {
            case .quote: quoteData(incoming, direction: direction, time: time)
            case .http: httpData(incoming, direction: direction, time: time)
            case .trade: tradeData(incoming, direction: direction, time: time)
            case .undetermined:
                preface.append((direction, Array(incoming), time))
                if preface.reduce(0, { $0 + $1.1.count }) >= TDXFraming.patternLength { decide() }
            }
        }
    }

    func gap(length: UInt64, direction: Direction, time: Timestamp) {
        switch mode {
        case .undetermined:
            // Decide with what came before the hole; the hole is then handled as in any mode.
            decide()
            gap(length: length, direction: direction, time: time)
        case .quote:
            flushAtBoundary(direction: direction, time: time, cut: .truncatedAtGap)
            streams[direction].sync.gap()
            // Requests lost in the hole leave their replies unpaired: that is no longer news.
            if direction == .toServer { requestsComplete = false }
        case .http:
            // A hole in HTTP loses the framing: the rest of the direction is skipped.
            if !http[direction].broken && !http[direction].buffer.isEmpty {
                count(.truncatedAtGap)
                emitAnomaly([.truncatedAtGap], direction: direction, time: time, bytes: http[direction].buffer.count)
            }
            http[direction].broken = true
            http[direction].discard()
        case .trade:
            break
        }
    }

    func end(direction: Direction, time: Timestamp) {
        if mode == .undetermined { decide() }
        switch mode {
        case .quote:
            flushAtBoundary(direction: direction, time: time, cut: .truncatedAtEnd)
        case .http:
            if !http[direction].broken && !http[direction].buffer.isEmpty {
                count(.truncatedAtEnd)
                emitAnomaly([.truncatedAtEnd], direction: direction, time: time, bytes: http[direction].buffer.count)
            }
            http[direction].discard()
        case .trade:
            if !tradeReported { reportTradeChannel(direction: direction, time: time, first: nil) }
        case .undetermined:
            break
        }
        ended[direction] = true
        if ended.toServer && ended.toClient && !reported {
            reported = true
            finishCounters()
            events.count(protocol: "tdx", counters.list)
        }
    }

    // MARK: - What the flow carries

    /// Picks the mode from the first bytes held, then replays them.
    private func decide() {
        guard mode == .undetermined else { return }
        var first = PerDirection<[UInt8]>([])
        for (direction, bytes, _) in preface where first[direction].count < 16 { first[direction] += bytes }
        let client = first.toServer
        let server = first.toClient
        if Self.startsHTTP(client, request: true) || Self.startsHTTP(server, request: false) {
            mode = .http
        } else if options.tradePorts.contains(flow.serverPort) && !Self.looksLikeTDX(client) && !Self.looksLikeTDX(server) {
            mode = .trade
        } else {
            mode = .quote
        }
        let held = preface
        preface = []
        for (direction, bytes, time) in held {
            bytes.withUnsafeBytes { data($0.bytes, direction: direction, time: time) }
        }
    }

    private static func startsHTTP(_ bytes: [UInt8], request: Bool) -> Bool {
        let prefixes = request ? ["POST ", "GET ", "PUT "] : ["HTTP/"]
        return prefixes.contains { bytes.starts(with: Array($0.utf8)) }
    }

    private static func looksLikeTDX(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            switch TDXFraming.judge(buffer, at: 0) {
            case .request, .reply: true
            case .needMore, .invalid: false
            }
        }
    }

    // MARK: - Quote frames: framing

    private func quoteData(_ incoming: UnsafeRawBufferPointer, direction: Direction, time: Timestamp) {
        // A frame split across segments takes only the bytes it lacks (its header first, then its
        // body); the segment's later frames are then decoded in place.
        held[direction].feed(incoming) { held in
            missingBytes(held, direction: direction)
        } process: { view in
            process(view, direction: direction, time: time, final: false)
        }
    }

    /// How many bytes the frame that `held` starts lacks, when its header is whole and in step;
    /// 0 when that is not known.
    private func missingBytes(_ held: UnsafeRawBufferPointer, direction: Direction) -> Int {
        guard !streams[direction].sync.resyncing, held.count >= 4 else { return 0 }
        if TDXReplyHeader.hasMagic(held, at: 0) {
            guard held.count >= TDXReplyHeader.size else { return TDXReplyHeader.size - held.count }
            return max(0, TDXReplyHeader(held, at: 0).frameLength - held.count)
        }
        guard held.count >= TDXRequestHeader.size else { return TDXRequestHeader.size - held.count }
        let header = TDXRequestHeader(held, at: 0)
        return header.plausible ? max(0, header.frameLength - held.count) : 0
    }

    /// Decodes every whole frame in `view`; returns how many bytes were used.
    private func process(_ view: UnsafeRawBufferPointer, direction: Direction, time: Timestamp, final: Bool) -> Int {
        var position = 0
        let count = view.count
        while position < count {
            if let used = streams[direction].sync.resync(
                view, at: &position, final: final, patternLength: TDXFraming.patternLength,
                candidate: { TDXFraming.nextCandidate($0, from: $1) },
                judge: { view, at in
                    switch TDXFraming.judge(view, at: at) {
                    case .request, .reply: .frame
                    case .needMore: .needMore
                    case .invalid: .invalid
                    }
                }
            ) {
                return used
            }
            let remaining = count - position
            guard remaining >= 4 else { return position }
            if TDXReplyHeader.hasMagic(view, at: position) {
                guard remaining >= TDXReplyHeader.size else { return position }
                let header = TDXReplyHeader(view, at: position)
                guard TDXReplyHeader.flagKnown(header.flag) else {
                    badHeader(direction, time: time, anomaly: .badHeader)
                    position += 1
                    continue
                }
                let length = header.frameLength
                guard remaining >= length else { return position }
                flushJunk(direction: direction, time: time)
                streams[direction].sync.afterGap = false
                handleReply(UnsafeRawBufferPointer(rebasing: view[position..<(position + length)]), header, direction: direction, time: time)
                position += length
            } else {
                guard remaining >= TDXRequestHeader.size else {
                    if !TDXRequestHeader.flagKnown(view[position]) {
                        badHeader(direction, time: time, anomaly: .badHeader)
                        position += 1
                        continue
                    }
                    return position
                }
                let header = TDXRequestHeader(view, at: position)
                guard header.plausible else {
                    let lengths = TDXRequestHeader.flagKnown(header.flag) && header.length1 != header.length2
                    badHeader(direction, time: time, anomaly: lengths ? .requestLengthMismatch : .badHeader)
                    position += 1
                    continue
                }
                let length = header.frameLength
                guard remaining >= length else { return position }
                flushJunk(direction: direction, time: time)
                streams[direction].sync.afterGap = false
                handleRequest(UnsafeRawBufferPointer(rebasing: view[position..<(position + length)]), header, direction: direction, time: time)
                position += length
            }
        }
        return position
    }

    /// A header that is not a frame: news when the stream was in step, otherwise part of the junk.
    private func badHeader(_ direction: Direction, time: Timestamp, anomaly kind: TDXAnomaly) {
        if streams[direction].sync.badHeader() {
            anomaly(kind, direction: direction, time: time, bytes: TDXRequestHeader.size)
        }
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

    /// Decodes what the buffer still holds as if no more bytes will come; reports a partial frame
    /// as cut by `cut`.
    private func flushAtBoundary(direction: Direction, time: Timestamp, cut: TDXAnomaly) {
        var buffer = held[direction].takeAll()
        if !buffer.isEmpty {
            let used = buffer.withUnsafeBytes { process($0, direction: direction, time: time, final: true) }
            buffer.removeFirst(used)
        }
        if !buffer.isEmpty {
            let inStep = !streams[direction].sync.resyncing
            streams[direction].sync.junk = 0
            if inStep {
                anomaly(cut, direction: direction, time: time, bytes: buffer.count)
            } else if streams[direction].sync.afterGap {
                counters.resyncBytes &+= UInt64(buffer.count)
            } else {
                streams[direction].sync.junk += buffer.count
            }
        }
        flushJunk(direction: direction, time: time)
    }

    // MARK: - Quote frames: requests and replies

    private func handleRequest(_ frame: UnsafeRawBufferPointer, _ header: TDXRequestHeader, direction: Direction, time: Timestamp) {
        counters.frames &+= 1
        counters.requests &+= 1
        counters.countCommand(header.command)
        let family = TDXCommand.family(of: header.command, flag: header.flag)
        families |= family.bit
        let body = UnsafeRawBufferPointer(rebasing: frame[TDXRequestHeader.size...])
        let heartbeatPattern = facts.note(request: header, frame: frame, time: time, idle: options.heartbeatIdleNanoseconds)
        let heartbeat = heartbeatPattern || header.command == TDXCommand.heartbeat || header.command == TDXCommand.ping
        if heartbeat { counters.heartbeats &+= 1 }
        let quotes = header.command == TDXCommand.securityQuotes || header.command == TDXCommand.securityQuotesNew
        if quotes { counters.codesRequested &+= UInt64(TDXRequestBody.quoteCount(body)) }
        // The body is decoded for the request's own event, for the context its reply is read
        // against, and for the file a file request names; not when no consumer reads any of it.
        let eventWanted = wantsEvents && TDXEventBuilder.mayBeNeeded(TDXEventBuilder.requestKinds(header.command, heartbeat: heartbeat), interest: interest)
        let contextWanted = wantsEvents && repliesWanted
        var decoded: TDXRequestBody?
        var fileName: String?
        if header.command == TDXCommand.fileMeta || header.command == TDXCommand.fileData || eventWanted || contextWanted {
            let request = quotes && eventWanted
                ? requestMemo.quotesRequest(command: header.command, flag: header.flag, body: body)
                : TDXRequestBody(command: header.command, flag: header.flag, body: body, forEvent: eventWanted)
            fileName = request.fileName
            decoded = request
        }
        if let fileName, facts.brokerConfig == nil { facts.brokerConfig = TDXSessionFacts.brokerConfig(in: fileName) }
        var anomalies = TDXAnomalySet()
        let overflow = pending.push(TDXPendingRequest(
            sequence: header.sequence, command: header.command, time: time, heartbeat: heartbeat,
            context: contextWanted ? decoded?.context : nil), limit: options.maxPendingRequests)
        if overflow { anomalies.insert(.pendingOverflow) }
        count(anomalies)
        guard wantsEvents else { return }
        guard eventWanted, let decoded else { return events.skipped() }
        var all = anomalies
        all.formUnion(decoded.anomalies)
        let info = TDXFrameInfo(
            request: header, family: family, heartbeat: heartbeat, anomalies: all)
        if let event = TDXEventBuilder.request(
            info, body: decoded, facts: facts, flow: flow, direction: direction, time: time, interest: interest)
        {
            events.emit(event)
        } else {
            events.skipped()
        }
    }

    private func handleReply(_ frame: UnsafeRawBufferPointer, _ header: TDXReplyHeader, direction: Direction, time: Timestamp) {
        counters.frames &+= 1
        counters.replies &+= 1
        counters.wireBytes &+= UInt64(header.wireSize)
        counters.rawBytes &+= UInt64(header.rawSize)
        var anomalies = TDXAnomalySet()
        let compressed = header.compressed
        if compressed { counters.compressedReplies &+= 1 }
        if !header.flagAgrees { anomalies.insert(.compressionFlagMismatch) }
        let body = UnsafeRawBufferPointer(rebasing: frame[TDXReplyHeader.size...])
        let overCap = Int(header.rawSize) > options.maxBodyBytes
        if overCap { anomalies.insert(.bodyOverCap) }
        var zlibHeaderValid = true
        if compressed && !overCap {
            zlibHeaderValid = body.count >= 2 && TDXInflater.headerValid(body[0], body[1])
            if !zlibHeaderValid { anomalies.insert(.zlibBadHeader) }
        }
        let request = pending.take(sequence: header.sequence, command: header.command)
        if request == nil && requestsComplete { anomalies.insert(.unpairedReply) }
        let heartbeat = request?.heartbeat ?? (header.command == TDXCommand.heartbeat || header.command == TDXCommand.ping)
        if heartbeat { counters.heartbeats &+= 1 }
        families |= TDXCommand.family(of: header.command, flag: header.requestFlag).bit
        count(anomalies)
        guard wantsEvents else { return }
        // Nobody reads the event, whatever the body holds: it is not inflated, and the anomalies
        // only inflating and decoding find (reported in events only) are not looked for.
        guard TDXEventBuilder.mayBeNeeded(TDXEventBuilder.replyKinds(header.command, heartbeat: heartbeat), interest: interest) else {
            return events.skipped()
        }

        // Events only: inflate and decode the body.
        var decoded: TDXReplyBody?
        var inflatedSize: Int?
        if !overCap && zlibHeaderValid {
            if compressed {
                let outcome = inflater.inflate(body, limit: Int(header.rawSize))
                var produced = 0
                switch outcome {
                case .complete(let count, let trailing):
                    produced = count
                    if count != Int(header.rawSize) { anomalies.insert(.inflatedSizeMismatch) }
                    if trailing > 0 { anomalies.insert(.zlibTrailingData) }
                case .overflow(let count):
                    produced = count
                    anomalies.insert(.inflatedSizeMismatch)
                case .truncated(let count):
                    produced = count
                    anomalies.insert(.zlibTruncated)
                case .corrupt(let count):
                    produced = count
                    anomalies.insert(.zlibCorrupt)
                }
                inflatedSize = produced
                if case .complete = outcome {
                    decoded = TDXReplyBody(
                        command: header.command, body: UnsafeRawBufferPointer(start: inflater.buffer, count: produced),
                        request: request?.context, rows: interest.records, quoteLimit: quoteLimit)
                }
            } else {
                decoded = TDXReplyBody(
                    command: header.command, body: body, request: request?.context, rows: interest.records, quoteLimit: quoteLimit)
            }
        }
        if let decoded { anomalies.formUnion(decoded.anomalies) }
        let info = TDXFrameInfo(
            reply: header, family: TDXCommand.family(of: header.command, flag: header.requestFlag), heartbeat: heartbeat,
            paired: request != nil, inflatedSize: inflatedSize, anomalies: anomalies)
        if let event = TDXEventBuilder.reply(
            info, body: decoded, request: request, facts: facts, flow: flow, direction: direction, time: time, interest: interest)
        {
            events.emit(event)
        } else {
            events.skipped()
        }
    }

    // MARK: - Counters and anomalies

    private func finishCounters() {
        switch mode {
        case .quote:
            counters.quoteFlows &+= 1
            if families & TDXFamily.extended.bit != 0 { counters.extendedFlows &+= 1 }
            if families & TDXFamily.newGeneration.bit != 0 { counters.newGenerationFlows &+= 1 }
            if facts.setupFrames == 3 { counters.pytdxSetupFlows &+= 1 }
            if facts.officialLogin { counters.officialLoginFlows &+= 1 }
            if facts.extendedSetup == .pytdx { counters.pytdxExtendedFlows &+= 1 }
            if facts.brokerConfig != nil { counters.brokerConfigFlows &+= 1 }
            if facts.pytdxHeartbeats > 0 { counters.pytdxHeartbeatFlows &+= 1 }
            if facts.fixedSequenceIDs { counters.fixedSequenceFlows &+= 1 }
            counters.unansweredRequests &+= UInt64(pending.count)
        case .http:
            counters.httpFlows &+= 1
        case .trade:
            counters.tradeFlows &+= 1
            counters.tradeBytes &+= tradeBytes.toServer &+ tradeBytes.toClient
        case .undetermined:
            break
        }
    }

    private func count(_ anomalies: TDXAnomalySet) {
        guard !anomalies.isEmpty else { return }
        for found in anomalies.members where found.counted { counters.anomalies[found.index] &+= 1 }
    }

    func count(_ anomaly: TDXAnomaly) {
        if anomaly.counted { counters.anomalies[anomaly.index] &+= 1 }
    }

    /// An anomaly that is not part of a frame: counted, and reported as its own event.
    private func anomaly(_ kind: TDXAnomaly, direction: Direction, time: Timestamp, bytes: Int) {
        count(kind)
        guard wantsEvents else { return }
        emitAnomaly([kind], direction: direction, time: time, bytes: bytes)
    }

    func emitAnomaly(_ kinds: [TDXAnomaly], direction: Direction, time: Timestamp, bytes: Int) {
        guard wantsEvents else { return }
        events.emit(TDXEventBuilder.anomaly(kinds, bytes: bytes, facts: facts, flow: flow, direction: direction, time: time, interest: interest))
    }
}
