import RuleEngine

/// A built-in rule pack: YAML compiled into the binary, read by the same loader as rule files.
package struct RulePack: Sendable {
    /// The pack's name (`api-resale`); its rules show as `builtin/<name>.yaml`.
    package var name: String
    /// The YAML.
    package var yaml: String

    /// The file name the pack's rules and errors carry.
    package var fileName: String { "builtin/\(name).yaml" }
}

/// The built-in packs (one file per pack in `Packs/`).
package enum BuiltInPacks {}

/// The built-in detections: rule packs and the stateful detectors rules may name.
package enum Detections {
    /// Every built-in pack, in id order.
    package static var packs: [RulePack] {
        [BuiltInPacks.unlicensedRelay, BuiltInPacks.apiResale, BuiltInPacks.marketDataLeakage, BuiltInPacks.hygiene]
    }

    /// The stateful detectors.
    package static let detectors: [DetectorDefinition] = [QuoteFanoutDetector.definition]

    /// A loader that knows the detectors.
    package static var loader: RuleLoader { RuleLoader(detectors: detectors) }

    /// The built-in rules (with any problems: none, which the tests check).
    package static func builtInRules() -> RuleSet {
        RuleSet(sources: packs.map { RuleSet.Source(name: $0.fileName, text: $0.yaml) }, loader: loader)
    }
}
