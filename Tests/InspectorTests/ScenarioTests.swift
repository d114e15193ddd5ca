import Foundation
import Inspector
import Testing

/// The detection scenarios of `Captures/scenarios/`, recorded from the real client libraries
/// (`Scripts/captures/record-scenarios.sh`): each raises exactly the alerts `scenarios.json`
/// lists, with the demo site registry, and the alert records equal their golden file byte for byte.
@Suite("Detection scenarios recorded from real clients")
struct ScenarioTests {
    struct Expected: Decodable {
        var signature_id: Int
        var rule: String
        var group: [String: String]
    }

    struct Scenario: Decodable, CustomTestStringConvertible {
        var capture: String
        var golden: String
        var categories: [String]
        var expected_alerts: [Expected]
        var testDescription: String { capture }
    }

    struct Manifest: Decodable {
        var site: String
        var scenarios: [Scenario]
    }

    static let folder = CommittedCaptures.path("scenarios")

    static let manifest: Manifest = {
        let url = URL(fileURLWithPath: folder + "/scenarios.json")
        guard let data = try? Data(contentsOf: url), let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else {
            return Manifest(site: "site.yaml", scenarios: [])
        }
        return manifest
    }()

    static func alerts(_ scenario: Scenario) throws -> AnalysisRun {
        let rules = try RuleConfiguration.load(builtIn: true, paths: [], sitePath: folder + "/" + manifest.site)
        return try EndToEnd.analyze([folder + "/" + scenario.capture]) { configuration in
            configuration.detector.decoders = configuration.builtInDecoders
            configuration.messageEvents = false
            configuration.flowEvents = false
            configuration.statsRecord = false
            configuration.rules = rules
        }
    }

    @Test("the manifest lists the nine scenarios, clean ones among them, from all three protocols")
    func manifestIsComplete() {
        #expect(Self.manifest.scenarios.count == 9)
        let protocols = Set(Self.manifest.scenarios.map { String($0.capture.prefix { $0 != "-" }) })
        #expect(protocols == ["fix", "ctp", "tdx"])
        #expect(Self.manifest.scenarios.filter(\.expected_alerts.isEmpty).count == 2)
        let categories = Set(Self.manifest.scenarios.flatMap(\.categories))
        #expect(categories == ["unlicensed-relay", "api-resale", "market-data-leakage"])
    }

    @Test("each scenario raises exactly its expected alerts, and its golden records", arguments: manifest.scenarios)
    func scenario(_ scenario: Scenario) throws {
        let run = try Self.alerts(scenario)
        let alerts = run.events("alert")
        let found = alerts.map { record in
            Expected(
                signature_id: record.int("alert", "signature_id") ?? 0, rule: record.string("alert", "rule") ?? "",
                group: (record.value(["evidence", "group"]) as? [String: String]) ?? [:]
            )
        }
        #expect(found.map(\.signature_id) == scenario.expected_alerts.map(\.signature_id))
        #expect(found.map(\.rule) == scenario.expected_alerts.map(\.rule))
        #expect(found.map(\.group) == scenario.expected_alerts.map(\.group))
        let categories = Set(alerts.compactMap { $0.string("alert", "category") })
        #expect(categories == Set(scenario.categories))
        #expect(run.records.count == alerts.count)

        let goldenPath = Self.folder + "/" + scenario.golden
        if ProcessInfo.processInfo.environment["TAPSENTRY_UPDATE_GOLDEN"] == "1" {
            try Data(run.eve).write(to: URL(fileURLWithPath: goldenPath))
        }
        let golden = try #require(try? Data(contentsOf: URL(fileURLWithPath: goldenPath)),
                                  "no golden file \(goldenPath): run the tests once with TAPSENTRY_UPDATE_GOLDEN=1 and review it")
        #expect(Array(golden) == run.eve, "alerts of \(scenario.capture) differ from \(goldenPath)")
    }

    @Test("the decoder recordings raise what their scenarios show, without a site file")
    func decoderRecordings() throws {
        let rules = try RuleConfiguration.load(builtIn: true, paths: [], sitePath: nil)
        let expected: [(String, [Int])] = [
            ("ctp/openctp-trader-direct.pcap", []),
            ("ctp/openctp-multi-user.pcap", [1001]),
            ("ctp/openctp-relay-many-to-many.pcap", []),
            ("ctp/openctp-relay-one-to-many.pcap", [2011]),
            ("ctp/openctp-md-subscribers.pcap", [3003, 3003]),
            ("fix/quickfix-fix44-trading.pcap", [1004]),
            ("fix/quickfix-fix44-marketdata.pcap", []),
        ]
        for (capture, ids) in expected {
            let run = try EndToEnd.analyze([CommittedCaptures.path(capture)]) { configuration in
                configuration.detector.decoders = configuration.builtInDecoders
                configuration.messageEvents = false
                configuration.rules = rules
            }
            #expect(run.events("alert").compactMap { $0.int("alert", "signature_id") } == ids, "\(capture)")
        }
    }
}
