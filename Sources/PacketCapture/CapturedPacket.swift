/// One packet read from a capture: its time, lengths and bytes.
///
/// `bytes` borrows libpcap's buffer and is valid only until the next read from the same source.
package struct CapturedPacket {
    /// When the packet was captured.
    package var time: Timestamp
    /// The frame as captured (possibly cut short by the snapshot length).
    package var bytes: UnsafeRawBufferPointer
    /// The frame's length on the wire.
    package var wireLength: Int
    /// The link-layer type of the frame.
    package var linkType: LinkType
    /// Which input it came from (index into the reader's sources).
    package var sourceIndex: Int

    /// A packet with all fields given.
    package init(time: Timestamp, bytes: UnsafeRawBufferPointer, wireLength: Int, linkType: LinkType, sourceIndex: Int) {
        self.time = time
        self.bytes = bytes
        self.wireLength = wireLength
        self.linkType = linkType
        self.sourceIndex = sourceIndex
    }
}
