import PacketCapture
import ProtocolKit

/// A stateful detector: logic that needs more than a windowed count (for example quote fan-out,
/// which correlates flows). A rule names it under `detector:`; the rule's `match` filters the
/// events it sees, and the engine applies the rule's suppression and writes the alerts.
package protocol RuleDetector: AnyObject {
    /// Looks at one event that passed the rule's match; returns the evidence of each alert due.
    func observe(_ event: TradingEvent) -> [AlertEvidence]
}

/// A kind of stateful detector the loader knows, with its parameters.
package struct DetectorDefinition: Sendable {
    /// The name rules use (`detector: {name: quote_fanout}`).
    package var name: String
    /// What it does.
    package var summary: String
    /// Its parameters.
    package var parameters: [Parameter]
    /// The event fields it reads (nil: any field), so that decoders build them for the events
    /// its rules match (connection fields always exist).
    package var reads: [String]?
    /// Makes one detector for a rule.
    package var make: @Sendable (_ parameters: [String: DetectorParameter], _ site: SiteIndex) -> any RuleDetector

    /// A parameter of a detector.
    package struct Parameter: Sendable {
        /// The key.
        package var name: String
        /// Its type.
        package var kind: Kind
        /// The value when the rule does not give it (nil: required).
        package var defaultValue: DetectorParameter?
        /// What it sets.
        package var summary: String

        /// The types parameters have.
        package enum Kind: String, Sendable {
            case int, number, duration, string
        }

        /// A parameter with every part given.
        package init(_ name: String, _ kind: Kind, default defaultValue: DetectorParameter?, _ summary: String) {
            self.name = name
            self.kind = kind
            self.defaultValue = defaultValue
            self.summary = summary
        }
    }

    /// A definition with every part given.
    package init(
        name: String, summary: String, parameters: [Parameter], reads: [String]? = nil,
        make: @escaping @Sendable ([String: DetectorParameter], SiteIndex) -> any RuleDetector
    ) {
        self.name = name
        self.summary = summary
        self.parameters = parameters
        self.reads = reads
        self.make = make
    }
}

extension [String: DetectorParameter] {
    /// The integer parameter `name` (0 when missing: the loader fills defaults).
    package func int(_ name: String) -> Int {
        if case .int(let value)? = self[name] { return value }
        return 0
    }

    /// The duration parameter `name`.
    package func duration(_ name: String) -> RuleDuration {
        if case .duration(let value)? = self[name] { return value }
        return RuleDuration(nanoseconds: 0)
    }

    /// The number parameter `name`.
    package func number(_ name: String) -> Double {
        switch self[name] {
        case .number(let value)?: value
        case .int(let value)?: Double(value)
        default: 0
        }
    }
}
