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

/// What a connection has said so far that later messages are read against.
struct CTPSessionFacts {
    /// The front kind, once a message told it.
    var front: CTPFront?
    /// The AppType the front granted in RspAuthenticate, once known.
    var appType: String?
    /// The AppID authenticated on this connection.
    var appID: String?
    /// Whether a login was sent on this connection (and no logout since).
    var loggedIn = false

    /// Whether `update(with:)` reads the fields of a message of transaction `tid` (otherwise its
    /// header is enough).
    static func readsFields(tid: UInt32) -> Bool {
        tid == CTPTransactions.reqAuthenticate || tid == CTPTransactions.rspAuthenticate
    }

    /// Follows one decoded message.
    mutating func update(with message: CTPMessage) {
        switch message.header.tid {
        case CTPTransactions.reqAuthenticate:
            if let request = message.field("AuthenticationInfo") ?? message.field("ReqAuthenticate") {
                appID = request.text("AppID") ?? appID
            }
        case CTPTransactions.rspAuthenticate:
            if let response = message.field("AuthenticationInfo"), response.int("IsResult") == 1 {
                appType = response.text("AppType") ?? appType
                appID = response.text("AppID") ?? appID
            } else if let response = message.field("RspAuthenticate") {
                appType = response.text("AppType") ?? appType
                appID = response.text("AppID") ?? appID
            }
        case CTPTransactions.reqUserLogin:
            loggedIn = true
        case CTPTransactions.reqUserLogout:
            loggedIn = false
        default:
            break
        }
    }
}
