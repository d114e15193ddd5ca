import ProtocolKit

/// The TdxTradeServer HTTP wrapper and the opaque trading channel of a TDX session.
extension TDXSession {
    // MARK: - The HTTP wrapper

    func httpData(_ incoming: UnsafeRawBufferPointer, direction: Direction, time: Timestamp) {
        for event in http[direction].take(incoming, maxBody: options.maxHTTPBodyBytes) {
            switch event {
            case .anomaly(let kind, let bytes):
                count(kind)
                if wantsEvents { emitAnomaly([kind], direction: direction, time: time, bytes: bytes) }
            case .message(let message):
                httpMessage(message, direction: direction, time: time)
            }
        }
    }

    func httpMessage(_ message: TDXHTTPMessage, direction: Direction, time: Timestamp) {
        counters.httpMessages &+= 1
        let json = message.json
        let ciphertext = json == nil ? message.ciphertextLength : nil
        let encrypted = json == nil && ciphertext != nil
        var function: String?
        if message.isRequest {
            counters.httpRequests &+= 1
            if encrypted { counters.httpEncrypted &+= 1 }
            function = json?[member: "func"]?.text
            httpRequests.append(function)
            if httpRequests.count > 64 { httpRequests.removeFirst() }
        } else if !httpRequests.isEmpty {
            function = httpRequests.removeFirst()
        }
        guard wantsEvents else { return }
        var anomalies = TDXAnomalySet()
        if json == nil && !encrypted && !message.body.isEmpty { anomalies.insert(.httpBadJSON) }
        events.emit(TDXEventBuilder.http(
            message, json: json, ciphertextLength: ciphertext, function: function, anomalies: anomalies, facts: facts, flow: flow,
            direction: direction, time: time, interest: interest))
    }

    // MARK: - The trading channel

    func tradeData(_ incoming: UnsafeRawBufferPointer, direction: Direction, time: Timestamp) {
        tradeBytes[direction] &+= UInt64(incoming.count)
        if !tradeReported { reportTradeChannel(direction: direction, time: time, first: incoming) }
    }

    func reportTradeChannel(direction: Direction, time: Timestamp, first: UnsafeRawBufferPointer?) {
        tradeReported = true
        guard wantsEvents else { return }
        events.emit(TDXEventBuilder.tradeChannel(first: first, flow: flow, direction: direction, time: time, interest: interest))
    }
}
