import Foundation
import Inspector
import Testing

/// What `tapsentry rules list/check/test/fields/export` print.
@Suite("tapsentry rules")
struct RuleToolTests {
    static let rule = """
        - id: 5001
          name: local.logons
          category: hygiene
          severity: low
          description: every logon of user X
          match: {kind: logon, where: {user_id: X}}
          suppress: {by: [flow_id], for: 1h}
          tests:
            - events: [{kind: logon, fields: {user_id: X}}]
              expect: {alerts: 1}
        """

    @Test("check reports every problem of a folder with file, line and column, and id clashes with the built-ins")
    func check() throws {
        let scratch = try ScratchFolder()
        try scratch.write("a.yaml", Array(Self.rule.utf8))
        try scratch.write("b.yml", Array(Self.rule.replacing("5001", with: "1001").replacing("local.logons", with: "local.other").utf8))
        try scratch.write("c.yaml", Array("- id: 5002\n  name: local.bad\n  category: hygiene\n  severity: low\n  description: d\n  match: {where: {usr_id: X}}\n  tests: []\n".utf8))
        try scratch.write("notes.txt", Array("not a rule".utf8))
        let report = RuleTool.check(paths: [scratch.path], builtIn: true, sitePath: nil)
        #expect(!report.ok)
        #expect(report.output.contains("b.yml:1:3: error: rule id 1001 is already used by relay.ctp_session_many_investors"))
        #expect(report.output.contains("c.yaml:6:19: error: unknown field 'usr_id', did you mean 'user_id'?"))
        #expect(report.output.hasSuffix("2 errors"))
        let alone = RuleTool.check(paths: [scratch.file("a.yaml")], builtIn: false, sitePath: nil)
        #expect(alone.ok)
        #expect(alone.output == "1 rule OK")
    }

    @Test("check validates a site file too")
    func checkSite() throws {
        let scratch = try ScratchFolder()
        let site = try scratch.write("site.yaml", Array("relay_hosts: [10.0.0.300]\n".utf8))
        let report = RuleTool.check(paths: [], builtIn: true, sitePath: site)
        #expect(!report.ok)
        #expect(report.output.contains("site.yaml:1:15: error: '10.0.0.300' in relay_hosts is not an IP address or CIDR network"))
    }

    @Test("test runs the cases and ends with the counts")
    func test() throws {
        let scratch = try ScratchFolder()
        let good = try scratch.write("good.yaml", Array(Self.rule.utf8))
        let wrong = try scratch.write("wrong.yaml", Array(Self.rule.replacing("alerts: 1", with: "alerts: 2").replacing("5001", with: "5003").replacing("local.logons", with: "local.wrong").utf8))
        let report = RuleTool.test(paths: [good, wrong], builtIn: false)
        #expect(!report.ok)
        #expect(report.output.contains("FAIL \(wrong):9: rule 5003 local.wrong, test 'case at line 9': expected 2 alerts, got 1"))
        #expect(report.output.hasSuffix("1 passed, 1 failed"))
        let builtIn = RuleTool.test(paths: [], builtIn: true)
        #expect(builtIn.ok)
        #expect(builtIn.output.hasSuffix(" 0 failed"))
    }

    @Test("list says which rules run with the site, fields lists the vocabulary, export writes the packs")
    func listFieldsExport() throws {
        let rules = try RuleConfiguration.load(builtIn: true, paths: [], sitePath: nil)
        let list = RuleTool.list(rules, verbose: false, category: "market-data-leakage")
        #expect(list.contains("3001  high    market-data-leakage  md_leak.quotes_to_unauthorized_host         off (needs market_data.authorized_consumers)"))
        #expect(!list.contains("api-resale"))
        #expect(RuleTool.list(rules, verbose: true, category: nil).contains("counts distinct user_id >= 3 in 1d per app_id"))
        let fields = RuleTool.fields()
        #expect(fields.contains("app_id"))
        #expect(fields.contains("fix_sessions.accounts"))
        #expect(fields.contains("quote_fanout"))
        let scratch = try ScratchFolder()
        let written = try RuleTool.export(to: scratch.file("packs"))
        #expect(written.count == 4)
        let check = RuleTool.check(paths: [scratch.file("packs")], builtIn: false, sitePath: nil)
        #expect(check.ok, "\(check.output)")
    }
}
