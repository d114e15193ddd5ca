import Testing
@testable import RuleEngine

private func load(_ yaml: String) -> (rules: [Rule], errors: [RuleError]) {
    RuleLoader().load(yaml, file: "test.yaml")
}

private let minimal = """
    - id: 100
      name: test.minimal
      category: hygiene
      severity: low
      description: every logon
      match:
        kind: logon
      tests:
        - events: [{kind: logon}]
          expect: {alerts: 1}
    """

@Test func loadsAMinimalRule() throws {
    let (rules, errors) = load(minimal)
    #expect(errors.isEmpty)
    let rule = try #require(rules.first)
    #expect(rule.id == 100)
    #expect(rule.name == "test.minimal")
    #expect(rule.category == .hygiene)
    #expect(rule.match.kinds == ["logon"])
    #expect(rule.tests.count == 1)
    #expect(rule.line == 1)
}

@Test func unknownFieldIsAnErrorWithLineAndColumn() throws {
    let yaml = """
        - id: 1
          name: test.typo
          category: api-resale
          severity: high
          description: x
          match:
            kind: authenticate
            where:
              app_idd: {exists: true}
          tests: [{events: [], expect: {alerts: 0}}]
        """
    let (rules, errors) = load(yaml)
    #expect(rules.isEmpty)
    let error = try #require(errors.first)
    #expect(error.code == .unknownField)
    #expect(error.line == 9)
    #expect(error.column == 7)
    #expect(error.description.hasPrefix("test.yaml:9:7: error: unknown field 'app_idd', did you mean 'app_id'?"))
}

@Test func errorsNameWhatIsWrong() {
    let cases: [(String, RuleError.Code, Int)] = [
        ("- id: 1\n  name: a.b\n  category: nope\n  severity: low\n  description: x\n  match: {}\n", .badValue, 3),
        ("- id: 1\n  name: a.b\n  category: hygiene\n  severity: low\n  description: x\n  match: {}\n  colour: red\n", .unknownKey, 7),
        ("- id: 1\n  name: a.b\n  category: hygiene\n  severity: low\n  description: x\n  match: {}\n", .missingTests, 1),
        ("- id: 1\n  name: a.b\n  category: hygiene\n  severity: low\n  description: x\n  match: {kind: logn}\n  tests: []\n", .badValue, 6),
        ("- id: 1\n  name: a.b\n  category: hygiene\n  severity: low\n  description: x\n  match:\n    where: {src_ip: {cidr: 10.0.0.0/33}}\n  tests: []\n", .badValue, 7),
        ("- id: 1\n  name: a.b\n  category: hygiene\n  severity: low\n  description: x\n  match:\n    where: {user_id: {cidr: 10.0.0.0/8}}\n  tests: []\n", .typeMismatch, 7),
        ("- id: 1\n  name: a.b\n  category: hygiene\n  severity: low\n  description: x\n  match:\n    where: {app_id: {in_site: licenced_apps}}\n  tests: []\n", .unknownSiteList, 7),
        ("- id: 1\n  name: a.b\n  category: hygiene\n  severity: low\n  description: x\n  match:\n    where: {account: {not_in_site: fix_sessions.accounts}}\n  tests: []\n", .unknownSiteList, 7),
        ("- id: 1\n  name: a.b\n  category: hygiene\n  severity: low\n  description: x\n  match: {}\n  aggregate: {threshold: 2, window: 5 parsecs}\n  tests: []\n", .badValue, 7),
        ("- id: 1\n  name: a.b\n  category: hygiene\n  severity: low\n  description: x\n  match:\n    where: {text: {regex: '(unclosed'}}\n  tests: []\n", .badValue, 7),
        ("- id: 1\n  name: a.b\n  category: hygiene\n  severity: low\n  description: x\n  match: {kind: [logon\n", .syntax, 7),
        ("- id: 1\n  name: NotDotted\n  category: hygiene\n  severity: low\n  description: x\n  match: {}\n  tests: []\n", .badValue, 2),
        ("- id: 1\n  name: a.b\n  name: a.c\n", .duplicateKey, 3),
    ]
    for (yaml, code, line) in cases {
        let (_, errors) = load(yaml)
        #expect(errors.first?.code == code, "\(yaml)")
        #expect(errors.first?.line == line, "\(yaml): \(errors.first?.description ?? "no error")")
    }
}

@Test func acceptsEveryShapeOfFile() {
    let single = minimal.split(separator: "\n").map { String($0.dropFirst(2)) }.joined(separator: "\n")
    #expect(load(single).rules.count == 1)
    #expect(load("pack: p\ndescription: d\nrules:\n" + minimal.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")).rules.count == 1)
    #expect(load(minimal + "\n---\n" + minimal.replacing("100", with: "101")).rules.count == 2)
    #expect(load("").rules.isEmpty)
    #expect(load("").errors.isEmpty)
}

@Test func predicateShorthandsAndOperators() throws {
    let yaml = """
        - id: 7
          name: test.ops
          category: hygiene
          severity: low
          description: x
          match:
            kind: [order_new, order_cancel]
            protocol: ctp
            direction: to_server
            where:
              account: {ne_field: user_id, exists: true}
              side: [buy, sell]
              instrument: IF2501
              price: {gte: 10, lt: 20}
              src_ip: {cidr: [10.0.0.0/8], not_ip_class: [loopback]}
            any:
              - {exchange: CFFEX}
              - {exchange: {regex: '^SH'}}
            not: {invest_unit: {exists: true}}
          suppress: {by: [account], for: 10m}
          evidence: [instrument, src_ip]
          tests: [{events: [], expect: {alerts: 0}}]
        """
    let (rules, errors) = load(yaml)
    #expect(errors.isEmpty, "\(errors)")
    let rule = try #require(rules.first)
    #expect(rule.match.all.count == 8)
    #expect(rule.match.any.count == 2)
    #expect(rule.match.none.count == 1)
    #expect(rule.match.protocols == ["ctp"])
    #expect(rule.suppress?.duration == RuleDuration.seconds(600))
    #expect(rule.evidence.map(\.name) == ["instrument", "src_ip"])
}

@Test func durations() {
    #expect(RuleDuration(parsing: "500ms")?.nanoseconds == 500_000_000)
    #expect(RuleDuration(parsing: "1.5s")?.nanoseconds == 1_500_000_000)
    #expect(RuleDuration(parsing: "10m")?.nanoseconds == 600_000_000_000)
    #expect(RuleDuration(parsing: "1d")?.description == "1d")
    #expect(RuleDuration(parsing: "90")?.description == "90s")
    #expect(RuleDuration(parsing: "0s") == nil)
    #expect(RuleDuration(parsing: "-1s") == nil)
    #expect(RuleDuration(parsing: "1w") == nil)
}

@Test func networksAndClasses() throws {
    let network = try #require(IPNetwork(parsing: "10.8.3.4/16"))
    #expect(network.description == "10.8.0.0/16")
    #expect(network.contains(try #require(IPNetwork.parseAddress("10.8.200.1"))))
    #expect(!network.contains(try #require(IPNetwork.parseAddress("10.9.0.1"))))
    #expect(IPNetwork(parsing: "2001:db8::/32")?.contains(try #require(IPNetwork.parseAddress("2001:db8:1::5"))) == true)
    #expect(IPNetwork(parsing: "10.0.0.1/40") == nil)
    #expect(IPNetwork(parsing: "host") == nil)
    #expect(IPClass(try #require(IPNetwork.parseAddress("127.0.0.1"))) == .loopback)
    #expect(IPClass(try #require(IPNetwork.parseAddress("192.168.1.1"))) == .private)
    #expect(IPClass(try #require(IPNetwork.parseAddress("203.0.113.9"))) == .documentation)
    #expect(IPClass(try #require(IPNetwork.parseAddress("0.0.0.0"))) == .unspecified)
    #expect(IPClass(try #require(IPNetwork.parseAddress("8.8.8.8"))) == .public)
}
