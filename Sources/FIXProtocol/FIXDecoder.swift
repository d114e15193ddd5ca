import ProtocolKit

/// Settings of the FIX decoder.
package struct FIXOptions: Sendable {
    /// The longest message accepted; longer ones are skipped with `message_too_large`.
    package var maxMessageSize = 1 << 20
    /// Whether Password (554), NewPassword (925), RawData (96) in Logon and the other secrets are
    /// written in clear (`--show-secrets`); by default they are redacted.
    package var showSecrets = false
    /// Tag and message names, value descriptions and repeating-group layouts.
    package var dictionary = FIXDictionary.standard

    /// The defaults.
    package init() {}
}

/// The FIX family decoder: FIX 4.0–4.4, FIXT 1.1, STEP, FIXCOMP and proprietary `8=<token>`
/// envelopes, detected by content on any port.
package struct FIXDecoder: ProtocolDecoder {
    /// The settings.
    package let options: FIXOptions
    /// One tokenizer for every session of this decoder: its storage stays in cache however many
    /// sessions are interleaved (a tokenizer per session made each message start with cache misses).
    private let tokenizer: FIXTokenizer

    /// A decoder with `options`. Its sessions share state, so one decoder serves one pipeline
    /// (one thread); each worker of a parallel run makes its own.
    package init(options: FIXOptions = FIXOptions()) {
        self.options = options
        self.tokenizer = FIXTokenizer(dataPairs: options.dictionary === FIXDictionary.standard ? nil : options.dictionary.dataPairs)
    }

    package var name: String { "fix" }

    package func replica() -> any ProtocolDecoder { FIXDecoder(options: options) }

    /// Ports FIX servers commonly listen on (they only orient flows picked up mid-stream).
    package var servicePorts: [UInt16] { [] }

    /// How far into a stream the envelope is looked for.
    static let probeWindow = 4096

    /// Matches when `8=<token>␁9=<digits>␁` appears in the first bytes, wherever it starts (junk
    /// before the first message is allowed).
    package func probe(_ bytes: RawSpan, direction: Direction) -> ProbeResult {
        bytes.withUnsafeBytes { buffer in
            let window = UnsafeRawBufferPointer(rebasing: buffer.prefix(Self.probeWindow))
            var offset = 0
            while let start = FIXFraming.findEnvelope(window, from: offset) {
                switch FIXFraming.frame(window, at: start, maxMessageSize: options.maxMessageSize) {
                case .frame, .tooLarge:
                    return .match
                case .needMore:
                    // A whole `8=<token>␁9=<digits>␁` header is enough; a partial one is not.
                    if FIXFraming.headerIsComplete(window, at: start) { return .match }
                    return buffer.count >= Self.probeWindow ? .noMatch : .needMoreData
                case .notAMessage:
                    offset = start + 1
                }
            }
            return buffer.count >= Self.probeWindow ? .noMatch : .needMoreData
        }
    }

    package func makeSession(flow: FlowInfo, events: any EventSink) -> any DecoderSession {
        FIXSession(flow: flow, events: events, options: options, tokenizer: tokenizer)
    }
}
