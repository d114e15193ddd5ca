/// One direction's FIX session layer: logons (several may follow each other on one TCP
/// connection), the heartbeat interval and MsgSeqNum continuity.
struct FIXSessionState {
    /// The MsgSeqNum the next new message should carry, once known.
    var expectedSequence: Int?
    /// Whether a Logon was seen and no Logout since.
    var loggedOn = false
    /// Logons seen in this direction.
    var logons = 0
    /// HeartBtInt (108) of the last Logon.
    var heartbeatInterval: Int?

    /// Follows one message; adds sequence anomalies to `anomalies`.
    mutating func update(with message: FIXMessage, anomalies: inout FIXAnomalySet) {
        guard let type = message.msgTypeBytes else { return }
        let single = type.count == 1 ? type[0] : 0
        let possDup = message.value(43, is: "Y")
        if single == UInt8(ascii: "A") {
            loggedOn = true
            logons += 1
            heartbeatInterval = message.int(108)
            // A Logon with ResetSeqNumFlag, or a new logon cycle, starts counting afresh.
            if message.value(141, is: "Y") || logons > 1 { expectedSequence = nil }
        }
        if let sequence = message.int(34) {
            // A SequenceReset moves the numbers itself; it is not checked against them.
            if let expected = expectedSequence, single != UInt8(ascii: "4") {
                if sequence > expected {
                    anomalies.insert(.sequenceGap)
                } else if sequence < expected && !possDup {
                    anomalies.insert(.sequenceRegression)
                }
            }
            if !possDup || expectedSequence == nil {
                expectedSequence = max(expectedSequence ?? 0, sequence + 1)
            }
        }
        switch single {
        case UInt8(ascii: "4"):
            // SequenceReset (gap fill or reset): NewSeqNo is the next number.
            if let next = message.int(36) { expectedSequence = next }
        case UInt8(ascii: "5"):
            loggedOn = false
        default:
            break
        }
    }
}
