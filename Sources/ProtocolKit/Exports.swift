// Protocol modules import ProtocolKit only; the flow and packet vocabulary they need (Direction,
// FlowInfo, PerDirection, Timestamp, IPAddress) comes with it.
@_exported import FlowTracking
@_exported import PacketCapture
