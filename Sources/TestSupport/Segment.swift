import PacketCapture

/// One TCP segment of one direction, without addresses or framing: what the stream helpers
/// (`TCPConversation`, `StreamMangler`) pass around, and what reassembly tests can feed directly.
package struct Segment: Hashable, Sendable {
    /// The sequence number of the first payload byte (or of the SYN/FIN).
    package var sequence: UInt32
    /// The TCP flags.
    package var flags: TCPFlags
    /// The payload bytes.
    package var payload: [UInt8]

    /// A segment with all fields given.
    package init(sequence: UInt32, flags: TCPFlags = [.ack, .psh], payload: [UInt8] = []) {
        self.sequence = sequence
        self.flags = flags
        self.payload = payload
    }

    /// The sequence space the segment uses: payload bytes plus one each for SYN and FIN.
    package var sequenceLength: Int {
        payload.count + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }

    /// The sequence number after this segment (wrapping).
    package var end: UInt32 { sequence &+ UInt32(truncatingIfNeeded: sequenceLength) }
}

/// A byte range of one direction's stream, by sequence number (wrapping) and length.
package struct SequenceRange: Hashable, Sendable, CustomStringConvertible {
    /// The sequence number of the first byte.
    package var sequence: UInt32
    /// The number of bytes.
    package var length: Int

    /// A range with both fields given.
    package init(sequence: UInt32, length: Int) {
        self.sequence = sequence
        self.length = length
    }

    /// The sequence number after the range (wrapping).
    package var end: UInt32 { sequence &+ UInt32(truncatingIfNeeded: length) }

    /// `seq 4294967000+1000`.
    package var description: String { "seq \(sequence)+\(length)" }
}
