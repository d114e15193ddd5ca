import ProtocolKit

/// Settings of the TDX decoder.
package struct TDXOptions: Sendable {
    /// The largest uncompressed reply body inflated (the header's raw size); a larger one is
    /// reported with `body_over_cap` and not inflated. The field is 16 bits, so 65535 is no cap.
    package var maxBodyBytes = 65535
    /// Requests waiting for their replies per flow; past it the oldest is forgotten (`pending_overflow`).
    package var maxPendingRequests = 64
    /// Server ports whose flows are taken as the opaque trading channel when no decoder
    /// recognises their content.
    package var tradePorts: [UInt16] = [7708]
    /// Client silence after which a security-count request with pytdx's tail is its heartbeat
    /// (pytdx sends it after 10 s without a call).
    package var heartbeatIdleNanoseconds: Int64 = 9_000_000_000
    /// The largest HTTP body of the TdxTradeServer wrapper decoded (`http_body_over_cap`).
    package var maxHTTPBodyBytes = 256 << 10

    /// The defaults.
    package init() {}
}

/// The TongDaXin decoder: the quote protocol of TDX servers (standard market, extended market,
/// the official client's new-generation frames), the TdxTradeServer HTTP wrapper, and the opaque
/// trading channel; detected by content on any port.
package struct TDXDecoder: ProtocolDecoder {
    /// The settings.
    package let options: TDXOptions
    /// The inflater every session of this decoder shares.
    let inflater: TDXInflater
    /// The quotes requests decoded before, shared by every session of this decoder.
    let requestMemo = TDXRequestMemo()

    /// A decoder with `options`. Its sessions share state, so one decoder serves one pipeline
    /// (one thread); each worker of a parallel run makes its own.
    package init(options: TDXOptions = TDXOptions()) {
        self.options = options
        self.inflater = TDXInflater(capacity: options.maxBodyBytes)
    }

    package var name: String { "tdx" }

    package func replica() -> any ProtocolDecoder { TDXDecoder(options: options) }

    /// Ports TDX servers listen on (notes section 1.1): quotes on 7709, 7711, 7719; the extended
    /// market on 7720, 7721, 7727; trading on 7708; the TdxTradeServer wrapper on 10092 and 19820.
    /// They only orient flows picked up mid-stream (and 7708 names the trading channel).
    package var servicePorts: [UInt16] { [7708, 7709, 7711] + Array(7719...7727) + [10092, 19820] }

    /// How far into a stream a frame is looked for.
    static let probeWindow = 4096

    /// Matches, in the first bytes of either direction:
    /// - a request at the start whose header is plausible and whose command the notes name, or two
    ///   such requests back to back further in (a stream picked up mid-way);
    /// - a reply header (magic `b1 cb 74 00` and a known flag) anywhere;
    /// - a request to the TdxTradeServer wrapper (`POST /api` with its JSON or AES body).
    package func probe(_ bytes: RawSpan, direction: Direction) -> ProbeResult {
        bytes.withUnsafeBytes { buffer in
            let window = UnsafeRawBufferPointer(rebasing: buffer.prefix(Self.probeWindow))
            if direction == .toServer, !window.isEmpty, window[0] == UInt8(ascii: "P") {
                return TDXHTTPProbe.probe(window)
            }
            var offset = 0
            while let start = TDXFraming.nextCandidate(window, from: offset) {
                switch TDXFraming.judge(window, at: start) {
                case .reply:
                    return .match
                case .request(let length):
                    if start == 0 { return .match }
                    // Further in, a pattern alone is weak: the next frame must follow.
                    switch TDXFraming.judge(window, at: start + length) {
                    case .request, .reply: return .match
                    case .needMore, .invalid: break
                    }
                case .needMore, .invalid:
                    break
                }
                offset = start + 1
            }
            return buffer.count >= Self.probeWindow ? .noMatch : .needMoreData
        }
    }

    package func makeSession(flow: FlowInfo, events: any EventSink) -> any DecoderSession {
        TDXSession(flow: flow, events: events, options: options, inflater: inflater, requestMemo: requestMemo)
    }

    /// Flows to a trading port (7708) that nothing recognised: the opaque trading channel.
    package func claimsUnrecognised(_ flow: FlowInfo) -> Bool {
        flow.transport == .tcp && options.tradePorts.contains(flow.serverPort)
    }
}
