import ProtocolKit

/// One flow's FIX decoding: framing per direction across TCP segments, resynchronisation after
/// junk and gaps, FIXCOMP inflation, session state (logons, sequence numbers) and events.
final class FIXSession: DecoderSession {
    private let flow: FlowInfo
    private let events: any EventSink
    private let options: FIXOptions
    private var streams = PerDirection(FIXStreamState())
    /// Each direction's bytes of a message not yet complete (apart from `streams`, which the
    /// decoding it drives updates).
    private var held = PerDirection(HeldStream())
    private let tokenizer: FIXTokenizer
    private var counters = FIXCounters()
    private var reported = false
    /// What the run wants from decoders (fixed for a run, read once).
    private let interest: EventInterest
    private let wantsEvents: Bool

    init(flow: FlowInfo, events: any EventSink, options: FIXOptions, tokenizer: FIXTokenizer) {
        self.flow = flow
        self.events = events
        self.options = options
        self.tokenizer = tokenizer
        self.interest = events.interest
        self.wantsEvents = interest.records || interest.tradingEvents
    }

    func data(_ bytes: RawSpan, direction: Direction, time: Timestamp) {
        bytes.withUnsafeBytes { incoming in
            held[direction].feed(incoming) { held in
                // A message cut by the segment boundary lacks the rest of what its BodyLength says.
                FIXFraming.expectedLength(held).map { max(0, $0 - held.count) } ?? 0
            } process: { view in
                process(view, direction: direction, time: time, final: false)
            }
        }
    }

    func gap(length: UInt64, direction: Direction, time: Timestamp) {
        flushAtBoundary(direction: direction, time: time, cut: .truncatedAtGap)
        streams[direction].sync.afterGap = true
        // Sequence numbers cannot be trusted across a hole.
        streams[direction].session.expectedSequence = nil
    }

    func end(direction: Direction, time: Timestamp) {
        flushAtBoundary(direction: direction, time: time, cut: .truncatedAtEnd)
        streams[direction].ended = true
        if streams.toServer.ended && streams.toClient.ended && !reported {
            reported = true
            events.count(protocol: "fix", counters.list)
        }
    }

    /// Decodes what the buffer still holds as if no more bytes will come, then reports a partial
    /// message as cut by `cut`.
    private func flushAtBoundary(direction: Direction, time: Timestamp, cut: FIXAnomaly) {
        var buffer = held[direction].takeAll()
        if !buffer.isEmpty {
            let used = buffer.withUnsafeBytes { process($0, direction: direction, time: time, final: true) }
            buffer.removeFirst(used)
        }
        flushJunk(direction: direction, time: time)
        if !buffer.isEmpty {
            anomaly(cut, direction: direction, time: time, bytes: buffer.count)
        }
    }

    // MARK: - Framing

    /// Decodes every whole message in `view`; returns how many bytes were used.
    private func process(_ view: UnsafeRawBufferPointer, direction: Direction, time: Timestamp, final: Bool) -> Int {
        var position = 0
        let count = view.count
        while position < count {
            if view[position] != UInt8(ascii: "8") {
                let next = FIXFraming.findEnvelope(view, from: position) ?? count
                streams[direction].sync.junk += next - position
                position = next
                continue
            }
            switch FIXFraming.frame(view, at: position, maxMessageSize: options.maxMessageSize, final: final) {
            case .frame(let frame):
                flushJunk(direction: direction, time: time)
                streams[direction].sync.afterGap = false
                handle(view, frame, direction: direction, time: time)
                position = frame.end
            case .needMore:
                if !final { return position }
                // No more bytes will come: the rest is junk unless a later message starts in it.
                let next = FIXFraming.findEnvelope(view, from: position + 1) ?? count
                if next >= count { return position }
                streams[direction].sync.junk += next - position
                position = next
            case .notAMessage:
                let next = FIXFraming.findEnvelope(view, from: position + 1) ?? count
                streams[direction].sync.junk += next - position
                position = next
            case .tooLarge(let bodyLength, let skip):
                flushJunk(direction: direction, time: time)
                anomaly(.messageTooLarge, direction: direction, time: time, bytes: bodyLength)
                position += skip
            }
        }
        return position
    }

    /// Reports bytes skipped to find a message (after a gap, skipping is expected and only counted).
    private func flushJunk(direction: Direction, time: Timestamp) {
        guard let junk = streams[direction].sync.takeJunk() else { return }
        if junk.expected {
            counters.resyncBytes &+= UInt64(junk.bytes)
        } else {
            anomaly(.junkSkipped, direction: direction, time: time, bytes: junk.bytes)
        }
    }

    // MARK: - Messages

    private func handle(_ view: UnsafeRawBufferPointer, _ frame: FIXFrame, direction: Direction, time: Timestamp) {
        let beginString = UnsafeRawBufferPointer(rebasing: view[frame.beginStringStart..<(frame.beginStringStart + frame.beginStringLength)])
        switch FIXEnvelope.of(beginString) {
        case .tagValue:
            tokenizer.tokenize(view, frame.start..<frame.end)
            decode(view, frame, direction: direction, time: time, outer: nil)
        case .compressed:
            counters.compressedFrames &+= 1
            let payload = UnsafeRawBufferPointer(rebasing: view[frame.bodyStart..<frame.end])
            guard let inflated = FIXCompression.inflate(payload, limit: options.maxMessageSize) else {
                anomaly(.badCompression, direction: direction, time: time, bytes: payload.count)
                return
            }
            inflated.withUnsafeBytes { inner in
                var position = 0
                var decodedAny = false
                while let start = FIXFraming.findEnvelope(inner, from: position),
                    case .frame(let innerFrame) = FIXFraming.frame(inner, at: start, maxMessageSize: options.maxMessageSize, final: true)
                {
                    tokenizer.tokenize(inner, innerFrame.start..<innerFrame.end)
                    decode(inner, innerFrame, direction: direction, time: time, outer: (frame, view))
                    decodedAny = true
                    position = innerFrame.end
                }
                if !decodedAny { anomaly(.badCompression, direction: direction, time: time, bytes: inflated.count) }
            }
        case .proprietary:
            counters.proprietaryFrames &+= 1
            counters.messages &+= 1
            guard wantsEvents else { return }
            events.emit(FIXEventBuilder.proprietary(
                view, frame, flow: flow, direction: direction, time: time
            ))
        }
    }

    private func decode(
        _ view: UnsafeRawBufferPointer, _ frame: FIXFrame, direction: Direction, time: Timestamp,
        outer: (frame: FIXFrame, view: UnsafeRawBufferPointer)?
    ) {
        counters.messages &+= 1
        let message = FIXMessage(bytes: view, frame: frame, fields: tokenizer.fieldBuffer, tagsSeen: tokenizer.tagsSeen)
        var anomalies = FIXAnomalySet()
        if !frame.bodyLengthValid { anomalies.insert(.bodyLengthMismatch) }
        if !frame.checksumValid { anomalies.insert(.badChecksum) }
        if frame.hasTrailer && !frame.checksumThreeDigits { anomalies.insert(.checksumFormat) }
        for found in tokenizer.anomalies { anomalies.insert(found) }
        if message.msgTypeIndex != 2 { anomalies.insert(.missingMsgType) }
        streams[direction].session.update(with: message, anomalies: &anomalies)
        if !anomalies.isEmpty {
            for found in anomalies.members { counters.anomalies[found.index] &+= 1 }
        }
        guard wantsEvents else { return }
        if let event = FIXEventBuilder.message(
            message, anomalies: anomalies, outer: outer.map { ($0.frame, $0.view) },
            flow: flow, direction: direction, time: time, options: options, interest: interest
        ) {
            events.emit(event)
        } else {
            events.skipped()
        }
    }

    private func anomaly(_ kind: FIXAnomaly, direction: Direction, time: Timestamp, bytes: Int) {
        counters.anomalies[kind.index] &+= 1
        guard wantsEvents else { return }
        events.emit(TradingEvent(
            time: time, flow: flow, direction: direction, protocolName: "fix", kind: .anomaly,
            fields: [("anomaly", .string(kind.rawValue)), ("length", .uint(UInt64(bytes)))],
            record: .object([("anomalies", .array([.string(kind.rawValue)])), ("length", .uint(UInt64(bytes)))])
        ))
    }
}

/// One direction's framing state.
struct FIXStreamState {
    /// Bytes skipped since the last message, and whether skipping follows a gap (FIX finds
    /// messages by their `8=` envelope, so `resyncing` is not used).
    var sync = FrameSync()
    /// Whether the direction has ended.
    var ended = false
    /// Logon and sequence-number state.
    var session = FIXSessionState()
}

/// What a FIX session counts, reported into the stats record as `fix.<name>`.
struct FIXCounters {
    var messages: UInt64 = 0
    var compressedFrames: UInt64 = 0
    var proprietaryFrames: UInt64 = 0
    var resyncBytes: UInt64 = 0
    var anomalies = [UInt64](repeating: 0, count: FIXAnomaly.allCases.count)

    var list: [(String, UInt64)] {
        var out: [(String, UInt64)] = [
            ("messages", messages), ("fixcomp_frames", compressedFrames), ("proprietary_frames", proprietaryFrames),
            ("resync_bytes_after_gap", resyncBytes),
        ]
        for anomaly in FIXAnomaly.allCases where anomalies[anomaly.index] > 0 {
            out.append(("anomalies.\(anomaly.rawValue)", anomalies[anomaly.index]))
        }
        return out
    }
}
