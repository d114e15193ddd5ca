import ProtocolKit

/// One whole CTP message (one FTDC packet, or the packets of a 'C'...'L' chain) as the output sees it.
struct CTPMessage {
    /// The first packet's header (TID, series, sequence, request id); `chain` is the last packet's.
    var header: CTPMessageHeader
    /// How many packets it took.
    var packets = 1
    /// The FTDC content bytes of all its packets.
    var contentBytes = 0
    /// The field counts of all its packets' headers.
    var fieldCount = 0
    /// The FTD type of its frames (1 or 2).
    var ftdType: UInt8
    /// Whether its frames were zero-run compressed.
    var compressed: Bool
    /// The first frame's extension tags, for the record.
    var extensions: [FieldValue] = []
    /// Its fields, decoded (only when someone wants events).
    var fields: [CTPDecodedField] = []
    /// What is wrong with it.
    var anomalies = CTPAnomalySet()

    /// The first field named `name`.
    func field(_ name: String) -> CTPDecodedField? {
        fields.first { $0.name == name }
    }

    /// The API releases the first field with a telling length points to.
    var apiVersion: String? {
        fields.first { $0.version != nil }?.version
    }
}
