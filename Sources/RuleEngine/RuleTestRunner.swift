import ProtocolKit

/// Runs rules' own test cases (`tapsentry rules test`).
package enum RuleTestRunner {
    /// The outcome of one test case.
    package struct Outcome: Sendable {
        /// The rule's id.
        package var ruleID: Int
        /// The rule's name.
        package var ruleName: String
        /// The case's name.
        package var test: String
        /// Where the case is.
        package var file: String
        /// Its line.
        package var line: Int
        /// What went wrong (nil: passed).
        package var failure: String?

        /// Whether the case passed.
        package var passed: Bool { failure == nil }
    }

    /// Runs every case of `rule` on an engine holding only that rule.
    package static func run(_ rule: Rule, detectors: [DetectorDefinition]) -> [Outcome] {
        rule.tests.map { test in
            var outcome = Outcome(ruleID: rule.id, ruleName: rule.name, test: test.name, file: rule.file, line: test.line)
            outcome.failure = check(test, rule: rule, detectors: detectors)
            return outcome
        }
    }

    private static func check(_ test: RuleTest, rule: Rule, detectors: [DetectorDefinition]) -> String? {
        let events: [TradingEvent]
        do {
            events = try TestEventFactory.expand(test.events)
        } catch {
            return "bad test event: \(error)"
        }
        let engine = RuleEngine(rules: [rule], site: test.site ?? SiteRegistry(), detectors: detectors)
        let alerts = engine.run(events)
        if alerts.count != test.expectedAlerts {
            var message = "expected \(test.expectedAlerts) alert\(test.expectedAlerts == 1 ? "" : "s"), got \(alerts.count)"
            if let first = alerts.first { message += " (first: \(first.groupText.isEmpty ? "no group" : first.groupText), count \(first.evidence.count))" }
            if engine.isEmpty { message += "; the rule is not active with this test's site (\(rule.activation(with: test.site ?? SiteRegistry())))" }
            return message
        }
        guard let first = alerts.first else { return nil }
        if let group = test.expectedGroup {
            for (field, value) in group where !first.evidence.group.contains(where: { $0.0 == field && $0.1 == value }) {
                return "expected group \(field)=\(value), got \(first.groupText.isEmpty ? "no group" : first.groupText)"
            }
        }
        if let count = test.expectedCount, first.evidence.count != count {
            return "expected count \(count), got \(first.evidence.count)"
        }
        return nil
    }
}
