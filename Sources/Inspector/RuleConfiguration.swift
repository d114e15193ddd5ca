import Detections
import RuleEngine

/// The rules a run uses: the rules, the site registry and the stateful detectors.
package struct RuleConfiguration: Sendable {
    /// Every rule loaded (active or not: the summary says which run).
    package var rules: [Rule]
    /// The site registry (empty for none: the defaults).
    package var site: SiteRegistry
    /// The stateful detectors rules may name.
    package var detectors: [DetectorDefinition]

    /// Rules with every part given.
    package init(rules: [Rule], site: SiteRegistry, detectors: [DetectorDefinition] = Detections.detectors) {
        self.rules = rules
        self.site = site
        self.detectors = detectors
    }

    /// The built-in packs (unless `builtIn` is false), then the rule files and folders of
    /// `paths`, with the site file at `sitePath`; throws `RuleErrors` listing every problem.
    package static func load(builtIn: Bool, paths: [String], sitePath: String?) throws -> RuleConfiguration {
        var set = builtIn ? Detections.builtInRules() : RuleSet()
        for path in paths { set.add(path: path, loader: Detections.loader) }
        var site = SiteRegistry()
        if let sitePath {
            do {
                site = try SiteRegistry(contentsOf: sitePath)
            } catch let error as RuleError {
                set.errors.append(error)
            }
        }
        if !set.errors.isEmpty { throw RuleErrors(set.errors) }
        return RuleConfiguration(rules: set.rules, site: site)
    }

    /// The rules that run with this site, and how each of the others is affected.
    package var activations: [(rule: Rule, activation: RuleActivation)] {
        rules.sorted { $0.id < $1.id }.map { ($0, $0.activation(with: site)) }
    }
}
