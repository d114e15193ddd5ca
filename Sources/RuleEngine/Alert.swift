import FlowTracking
import PacketCapture
import ProtocolKit

/// What an alert reports as its evidence: the group it is about, the counts, the distinct values
/// seen, the time span and the flows involved.
package struct AlertEvidence: Sendable {
    /// The group key: (field, value) pairs.
    package var group: [(String, String)] = []
    /// Events (or distinct values, or occurrences) counted.
    package var count = 1
    /// What the count had to reach (nil for single-event rules).
    package var threshold: Int?
    /// The window the count ran over.
    package var window: RuleDuration?
    /// The distinct field and the values seen (first-seen order, capped), with their number.
    package var distinct: (field: String, values: [String], total: Int)?
    /// For occurrence rules: the inner count and window one occurrence needed.
    package var occurrence: (threshold: Int, window: RuleDuration)?
    /// Packet time of the first and last events counted.
    package var firstTime: Timestamp
    /// Packet time of the event that completed the evidence.
    package var lastTime: Timestamp
    /// Flow ids involved (first-seen order, capped) and their number.
    package var flows: [UInt64] = []
    /// How many flows were involved.
    package var flowCount = 0
    /// Values of the rule's evidence fields (first-seen order, capped), with whether more were seen.
    package var fields: [(name: String, values: [String], more: Bool)] = []
    /// Extra facts a stateful detector reports.
    package var notes: [(String, FieldValue)] = []

    /// Evidence spanning `firstTime` to `lastTime`.
    package init(firstTime: Timestamp, lastTime: Timestamp) {
        self.firstTime = firstTime
        self.lastTime = lastTime
    }
}

/// A rule's verdict on traffic: the rule, the event that completed the evidence, and the evidence.
package struct Alert: Sendable {
    /// The rule's id.
    package var ruleID: Int
    /// The rule's dotted name.
    package var ruleName: String
    /// The alert message.
    package var signature: String
    /// The abuse family.
    package var category: RuleCategory
    /// How urgent.
    package var severity: RuleSeverity
    /// The event that completed the evidence (its time, flow, direction and protocol make the
    /// alert's envelope).
    package var time: Timestamp
    /// Its flow.
    package var flow: FlowInfo
    /// Its direction.
    package var direction: Direction
    /// Its protocol.
    package var protocolName: String
    /// What was seen.
    package var evidence: AlertEvidence

    /// The group as one line (`app_id=client_x`), for summaries.
    package var groupText: String {
        evidence.group.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }
}
