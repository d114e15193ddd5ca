import PacketCapture
package enum CommunityID {
    package static func compute(source: IPAddress, sourcePort: UInt16, destination: IPAddress, destinationPort: UInt16, protocolNumber: UInt8, seed: UInt16 = 0) -> String { "1:stub" }
}
