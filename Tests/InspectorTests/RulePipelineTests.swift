import Detections
import Foundation
import Inspector
import RuleEngine
import Testing

/// The rule engine inside the analyzer: alerts as EVE records, their counts in the stats record,
/// the site registry, and the same bytes on every run.
@Suite("Rules through the whole analyzer")
struct RulePipelineTests {
    static let capture = CommittedCaptures.path("fix/quickfix-fix44-trading.pcap")

    static func run(site: String? = nil, rules: Bool = true, events: Bool = false) throws -> AnalysisRun {
        let configuration = rules ? try RuleConfiguration.load(builtIn: true, paths: [], sitePath: site) : nil
        return try EndToEnd.analyze([capture]) { settings in
            settings.detector.decoders = settings.builtInDecoders
            settings.messageEvents = events
            settings.rules = configuration
        }
    }

    @Test("built-in rules raise alerts without per-message output, and the stats record counts them")
    func alertsWithoutEvents() throws {
        let run = try Self.run()
        #expect(run.events("fix").isEmpty)
        let alerts = run.events("alert")
        #expect(alerts.map { $0.int("alert", "signature_id") } == [1004])  // two OnBehalfOf values stay under 1006's three
        let alert = try #require(alerts.first)
        #expect(alert.string("alert", "category") == "unlicensed-relay")
        #expect(alert.string("alert", "rule") == "relay.fix_session_many_accounts")
        #expect(alert.int("alert", "severity") == 1)
        #expect(alert.string("app_proto") == "fix")
        #expect(alert.string("direction") == "to_server")
        #expect(alert.value(["evidence", "group", "sender"]) as? String == "HUB01")
        #expect(alert.value(["evidence", "distinct", "values"]) as? [String] == ["ACC-1001", "ACC-2002", "ACC-3003"])
        #expect(alert.int("evidence", "count") == 3)
        #expect((alert.value(["evidence", "flow_ids"]) as? [Any])?.count == 1)
        #expect(alert.int("flow_id") == run.flows.first?.int("flow_id"))
        let stats = try #require(run.stats)
        #expect(stats.int("alerts", "total") == 1)
        #expect(stats.value(["alerts", "categories", "unlicensed-relay"]) as? Int == 1)
        #expect(stats.value(["alerts", "categories", "market-data-leakage"]) as? Int == 0)
        #expect(stats.value(["alerts", "rules", "relay.fix_session_many_accounts"]) as? Int == 1)
        #expect(stats.int("alerts", "rules_loaded") == stats.int("alerts", "rules_active").map { $0 + 6 })
    }

    @Test("no rules: no alerts and no alerts object")
    func noRules() throws {
        let run = try Self.run(rules: false)
        #expect(run.events("alert").isEmpty)
        #expect(run.stats?.value(["alerts"]) == nil)
    }

    @Test("alerts follow the message records that completed them")
    func withEvents() throws {
        let run = try Self.run(events: true)
        let types = run.records.map { $0.eventType ?? "" }
        let alert = try #require(types.firstIndex(of: "alert"))
        #expect(types[alert - 1] == "fix")
        #expect(run.records[alert - 1].int("flow_id") == run.records[alert].int("flow_id"))
    }

    @Test("same capture, same alerts, byte for byte")
    func deterministic() throws {
        let first = try Self.run(events: true)
        let second = try Self.run(events: true)
        #expect(first.eve == second.eve)
    }

    @Test("a site file registering the session turns the default rule into registry checks")
    func siteRegistry() throws {
        let scratch = try ScratchFolder()
        let site = try scratch.write("site.yaml", Array("""
            fix_sessions:
              - {sender: HUB01, target: BROKER, accounts: [ACC-1001, ACC-2002], on_behalf_of: [CLIENT-A]}
            """.utf8))
        let run = try Self.run(site: site)
        let alerts = run.events("alert")
        // ACC-3003 and ACC-4004 are not registered; CLIENT-B and DOWNSTREAM-X are not registered routing.
        #expect(alerts.filter { $0.int("alert", "signature_id") == 1003 }.compactMap { $0.value(["evidence", "group", "account"]) as? String } == ["ACC-3003", "ACC-4004"])
        #expect(alerts.filter { $0.int("alert", "signature_id") == 1005 }.count == 2)
        #expect(!alerts.contains { $0.int("alert", "signature_id") == 1004 || $0.int("alert", "signature_id") == 1006 })
    }

    @Test("a bad rule file stops the run with file, line and column")
    func badRules() throws {
        let scratch = try ScratchFolder()
        let file = try scratch.write("bad.yaml", Array("- id: 5000\n  name: x.y\n  category: hygiene\n  severity: low\n  description: d\n  match: {where: {acount: A}}\n  tests: []\n".utf8))
        #expect {
            _ = try RuleConfiguration.load(builtIn: true, paths: [file], sitePath: nil)
        } throws: { error in
            "\(error)".contains("bad.yaml:6:19: error: unknown field 'acount', did you mean 'account'?")
        }
    }

    @Test("the benchmark's TDX probe rule loads, passes its own tests, reads TDX quote replies and never alerts on them")
    func benchmarkProbe() throws {
        // Scripts/bench.sh times the decoders with this one rule to isolate what reading every TDX
        // quote reply costs; a probe that stopped loading would break the benchmark, not the tests.
        let probe = CommittedCaptures.folder.deletingLastPathComponent().appendingPathComponent("Scripts/bench/tdx-quote-probe.yaml").path
        let configuration = try RuleConfiguration.load(builtIn: false, paths: [probe], sitePath: nil)
        let rule = try #require(configuration.rules.first)
        #expect(configuration.rules.count == 1)
        #expect(rule.name == "bench.tdx_quote_replies_read")
        let failures = RuleTestRunner.run(rule, detectors: Detections.detectors).filter { !$0.passed }
        #expect(failures.isEmpty, "\(failures.map { $0.failure ?? "" })")
        func analyze(_ rules: RuleConfiguration) throws -> AnalysisRun {
            try EndToEnd.analyze([CommittedCaptures.path("tdx/pytdx-quotes-clients.pcap")]) { settings in
                settings.detector.decoders = settings.builtInDecoders
                settings.messageEvents = false
                settings.rules = rules
            }
        }
        let run = try analyze(configuration)
        let stats = try #require(run.stats)
        #expect(stats.int("alerts", "rules_active") == 1)
        #expect(stats.int("alerts", "total") == 0)
        #expect(run.events("alert").isEmpty)
        // The same rule with a threshold the capture reaches alerts on TDX quote replies: the
        // probe reads them (a probe matching nothing would time the decoders alone).
        let text = try String(contentsOfFile: probe, encoding: .utf8)
        #expect(text.contains("threshold: 1000000,"))
        let scratch = try ScratchFolder()
        let low = try scratch.write("low.yaml", Array(text.replacingOccurrences(of: "threshold: 1000000,", with: "threshold: 2,").utf8))
        let reached = try analyze(try RuleConfiguration.load(builtIn: false, paths: [low], sitePath: nil)).events("alert")
        #expect(!reached.isEmpty)
        #expect(reached.allSatisfy { $0.string("app_proto") == "tdx" && $0.string("direction") == "to_client" })
    }
}
