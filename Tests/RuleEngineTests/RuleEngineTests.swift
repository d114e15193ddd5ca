import FlowTracking
import ProtocolKit
import Testing
@testable import RuleEngine

/// One rule read from `yaml` (its `tests` are not needed here: an empty case is appended).
private func rule(_ yaml: String) throws -> Rule {
    let text = yaml + "\n  tests: [{events: [], expect: {alerts: 0}}]\n"
    let (rules, errors) = RuleLoader().load(text, file: "t.yaml")
    if let error = errors.first { throw error }
    return try #require(rules.first)
}

/// Synthetic events from a YAML list in the rule-test format.
private func events(_ yaml: String) throws -> [TradingEvent] {
    let text = """
        - id: 999
          name: t.events
          category: hygiene
          severity: low
          description: x
          match: {}
          tests:
            - events:
        \(yaml.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n"))
              expect: {alerts: 0}
        """
    let (rules, errors) = RuleLoader().load(text, file: "e.yaml")
    if let error = errors.first { throw error }
    return try TestEventFactory.expand(try #require(rules.first?.tests.first?.events))
}

private func run(_ rule: Rule, _ events: [TradingEvent], site: SiteRegistry = SiteRegistry()) -> [Alert] {
    RuleEngine(rules: [rule], site: site).run(events)
}

private let header = """
    - id: 1
      name: t.rule
      category: api-resale
      severity: high
      description: x
    """

@Test func distinctCountOverASlidingWindow() throws {
    let r = try rule(header + """

          match: {kind: authenticate, protocol: ctp}
          aggregate: {group_by: [app_id], distinct: user_id, threshold: 3, window: 1h}
          evidence: [src_ip]
        """)
    // u1, u2 at 0 and 10 min, u1 again, then u3 at 70 min: u1's last sighting (20 min) is inside
    // the hour, u2's (10 min) is not.
    let spread = try events("""
        - {at: 0, kind: authenticate, protocol: ctp, fields: {app_id: a, user_id: u1}}
        - {at: 600, kind: authenticate, protocol: ctp, fields: {app_id: a, user_id: u2}}
        - {at: 1200, kind: authenticate, protocol: ctp, fields: {app_id: a, user_id: u1}}
        - {at: 4200, kind: authenticate, protocol: ctp, fields: {app_id: a, user_id: u3}}
        - {at: 4300, kind: authenticate, protocol: ctp, client: "198.51.100.99:1", fields: {app_id: a, user_id: u4}}
        """)
    let alerts = run(r, spread)
    #expect(alerts.count == 1)
    let alert = try #require(alerts.first)
    #expect(alert.evidence.group.map { "\($0.0)=\($0.1)" } == ["app_id=a"])
    #expect(alert.evidence.count == 3)
    #expect(alert.evidence.distinct?.values == ["u1", "u3", "u4"])
    #expect(alert.evidence.fields.first?.values == ["198.51.100.10", "198.51.100.99"])
    #expect(alert.evidence.flowCount == 2)
    #expect(alert.time == TestEventFactory.epoch.adding(nanoseconds: 4300 * 1_000_000_000))
    // The first sighting of a value still in the window (u1 at 0, seen again at 20 min).
    #expect(alert.evidence.firstTime == TestEventFactory.epoch)
}

@Test func countWindowIsStrict() throws {
    let r = try rule(header + """

          match: {kind: order_new}
          aggregate: {group_by: [account], count: true, threshold: 5, window: 1s}
        """)
    // Five orders 0.25 s apart span exactly 1 s: not within one second. Five 0.2 s apart do.
    #expect(run(r, try events("- {at: 0, kind: order_new, repeat: 5, every: 250ms, fields: {account: A}}")).isEmpty)
    let alerts = run(r, try events("- {at: 0, kind: order_new, repeat: 5, every: 200ms, fields: {account: A}}"))
    #expect(alerts.count == 1)
    #expect(alerts.first?.evidence.count == 5)
    // Events lacking a group field are not counted.
    #expect(run(r, try events("- {at: 0, kind: order_new, repeat: 9, every: 10ms}")).isEmpty)
}

@Test func occurrencesCountBurstSeconds() throws {
    let r = try rule(header + """

          match: {kind: [order_new, order_cancel]}
          aggregate:
            group_by: [account]
            count: true
            threshold: 10
            window: 1s
            occurrences: {threshold: 3, window: 1d}
        """)
    let three = try events("""
        - {at: 0, kind: order_new, repeat: 10, every: 50ms, fields: {account: A}}
        - {at: 100, kind: order_cancel, repeat: 10, every: 50ms, fields: {account: A}}
        - {at: 200, kind: order_new, repeat: 10, every: 50ms, fields: {account: A}}
        """)
    let alerts = run(r, three)
    #expect(alerts.count == 1)
    #expect(alerts.first?.evidence.count == 3)
    #expect(alerts.first?.evidence.occurrence?.threshold == 10)
    let two = try events("""
        - {at: 0, kind: order_new, repeat: 10, every: 50ms, fields: {account: A}}
        - {at: 100, kind: order_new, repeat: 9, every: 50ms, fields: {account: A}}
        - {at: 200, kind: order_new, repeat: 10, every: 50ms, fields: {account: A}}
        """)
    #expect(run(r, two).isEmpty)
}

@Test func suppressionHoldsRepeatsBack() throws {
    let r = try rule(header + """

          match: {kind: logon}
          suppress: {by: [user_id], for: 10m}
        """)
    let stream = try events("""
        - {at: 0, kind: logon, fields: {user_id: u1}}
        - {at: 60, kind: logon, fields: {user_id: u1}}
        - {at: 61, kind: logon, fields: {user_id: u2}}
        - {at: 700, kind: logon, fields: {user_id: u1}}
        """)
    let engine = RuleEngine(rules: [r], site: SiteRegistry())
    let alerts = engine.run(stream)
    #expect(alerts.map(\.groupText) == ["user_id=u1", "user_id=u2", "user_id=u1"])
    #expect(engine.statistics.suppressed == 1)
    #expect(engine.statistics.alertsByRule.first?.count == 3)
}

@Test func absenceOfAnEarlierEvent() throws {
    let r = try rule(header + """

          match:
            kind: order_new
            where: {account: {ne_field: user_id}}
          unless:
            kind: relay_client_info
            same: {account: user_id, flow_id: flow_id}
          suppress: {by: [flow_id, account], for: 1d}
        """)
    let stream = try events("""
        - {at: 0, kind: relay_client_info, fields: {user_id: inv1}}
        - {at: 1, kind: order_new, fields: {user_id: op, account: inv1}}
        - {at: 2, kind: order_new, fields: {user_id: op, account: inv2}}
        - {at: 3, kind: order_new, fields: {user_id: op, account: op}}
        - {at: 4, kind: order_new, client: "198.51.100.11:1", fields: {user_id: op, account: inv1}}
        """)
    let alerts = run(r, stream)
    #expect(alerts.map(\.groupText).count == 2)
    #expect(alerts.first?.groupText.hasSuffix("account=inv2") == true)
}

@Test func presenceOfAnEarlierEventWithin() throws {
    let r = try rule(header + """

          match: {kind: order_new}
          after: {kind: logon_result, where: {result_code: 0}, same: [flow_id], within: 1m}
        """)
    let stream = try events("""
        - {at: 0, kind: order_new}
        - {at: 1, kind: logon_result, direction: to_client, fields: {result_code: "0"}}
        - {at: 2, kind: order_new}
        - {at: 100, kind: order_new}
        """)
    #expect(run(r, stream).map(\.time) == [TestEventFactory.epoch.adding(nanoseconds: 2_000_000_000)])
}

/// A site with one FIX session (two accounts) and one authorised market-data network.
private func sessionsSite() throws -> SiteRegistry {
    try SiteRegistry(yaml: """
        fix_sessions: [{sender: CLIENTA, target: BROKER, accounts: [A1, A2]}]
        market_data: {authorized_consumers: [10.30.0.0/16]}
        """, file: "s")
}

/// Orders on a listed session with an account the session does not list (rule 1).
private func unlistedAccounts() throws -> Rule {
    try rule(header + """

          match:
            kind: order_new
            where:
              target: {in_site: fix_sessions.targets, key: sender}
              account: {not_in_site: fix_sessions.accounts, key: [sender, target]}
        """)
}

@Test func siteListsAndKeys() throws {
    let site = try sessionsSite()
    let accounts = try unlistedAccounts()
    let orders = try events("""
        - {kind: order_new, fields: {sender: CLIENTA, target: BROKER, account: A1}}
        - {kind: order_new, fields: {sender: CLIENTA, target: BROKER, account: A9}}
        - {kind: order_new, fields: {sender: CLIENTB, target: BROKER, account: A9}}
        - {kind: order_new, fields: {sender: CLIENTA, target: BROKER}}
        """)
    #expect(run(accounts, orders, site: site).count == 1)
    let quotes = try rule(header + """

          match:
            kind: md_quote
            where: {dest_ip: {not_in_site: market_data.authorized_consumers}}
        """)
    let stream = try events("""
        - {kind: md_quote, direction: to_client, client: "10.30.1.1:5000"}
        - {kind: md_quote, direction: to_client, client: "10.31.1.1:5000"}
        """)
    #expect(run(quotes, stream, site: site).count == 1)
    // The same predicate with the list absent: nothing is in it.
    #expect(run(quotes, stream).count == 2)
    #expect(quotes.activation(with: SiteRegistry()) == .weaker(missingSite: ["market_data.authorized_consumers"]))
    #expect(quotes.activation(with: site) == .active)
}

@Test("a worker's matching copy finds what its engine would, from a site index of its own")
func matchingCopyMatchesLikeItsEngine() throws {
    let site = try sessionsSite()
    let accounts = try unlistedAccounts()
    var quotes = try rule(header + """

          match:
            kind: md_quote
            where: {dest_ip: {not_in_site: market_data.authorized_consumers}}
          aggregate: {group_by: [dest_ip], threshold: 2, window: 1m}
        """)
    quotes.id = 2
    let stream = try events("""
        - {at: 0, kind: order_new, protocol: fix, fields: {sender: CLIENTA, target: BROKER, account: A1}}
        - {at: 1, kind: order_new, protocol: fix, fields: {sender: CLIENTA, target: BROKER, account: A9}}
        - {at: 2, kind: md_quote, protocol: ctp, direction: to_client, client: "10.31.1.1:5000"}
        - {at: 3, kind: order_new, protocol: fix, fields: {sender: CLIENTB, target: BROKER, account: A9}}
        - {at: 4, kind: md_quote, protocol: ctp, direction: to_client, client: "10.30.1.1:5000"}
        - {at: 5, kind: md_quote, protocol: ctp, direction: to_client, client: "10.31.1.1:5000"}
        """)
    let engine = RuleEngine(rules: [accounts, quotes], site: site)
    let copy = engine.matchingCopy()
    #expect(copy !== engine && copy.site !== engine.site)
    #expect(copy.rules.map(\.id) == [1, 2])
    var split: [Alert] = []
    for event in stream { engine.process(event, matched: try #require(copy.match(event)), into: &split) }
    let whole = RuleEngine(rules: [accounts, quotes], site: site).run(stream)
    #expect(split.map(\.ruleID) == [1, 2])
    #expect(split.map(\.ruleID) == whole.map(\.ruleID))
    #expect(split.map(\.time) == whole.map(\.time))
}

@Test func activationFollowsTheSite() throws {
    let needs = try rule(header + "\n  requires_site: [licensed_apps]\n  match: {kind: authenticate}")
    let fallback = try rule(header + "\n  only_without_site: [fix_sessions]\n  match: {kind: order_new}")
    let site = try SiteRegistry(yaml: "licensed_apps: []\nfix_sessions: []\n", file: "s")
    #expect(needs.activation(with: SiteRegistry()) == .inactive(missingSite: ["licensed_apps"]))
    #expect(needs.activation(with: site) == .active)
    #expect(fallback.activation(with: SiteRegistry()) == .weaker(missingSite: ["fix_sessions"]))
    #expect(fallback.activation(with: site) == .replaced(bySite: ["fix_sessions"]))
    #expect(RuleEngine(rules: [needs, fallback], site: SiteRegistry()).rules.map(\.id) == [1])
}

@Test func listFieldsMatchAnyElementAndAddressText() throws {
    let r = try rule(header + """

          match:
            where:
              anomalies: bad_checksum
              reported_ip: {ip_class: [loopback, private]}
        """)
    let stream = try events("""
        - {kind: message, fields: {anomalies: [junk_skipped, bad_checksum], reported_ip: 127.0.0.1}}
        - {kind: message, fields: {anomalies: [junk_skipped], reported_ip: 127.0.0.1}}
        - {kind: message, fields: {anomalies: [bad_checksum], reported_ip: 203.0.113.5}}
        - {kind: message, fields: {anomalies: [bad_checksum], reported_ip: not-an-address}}
        """)
    #expect(run(r, stream).count == 1)
}

@Test func sameEventsSameAlerts() throws {
    let r = try rule(header + """

          match: {kind: logon}
          aggregate: {group_by: [src_net24], distinct: user_id, threshold: 2, window: 1m}
        """)
    let stream = try events("- {kind: logon, repeat: 250, every: 100ms, client: \"198.51.{n}.7:4000\", fields: {user_id: \"u{n}\"}}")
    var limits = RuleEngine.Limits()
    limits.groupsPerRule = 50
    let first = RuleEngine(rules: [r], site: SiteRegistry(), limits: limits)
    let second = RuleEngine(rules: [r], site: SiteRegistry(), limits: limits)
    #expect(first.run(stream).map(\.groupText) == second.run(stream).map(\.groupText))
    #expect(first.statistics.groupsEvicted > 0)
    #expect(first.statistics.groupsEvicted == second.statistics.groupsEvicted)
}

@Test func ruleTestsRun() throws {
    let (rules, errors) = RuleLoader().load("""
        - id: 5
          name: t.tests
          category: api-resale
          severity: high
          description: x
          match: {kind: logon}
          aggregate: {group_by: [user_id], distinct: src_net24, threshold: 2, window: 1h}
          tests:
            - name: two networks
              events:
                - {kind: logon, repeat: 2, client: "198.51.{n}.1:1", fields: {user_id: U}}
              expect: {alerts: 1, group: {user_id: U}, count: 2}
            - name: wrong on purpose
              events:
                - {kind: logon, fields: {user_id: U}}
              expect: {alerts: 1}
        """, file: "t.yaml")
    #expect(errors.isEmpty)
    let outcomes = RuleTestRunner.run(try #require(rules.first), detectors: [])
    #expect(outcomes.map(\.passed) == [true, false])
    #expect(outcomes.last?.failure == "expected 1 alert, got 0")
}

@Test("events that carry their set of present fields match as events that do not")
func presenceSetAgreesWithFieldList() throws {
    let r = try rule(header + """

          match:
            kind: order_new
            where: {account: {exists: true}, client_id: {exists: false}, instrument: {ne: halted}}
          aggregate: {group_by: [account], threshold: 2, window: 1m}
        """)
    let plain = try events("""
        - {at: 0, kind: order_new, protocol: fix, fields: {account: a1, instrument: x}}
        - {at: 1, kind: order_new, protocol: fix, fields: {account: a1, client_id: c, instrument: x}}
        - {at: 2, kind: order_new, protocol: fix, fields: {instrument: x}}
        - {at: 3, kind: order_new, protocol: fix, fields: {account: a1}}
        - {at: 4, kind: order_new, protocol: fix, fields: {account: a2, instrument: halted}}
        - {at: 5, kind: order_new, protocol: fix, fields: {account: a1, instrument: y}}
        """)
    // The same events as a decoder builds them: with `present` saying which vocabulary fields
    // they carry.
    let built = plain.map { event in
        var fields = EventFieldBuilder(plan: .everything)
        for (name, value) in event.fields { fields.add(EventField(name), value) }
        return TradingEvent(
            time: event.time, flow: event.flow, direction: event.direction, protocolName: event.protocolName,
            kind: event.kind, built: fields)
    }
    #expect(built.allSatisfy { $0.present != nil } && plain.allSatisfy { $0.present == nil })
    // a1 at 0 and 5 (its order at 1 has a client id, the one at 3 no instrument to compare).
    for stream in [plain, built] {
        let alerts = run(r, stream)
        #expect(alerts.map(\.groupText) == ["account=a1"])
        #expect(alerts.first?.time == stream[5].time)
    }
}

@Test func rulesReadingTheSameEventsShareTheirGroupsAndAlertAsAlone() throws {
    func counting(_ id: Int, _ aggregate: String, evidence: String) throws -> Rule {
        try rule("""
            - id: \(id)
              name: t.rule\(id)
              category: api-resale
              severity: high
              description: x
              match: {kind: [order_new, order_cancel], direction: to_server, where: {account: {exists: true}}}
              aggregate: \(aggregate)
              evidence: \(evidence)
            """)
    }
    let burst = try counting(1, "{group_by: [account], count: true, threshold: 3, window: 1s}", evidence: "[client_ip, instrument]")
    let daily = try counting(2, "{group_by: [account], count: true, threshold: 5, window: 1h}", evidence: "[client_ip]")
    let occasions = try counting(
        3, "{group_by: [account], count: true, threshold: 2, window: 1s, occurrences: {threshold: 2, window: 1d}}", evidence: "[client_ip]")
    // Not the same events (no direction, no cancels): a table of its own.
    let other = try rule("""
        - id: 4
          name: t.rule4
          category: api-resale
          severity: high
          description: x
          match: {kind: order_new, where: {account: {exists: true}}}
          aggregate: {group_by: [account], count: true, threshold: 2, window: 1s}
        """)
    let stream = try events("""
        - {at: 0, kind: order_new, repeat: 5, every: 100ms, fields: {account: A1, instrument: "i{n}"}}
        - {at: 0.05, kind: order_cancel, repeat: 2, every: 100ms, client: "10.1.1.2:5000", fields: {account: A2, instrument: x}}
        - {at: 90, kind: order_new, repeat: 4, every: 10ms, fields: {account: A1, instrument: y}}
        - {at: 200, kind: order_new, fields: {account: A2}}
        """)
    let together = RuleEngine(rules: [burst, daily, occasions, other], site: SiteRegistry())
    // The first three read the same events and group them by account: one table.
    #expect(together.groupTables == 2)
    let shared = together.run(stream)
    var alone: [Alert] = []
    for rule in [burst, daily, occasions, other] { alone += RuleEngine(rules: [rule], site: SiteRegistry()).run(stream) }
    func summary(_ alerts: [Alert]) -> [String] {
        alerts.map { alert in
            let fields = alert.evidence.fields.map { "\($0.0)=\($0.1)" }.joined(separator: ";")
            return "\(alert.ruleID) \(alert.time.nanoseconds) \(alert.groupText) \(alert.evidence.count) "
                + "\(alert.evidence.firstTime.nanoseconds) \(alert.evidence.flows) \(fields)"
        }.sorted()
    }
    #expect(shared.count == 6)
    #expect(summary(shared) == summary(alone))
}
