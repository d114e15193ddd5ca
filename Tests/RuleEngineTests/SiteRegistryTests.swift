import Testing
@testable import RuleEngine

private let siteYAML = """
    home_networks: ["10.8.0.0/16"]
    licensed_apps:
      - {app_id: client_quant_1.0, type: direct}
      - {app_id: relay_vendor_2.0, type: relay_one_to_many, hosts: ["10.20.0.5"]}
    relay_hosts: ["10.20.0.5"]
    fix_sessions:
      - {sender: CLIENTA, target: BROKER, accounts: [ACCA01], on_behalf_of: []}
    market_data:
      authorized_consumers: ["10.30.0.0/16"]
      quote_servers: ["10.40.0.10"]
    """

@Test func readsTheIssuesExample() throws {
    let site = try SiteRegistry(yaml: siteYAML, file: "site.yaml")
    #expect(site.homeNetworks?.map(\.description) == ["10.8.0.0/16"])
    #expect(site.licensedApps?.count == 2)
    #expect(site.licensedApps?[1].type == .relayOneToMany)
    #expect(site.fixSessions?.first?.accounts == ["ACCA01"])
    #expect(site.quoteServers?.map(\.description) == ["10.40.0.10"])
    for key in SiteRegistry.keys { #expect(site.provides(key), "\(key)") }
    let index = SiteIndex(site)
    let relay = try #require(SiteList.named("licensed_apps.relay"))
    #expect(index.contains("relay_vendor_2.0", in: relay, key: []))
    #expect(!index.contains("client_quant_1.0", in: relay, key: []))
    let accounts = try #require(SiteList.named("fix_sessions.accounts"))
    #expect(index.contains("ACCA01", in: accounts, key: ["CLIENTA", "BROKER"]))
    #expect(!index.contains("ACCA01", in: accounts, key: ["CLIENTB", "BROKER"]))
    let hosts = try #require(SiteList.named("licensed_apps.hosts"))
    #expect(index.contains(try #require(IPNetwork.parseAddress("10.20.0.5")), in: hosts, key: ["relay_vendor_2.0"]))
}

@Test("keyed lists answer the same compared key by key (a few keys) or hashed (many)", arguments: [3, 40])
func keyedListsAtAnySize(sessions: Int) throws {
    var yaml = "fix_sessions:\n"
    for number in 0..<sessions {
        yaml += "  - {sender: S\(number), target: T\(number % 3), accounts: [A\(number), B\(number)]}\n"
    }
    yaml += "licensed_apps:\n"
    for number in 0..<sessions { yaml += "  - {app_id: app\(number), type: relay_one_to_many, hosts: [\"10.1.\(number).0/24\"]}\n" }
    let index = SiteIndex(try SiteRegistry(yaml: yaml, file: "site.yaml"))
    let accounts = try #require(SiteList.named("fix_sessions.accounts"))
    let targets = try #require(SiteList.named("fix_sessions.targets"))
    let hosts = try #require(SiteList.named("licensed_apps.hosts"))
    for number in 0..<sessions {
        #expect(index.contains("A\(number)", in: accounts, key: ["S\(number)", "T\(number % 3)"]))
        #expect(index.contains("B\(number)", in: accounts, key: ["S\(number)", "T\(number % 3)"]))
        #expect(!index.contains("A\(number)", in: accounts, key: ["S\(number)", "T\((number + 1) % 3)"]))
        #expect(!index.contains("A\(number)", in: accounts, key: ["S\(number + 1)", "T\(number % 3)"]))
        #expect(index.contains("T\(number % 3)", in: targets, key: ["S\(number)"]))
        #expect(!index.contains("T\((number + 1) % 3)", in: targets, key: ["S\(number)"]))
        #expect(index.contains(try #require(IPNetwork.parseAddress("10.1.\(number).9")), in: hosts, key: ["app\(number)"]))
        #expect(!index.contains(try #require(IPNetwork.parseAddress("10.1.\(number + 1).9")), in: hosts, key: ["app\(number)"]))
    }
    #expect(!index.contains("A0", in: accounts, key: ["", ""]))
    #expect(!index.contains(try #require(IPNetwork.parseAddress("10.1.0.9")), in: hosts, key: ["nobody"]))
}

@Test func absentIsNotEmpty() throws {
    let site = try SiteRegistry(yaml: "relay_hosts: []\n", file: "s.yaml")
    #expect(site.provides("relay_hosts"))
    #expect(!site.provides("licensed_apps"))
    #expect(!SiteRegistry().provides("home_networks"))
}

@Test func siteErrorsHaveLineAndColumn() {
    let cases: [(String, RuleError.Code, Int, Int)] = [
        ("home_networks: [10.8.0.0/99]\n", .badValue, 1, 17),
        ("licensed_apps:\n  - {app_id: x, type: relay}\n", .badValue, 2, 23),
        ("licensed_apps:\n  - {app_id: x}\n", .missingKey, 2, 5),
        ("relay_host: [1.2.3.4]\n", .unknownKey, 1, 1),
        ("market_data:\n  consumers: []\n", .unknownKey, 2, 3),
        ("fix_sessions:\n  - {sender: A, target: B, acounts: []}\n", .unknownKey, 2, 28),
        ("home_networks: [\n", .syntax, 2, 1),
    ]
    for (yaml, code, line, column) in cases {
        do {
            _ = try SiteRegistry(yaml: yaml, file: "site.yaml")
            Issue.record("no error for \(yaml)")
        } catch let error as RuleError {
            #expect(error.code == code, "\(yaml): \(error)")
            #expect(error.line == line && error.column == column, "\(yaml): \(error)")
        } catch {
            Issue.record("\(error)")
        }
    }
}
