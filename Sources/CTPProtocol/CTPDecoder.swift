import ProtocolKit

/// Settings of the CTP decoder.
package struct CTPOptions: Sendable {
    /// The most packets one 'C'...'L' chain may gather; past it the message is reported with
    /// `chain_too_long` and a new one starts.
    package var maxChainPackets = 1024
    /// The most FTDC content bytes one chain may gather.
    package var maxChainBytes = 1 << 20

    /// The defaults.
    package init() {}
}

/// The CTP decoder: SFIT's FTD/FTDC protocol between the `thosttraderapi` / `thostmduserapi`
/// libraries and a trading or market-data front, detected by content on any port.
package struct CTPDecoder: ProtocolDecoder {
    /// The settings.
    package let options: CTPOptions
    /// The decompression buffer every session of this decoder shares.
    private let scratch = CTPScratch()

    /// A decoder with `options`. Its sessions share state, so one decoder serves one pipeline
    /// (one thread); each worker of a parallel run makes its own.
    package init(options: CTPOptions = CTPOptions()) {
        self.options = options
    }

    package var name: String { "ctp" }

    package func replica() -> any ProtocolDecoder { CTPDecoder(options: options) }

    /// Ports CTP fronts conventionally listen on (SimNow 10130/10131 and 10201-10213, brokers'
    /// 41205/41213 and 42205/42213). They only orient flows picked up mid-stream.
    package var servicePorts: [UInt16] { [10130, 10131, 10201, 10202, 10203, 10211, 10212, 10213, 41205, 41213, 42205, 42213] }

    /// How far into a stream a frame is looked for.
    static let probeWindow = 4096

    /// Matches a data frame whose FTDC packet is consistent (CTP notes section 2.4), or a heartbeat
    /// (-timeout) frame followed by another valid frame, at the start of the bytes or at a
    /// candidate frame start further in (a stream picked up mid-way).
    package func probe(_ bytes: RawSpan, direction: Direction) -> ProbeResult {
        bytes.withUnsafeBytes { buffer in
            let window = UnsafeRawBufferPointer(rebasing: buffer.prefix(Self.probeWindow))
            var offset: Int? = 0
            while let start = offset {
                switch CTPFraming.validate(window, at: start, scratch: scratch) {
                case .data:
                    return .match
                case .link(let length):
                    switch CTPFraming.validate(window, at: start + length, scratch: scratch) {
                    case .data, .link: return .match
                    case .needMore, .invalid: break
                    }
                case .needMore, .invalid:
                    break
                }
                offset = CTPFraming.nextCandidate(window, from: start + 1)
            }
            return buffer.count >= Self.probeWindow ? .noMatch : .needMoreData
        }
    }

    package func makeSession(flow: FlowInfo, events: any EventSink) -> any DecoderSession {
        CTPSession(flow: flow, events: events, options: options, scratch: scratch)
    }
}
