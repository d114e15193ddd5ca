import ProtocolKit

/// What a TDX connection has shown about its client so far: the fingerprints of notes section
/// 1.8 and FINDINGS.md section 9. Every trading event of the connection carries them once known,
/// so that rules can use them.
struct TDXSessionFacts {
    /// Requests seen on the connection.
    var requests = 0
    /// How many of pytdx's three set-up frames opened the client stream, byte for byte (3: all).
    var setupFrames = 0
    /// The official client's 0x000b login was sent.
    var officialLogin = false
    /// The extended-market set-up (0x2454) was sent: pytdx's exact bytes, or another body.
    var extendedSetup: ExtendedSetup?
    /// The new generation's login (0x120f) was sent.
    var newGenerationLogin = false
    /// A broker-branded configuration (`customcfg_*`) was asked for (0x02c5, 0x06b9).
    var brokerConfig: String?
    /// Security-count requests (0x044e) with pytdx's constant tail after an idle spell: its heartbeat.
    var pytdxHeartbeats = 0
    /// Requests of commands pytdx sends with a fixed sequence id, and how many carried it.
    var sequenceChecked = 0
    var sequenceMatched = 0
    /// The packet time of the last request.
    var lastRequest: Timestamp?

    enum ExtendedSetup: Equatable {
        case pytdx
        case other
    }

    /// The set-up that identifies the client library (`client_fingerprint`):
    /// - `official_client`: the 0x000b login of the official PC client (nDPI `tongdaxin.c`);
    /// - `official_new_generation`: the new generation's 0x120f login;
    /// - `pytdx_or_tradex`: the exact three-frame set-up of pytdx, its ports (mootdx, gotdx,
    ///   rustdx) and the resold TradeX DLL's quote module, with no 0x000b;
    /// - `pytdx_extended`: pytdx's exact extended-market set-up; `extended_client`: another one.
    var fingerprint: String? {
        if officialLogin { return "official_client" }
        if newGenerationLogin { return "official_new_generation" }
        if setupFrames == 3 { return "pytdx_or_tradex" }
        switch extendedSetup {
        case .pytdx: return "pytdx_extended"
        case .other: return "extended_client"
        case nil: return nil
        }
    }

    /// Whether every request so far of a command pytdx has a fixed id for carried that id (at least three).
    var fixedSequenceIDs: Bool { sequenceChecked >= 3 && sequenceMatched == sequenceChecked }

    /// The text of `customcfg_<broker>…` in a file name, if it is one.
    static func brokerConfig(in name: String) -> String? {
        name.lowercased().hasPrefix("customcfg_") ? name : nil
    }

    /// pytdx's three set-up frames (notes section 1.5), the first 68 bytes of its client stream.
    static let pytdxSetup: [[UInt8]] = [
        [0x0C, 0x02, 0x18, 0x93, 0x00, 0x01, 0x03, 0x00, 0x03, 0x00, 0x0D, 0x00, 0x01],
        [0x0C, 0x02, 0x18, 0x94, 0x00, 0x01, 0x03, 0x00, 0x03, 0x00, 0x0D, 0x00, 0x02],
        [0x0C, 0x03, 0x18, 0x99, 0x00, 0x01, 0x20, 0x00, 0x20, 0x00, 0xDB, 0x0F] + TDXRequestBody.pytdxSetup3,
    ]

    /// pytdx's extended-market set-up frame (FINDINGS.md section 1).
    static let pytdxExtendedSetup: [UInt8] =
        [0x01, 0x01, 0x48, 0x65, 0x00, 0x01, 0x52, 0x00, 0x52, 0x00, 0x54, 0x24] + TDXRequestBody.pytdxExtendedSetup

    /// The tail pytdx writes after the market in every security-count request (u32 20170613).
    static let pytdxCountTail: UInt32 = 0x0133_C775

    /// Follows one request frame (`frame` is the whole frame); returns whether it is pytdx's
    /// heartbeat (a security count with its tail after `idle` nanoseconds of silence).
    mutating func note(request header: TDXRequestHeader, frame: UnsafeRawBufferPointer, time: Timestamp, idle: Int64) -> Bool {
        defer {
            requests += 1
            lastRequest = time
        }
        if requests == setupFrames && setupFrames < 3 && frame.elementsEqual(Self.pytdxSetup[setupFrames]) {
            setupFrames += 1
        }
        if TDXCommand.pytdxSequence(header.command) != nil {
            sequenceChecked += 1
            if TDXCommand.isPytdxSequence(header.sequence, for: header.command) { sequenceMatched += 1 }
        }
        switch header.command {
        case TDXCommand.officialLogin:
            officialLogin = true
        case TDXCommand.exSetup:
            extendedSetup = frame.elementsEqual(Self.pytdxExtendedSetup) ? .pytdx : .other
        case TDXCommand.ngLogin:
            newGenerationLogin = true
        case TDXCommand.securityCount:
            guard frame.count >= TDXRequestHeader.size + 6, let last = lastRequest, time.nanoseconds - last.nanoseconds >= idle else {
                return false
            }
            let tail = frame.loadUnaligned(fromByteOffset: TDXRequestHeader.size + 2, as: UInt32.self).littleEndian
            if tail == Self.pytdxCountTail {
                pytdxHeartbeats += 1
                return true
            }
        default:
            break
        }
        return false
    }

    /// The session's fingerprint fields for a trading event.
    /// (Kept in step with `TDXEventBuilder.common`, which writes the same fields under a plan.)
    var tradingFields: [(String, FieldValue)] {
        var fields: [(String, FieldValue)] = []
        if let fingerprint { fields.append(("client_fingerprint", .string(fingerprint))) }
        if let brokerConfig { fields.append(("tdx.broker_config", .string(brokerConfig))) }
        if fixedSequenceIDs { fields.append(("tdx.fixed_sequence_ids", .bool(true))) }
        if pytdxHeartbeats > 0 { fields.append(("tdx.pytdx_heartbeat", .bool(true))) }
        return fields
    }
}
