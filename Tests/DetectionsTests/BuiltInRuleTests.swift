import Testing
@testable import Detections
import CTPProtocol
import FIXProtocol
import TDXProtocol
import RuleEngine

@Test func builtInPacksLoadWithoutErrors() {
    let set = Detections.builtInRules()
    #expect(set.errors.isEmpty, "\(set.errors.map(\.description).joined(separator: "\n"))")
    #expect(!set.rules.isEmpty)
}

@Test func everyBuiltInRuleTestPasses() {
    let set = Detections.builtInRules()
    var failures: [String] = []
    for rule in set.rules {
        for outcome in RuleTestRunner.run(rule, detectors: Detections.detectors) where !outcome.passed {
            failures.append("\(rule.id) \(rule.name) [\(outcome.test)] line \(outcome.line): \(outcome.failure ?? "")")
        }
    }
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
}

@Test func everyFIXAnomalyHasAHygieneRule() {
    let names = Set(Detections.builtInRules().rules.filter { $0.category == .hygiene }.map(\.name))
    for anomaly in FIXAnomaly.allCases {
        #expect(names.contains("hygiene.fix.\(anomaly.rawValue)"), "no hygiene rule for FIX anomaly \(anomaly.rawValue)")
    }
}

@Test func idsSitInTheirCategoryRanges() {
    for rule in Detections.builtInRules().rules {
        let range: ClosedRange<Int> = switch rule.category {
        case .unlicensedRelay: 1000...1999
        case .apiResale: 2000...2999
        case .marketDataLeakage: 3000...3999
        case .hygiene: 9000...9999
        }
        #expect(range.contains(rule.id), "\(rule.id) \(rule.name)")
        #expect(!rule.description.isEmpty)
    }
}

@Test func everyCTPAnomalyHasAHygieneRule() {
    let names = Set(Detections.builtInRules().rules.filter { $0.category == .hygiene }.map(\.name))
    for anomaly in CTPAnomaly.allCases {
        #expect(names.contains("hygiene.ctp.\(anomaly.rawValue)"), "no hygiene rule for CTP anomaly \(anomaly.rawValue)")
    }
}

@Test func everyTDXAnomalyHasAHygieneRule() {
    let names = Set(Detections.builtInRules().rules.filter { $0.category == .hygiene }.map(\.name))
    for anomaly in TDXAnomaly.allCases {
        #expect(names.contains("hygiene.tdx.\(anomaly.rawValue)"), "no hygiene rule for TDX anomaly \(anomaly.rawValue)")
    }
}
