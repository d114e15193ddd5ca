/// splitmix64's finaliser: every bit of `value` moves every bit of the result. The one mixing
/// step of the flow table's hashes and flow ids, the rules' keys and the decoders' small
/// hash tables.
@inlinable @inline(__always)
package func mix64(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
