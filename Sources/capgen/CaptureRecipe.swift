import PacketCapture
import TestSupport

/// A capture file capgen makes: the bytes, the packet count and what an analyzer should report.
struct GeneratedCapture: Sendable {
    /// The whole file.
    var bytes: [UInt8]
    /// The number of packet records (complete ones, for damaged files).
    var packets: Int
    /// What the analyzer is expected to report, in words.
    var expected: String
    /// Files written next to the capture (ground-truth JSON).
    var companions: [CompanionFile] = []
}

/// A file written next to a capture, such as its ground truth.
struct CompanionFile: Sendable {
    /// The file name, in the capture's folder.
    var name: String
    /// The content.
    var bytes: [UInt8]
}

/// One synthetic capture: its subcommand, file name, what it covers, and how to make it.
struct CaptureRecipe: Sendable {
    /// The subcommand that writes only this file.
    var name: String
    /// The file name under the output folder.
    var file: String
    /// The subfolder of the captures folder the file belongs in (`fix`), or empty.
    var folder = ""
    /// The link type and features the file covers.
    var covers: String
    /// Makes the file's content (deterministic).
    var make: @Sendable () -> GeneratedCapture

    /// Every synthetic capture, in manifest order.
    static let all: [CaptureRecipe] = SyntheticCaptures.recipes + DamagedCaptures.recipes + FIXCaptures.recipes

    /// The file's path relative to the captures folder (`fix/synthetic-fix-edgecases.pcap`).
    var path: String { folder.isEmpty ? file : folder + "/" + file }
}

/// Helpers shared by the recipes.
enum Recipe {
    /// The first packet time of every synthetic capture: 2023-11-14T22:13:20Z.
    static let epoch: Int64 = 1_700_000_000

    /// A time `offset` microseconds after `epoch`, plus a few nanoseconds so nanosecond files
    /// show digits past the microsecond.
    static func time(microseconds offset: Int64) -> Timestamp {
        Timestamp(seconds: epoch, nanoseconds: offset * 1000 + 7)
    }

    /// `count` printable bytes from `seed` (lines of 64 letters and digits), readable in dumps.
    static func text(_ count: Int, seed: UInt64) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var generator = SeededGenerator(seed: seed)
        var out = [UInt8]()
        out.reserveCapacity(count)
        for index in 0..<count {
            out.append(index % 64 == 63 ? 0x0A : alphabet[Int(generator.next() % UInt64(alphabet.count))])
        }
        return out
    }

    /// Handshake, request, response, close: the simplest complete conversation.
    static func exchange(
        client: Endpoint, server: Endpoint, builder: FrameBuilder = FrameBuilder(), request: Int, response: Int,
        startMicroseconds: Int64, seed: UInt64, maximumSegmentSize: Int = 1460
    ) -> TCPConversation {
        var conversation = TCPConversation(
            client: client, server: server, builder: builder,
            clientInitialSequence: UInt32(truncatingIfNeeded: seed &* 0x9E37_79B9),
            serverInitialSequence: UInt32(truncatingIfNeeded: seed &* 0x85EB_CA6B),
            start: time(microseconds: startMicroseconds), step: 150_000, maximumSegmentSize: maximumSegmentSize)
        conversation.handshake()
        conversation.send(from: .client, text(request, seed: seed))
        conversation.send(from: .server, text(response, seed: seed &+ 1))
        conversation.close()
        return conversation
    }

    /// `client -> server: c2s N B, s2c M B` for the manifest.
    static func flow(_ conversation: TCPConversation, clientBytes: Int, serverBytes: Int, note: String = "") -> String {
        "\(conversation.client) -> \(conversation.server) c2s \(clientBytes) B, s2c \(serverBytes) B"
            + (note.isEmpty ? "" : " (\(note))")
    }

    /// A pcap file in memory holding `frames`.
    static func pcap(
        _ frames: [TimedFrame], linkType: LinkType, expected: String, nanosecond: Bool = false,
        snapshotLength: Int = 262_144
    ) -> GeneratedCapture {
        GeneratedCapture(
            bytes: PcapWriter.fileBytes(frames, linkType: linkType, snapshotLength: snapshotLength, nanosecond: nanosecond),
            packets: frames.count, expected: expected)
    }
}
