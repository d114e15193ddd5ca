#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Detections
import ProtocolKit
import RuleEngine

/// What `tapsentry rules ...` does, as text for the terminal.
package enum RuleTool {
    /// The result of a check or a test run: what to print and whether it went well.
    package struct Report: Sendable {
        /// Lines to print on standard output.
        package var output: String
        /// Whether there was no error and no failure.
        package var ok: Bool
    }

    /// `rules list`: one line per rule (id, severity, category, name, whether it runs with the
    /// site), or with `verbose` the title, description, thresholds and site needs too.
    package static func list(_ rules: RuleConfiguration, verbose: Bool, category: String?) -> String {
        var lines: [String] = []
        for (rule, activation) in rules.activations where category == nil || rule.category.rawValue == category {
            let state: String = switch activation {
            case .active: "on"
            case .weaker(let keys): "weaker (no \(keys.joined(separator: ", ")))"
            case .inactive(let keys): "off (needs \(keys.joined(separator: ", ")))"
            case .replaced(let keys): "off (replaced: site gives \(keys.joined(separator: ", ")))"
            }
            lines.append("\(rule.id)  \(rule.severity.rawValue.padding(6))  \(rule.category.rawValue.padding(19))  \(rule.name.padding(42))  \(state)")
            guard verbose else { continue }
            lines.append("      \(rule.signature)")
            lines.append(contentsOf: wrap(rule.description, width: 92).map { "      " + $0 })
            if let aggregate = rule.aggregate {
                var counting = aggregate.distinct.map { "distinct \($0.name)" } ?? "events"
                counting += " >= \(aggregate.threshold) in \(aggregate.window)"
                if let occurrences = aggregate.occurrences { counting += ", \(occurrences.threshold) times in \(occurrences.window)" }
                let group = aggregate.groupBy.map(\.name).joined(separator: ", ")
                lines.append("      counts \(counting)\(group.isEmpty ? "" : " per \(group)")")
            }
            if let detector = rule.detector {
                let parameters = detector.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\(describe($0.value))" }
                lines.append("      detector \(detector.name) \(parameters.joined(separator: " "))")
            }
            if let suppress = rule.suppress {
                lines.append("      suppress \(suppress.duration)\(suppress.by.isEmpty ? "" : " per \(suppress.by.map(\.name).joined(separator: ", "))")")
            }
            lines.append("      \(rule.file):\(rule.line), \(rule.tests.count) test\(rule.tests.count == 1 ? "" : "s")")
        }
        let running = rules.activations.filter { $0.activation.runs }.count
        lines.append("\(rules.rules.count) rules, \(running) running with \(rules.site.source ?? "no site file")")
        return lines.joined(separator: "\n")
    }

    /// `rules check`: loads the built-in packs (unless `builtIn` is false) and `paths`, and the
    /// site file; reports every problem with its file, line and column.
    package static func check(paths: [String], builtIn: Bool, sitePath: String?) -> Report {
        var set = builtIn ? Detections.builtInRules() : RuleSet()
        let before = set.rules.count
        for path in paths { set.add(path: path, loader: Detections.loader) }
        var lines = set.errors.map(\.description)
        if let sitePath {
            do {
                _ = try SiteRegistry(contentsOf: sitePath)
                lines.append("\(sitePath): site registry OK")
            } catch {
                lines.append("\(error)")
                return Report(output: lines.joined(separator: "\n"), ok: false)
            }
        }
        let checked = set.rules.count - before
        if set.errors.isEmpty {
            lines.append("\(checked) rule\(checked == 1 ? "" : "s") OK\(builtIn && !paths.isEmpty ? " (with the \(before) built-in rules: no id or name taken twice)" : "")")
        } else {
            lines.append("\(set.errors.count) error\(set.errors.count == 1 ? "" : "s")")
        }
        return Report(output: lines.joined(separator: "\n"), ok: set.errors.isEmpty)
    }

    /// `rules test`: runs the test cases of the rules in `paths` (and of the built-in rules when
    /// `builtIn`); a line per failure, then `N passed, M failed`.
    package static func test(paths: [String], builtIn: Bool) -> Report {
        var set = builtIn ? Detections.builtInRules() : RuleSet()
        for path in paths { set.add(path: path, loader: Detections.loader) }
        var lines = set.errors.map(\.description)
        var passed = 0
        var failed = 0
        for rule in set.rules {
            for outcome in RuleTestRunner.run(rule, detectors: Detections.detectors) {
                if outcome.passed {
                    passed += 1
                } else {
                    failed += 1
                    lines.append("FAIL \(outcome.file):\(outcome.line): rule \(outcome.ruleID) \(outcome.ruleName), test '\(outcome.test)': \(outcome.failure ?? "")")
                }
            }
        }
        lines.append("rules: \(set.rules.count), tests: \(passed + failed)")
        lines.append("\(passed) passed, \(failed) failed")
        return Report(output: lines.joined(separator: "\n"), ok: failed == 0 && set.errors.isEmpty)
    }

    /// `rules fields`: the names rules may use, with their types: kinds, protocols, fields, site lists.
    package static func fields() -> String {
        var lines = ["kinds: " + EventVocabulary.kinds.map(\.rawValue).joined(separator: ", ")]
        lines.append("protocols: " + EventVocabulary.protocols.joined(separator: ", "))
        lines.append("connection fields (from the flow):")
        for field in EventVocabulary.connectionFields {
            lines.append("  \(field.name.padding(26)) \(field.type.rawValue.padding(7)) \(field.summary)")
        }
        lines.append("event fields (from the decoders):")
        for field in EventVocabulary.eventFields {
            lines.append("  \(field.name.padding(26)) \(field.type.rawValue.padding(7)) \(field.summary)")
        }
        lines.append("site lists (in_site / not_in_site):")
        for list in SiteList.all {
            let key = list.keyArity == 0 ? "" : " (key: \(list.keyArity) field\(list.keyArity == 1 ? "" : "s"))"
            lines.append("  \(list.name.padding(34)) \(list.summary)\(key)")
        }
        lines.append("detectors:")
        for detector in Detections.detectors {
            lines.append("  \(detector.name): \(detector.summary)")
            for parameter in detector.parameters {
                let value = parameter.defaultValue.map { " (default \(describe($0)))" } ?? ""
                lines.append("    \(parameter.name) (\(parameter.kind.rawValue))\(value): \(parameter.summary)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `rules export DIR`: writes each built-in pack as `DIR/<pack>.yaml`; returns the paths.
    package static func export(to directory: String) throws -> [String] {
        mkdir(directory, 0o755)
        var written: [String] = []
        for pack in Detections.packs {
            let path = "\(directory)/\(pack.name).yaml"
            guard let file = fopen(path, "wb") else {
                throw RuleError(.unreadable, file: path, line: 0, column: 0, "cannot write: \(String(cString: strerror(errno)))")
            }
            let bytes = Array(pack.yaml.utf8)
            let count = fwrite(bytes, 1, bytes.count, file)
            fclose(file)
            guard count == bytes.count else {
                throw RuleError(.unreadable, file: path, line: 0, column: 0, "short write")
            }
            written.append(path)
        }
        return written
    }

    private static func describe(_ value: DetectorParameter) -> String {
        switch value {
        case .int(let number): String(number)
        case .number(let number): String(number)
        case .duration(let duration): duration.description
        case .string(let text): text
        }
    }

    private static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + word.count + 1 > width {
                lines.append(current)
                current = ""
            }
            current += current.isEmpty ? String(word) : " " + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}

extension String {
    /// The text padded with spaces to `width` characters.
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
