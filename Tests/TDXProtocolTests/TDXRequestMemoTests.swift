import ProtocolKit
import Testing
import TestSupport

@testable import TDXProtocol

/// The memo of quotes requests hands back what decoding the body gives.
@Suite("TDX request memo")
struct TDXRequestMemoTests {
    /// The parts of a decoded request its event and its reply's context read.
    static func summary(_ request: TDXRequestBody) -> String {
        let fields = request.fields.map { "\($0.0)=\($0.1)" }.joined(separator: ";")
        return "\(fields)|\(request.instrumentCount)|\(request.markets)|\(String(describing: request.qualifiedCodes))|"
            + "\(request.context.market),\(String(describing: request.context.code)),\(String(describing: request.context.category)),"
            + "\(String(describing: request.context.date))|\(String(describing: request.subscription))|\(request.anomalies == TDXAnomalySet())"
    }

    @Test("repeated, new, damaged and oversized bodies: the memo's answer is the body's own decoding")
    func sameAsDecoding() {
        var generator = SeededGenerator(seed: 0x7D1)
        let memo = TDXRequestMemo()
        // Forty watchlists polled over and over, among random and damaged bodies.
        let watchlists: [[UInt8]] = (0..<40).map { _ in
            let codes = (0..<generator.int(in: 1...80)).map { _ in
                (UInt8(generator.int(in: 0...2)), String(generator.int(in: 100_000...999_999)))
            }
            return Array(TDXFrameBuilder.quotesRequest(codes).dropFirst(TDXRequestHeader.size))
        }
        for round in 0..<3_000 {
            var body: [UInt8]
            switch generator.int(in: 0...9) {
            case 0: body = (0..<generator.int(in: 0...40)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            case 1: body = Array(watchlists[generator.int(in: 0...39)].dropLast(generator.int(in: 1...5)))
            case 2: body = [UInt8](repeating: 0x31, count: TDXRequestMemo.maxBody + generator.int(in: 1...100))
            default: body = watchlists[generator.int(in: 0...39)]
            }
            let command = generator.int(in: 0...3) == 0 ? TDXCommand.securityQuotesNew : TDXCommand.securityQuotes
            let fromMemo = body.withUnsafeBytes { memo.quotesRequest(command: command, flag: 0x0C, body: $0) }
            let decoded = body.withUnsafeBytes { TDXRequestBody(command: command, flag: 0x0C, body: $0) }
            #expect(Self.summary(fromMemo) == Self.summary(decoded), "round \(round)")
        }
        #expect(memo.hits > 1_000)
        #expect(memo.count <= TDXRequestMemo.slots)
    }

    @Test("a body over the limit is decoded every time and not kept")
    func oversizedBodies() {
        let memo = TDXRequestMemo()
        let codes = (0..<200).map { (UInt8(1), String(600_000 + $0)) }
        let body = Array(TDXFrameBuilder.quotesRequest(codes).dropFirst(TDXRequestHeader.size))
        #expect(body.count > TDXRequestMemo.maxBody)
        for _ in 0..<3 { _ = body.withUnsafeBytes { memo.quotesRequest(command: TDXCommand.securityQuotes, flag: 0x0C, body: $0) } }
        #expect(memo.hits == 0 && memo.misses == 0 && memo.count == 0)
    }
}
