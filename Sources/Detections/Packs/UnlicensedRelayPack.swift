extension BuiltInPacks {
    /// Relays and account-splitting back-ends trading for many accounts without a relay licence
    /// (detections notes R07, R08, R09, R11; FIX routing).
    static let unlicensedRelay = RulePack(name: "unlicensed-relay", yaml: #"""
        pack: unlicensed-relay
        description: sessions and hosts trading for many accounts without a registered relay licence
        rules:
          - id: 1001
            name: relay.ctp_session_many_investors
            title: "Unlicensed relay: one CTP session orders for several investors"
            category: unlicensed-relay
            severity: high
            description: >
              One CTP connection places orders for two or more InvestorIDs that differ from its login
              UserID, and the connection did not authenticate with a one-to-many relay AppID (neither
              the front's AppType 3 nor an AppID registered as relay_one_to_many). The shape of an
              account-splitting back-end or an undeclared one-to-many relay (CTP relay modes; R07).
              The threshold of 2 investors per session is the notes' (eng).
            references: ["CTP SubmitUserSystemInfo (one-to-many relay)", "CSRC Announcement [2018] No. 27"]
            false_positives: [broker operator desks, registered asset-manager operator accounts (register the AppID as relay_one_to_many)]
            match:
              kind: [order_new, order_cancel]
              protocol: ctp
              direction: to_server
              where:
                account: {ne_field: user_id}
            unless:
              - kind: authenticate_result
                where: {app_type: relay_one_to_many}
                same: [flow_id]
              - kind: authenticate
                where: {app_id: {in_site: licensed_apps.relay_one_to_many}}
                same: [flow_id]
            aggregate: {group_by: [flow_id], distinct: account, threshold: 2, window: 1d}
            evidence: [user_id, client_ip]
            tests:
              - name: an operator ordering for three investors
                events:
                  - {kind: order_new, repeat: 3, fields: {user_id: op2003, account: "inv3000{n}"}}
                expect: {alerts: 1, count: 2}
              - name: retail sessions trading their own account
                events:
                  - {kind: order_new, repeat: 3, fields: {user_id: u1, account: u1}}
                expect: {alerts: 0}
              - name: the front granted one-to-many
                events:
                  - {kind: authenticate_result, direction: to_client, fields: {app_type: relay_one_to_many}}
                  - {kind: order_new, repeat: 3, fields: {user_id: op, account: "inv{n}"}}
                expect: {alerts: 0}
              - name: an AppID registered as one-to-many
                site: {licensed_apps: [{app_id: relay_x, type: relay_one_to_many}]}
                events:
                  - {kind: authenticate, fields: {app_id: relay_x, user_id: op}}
                  - {kind: order_new, repeat: 3, fields: {user_id: op, account: "inv{n}"}}
                expect: {alerts: 0}
              - name: a direct AppID does not licence it
                site: {licensed_apps: [{app_id: desk, type: direct}]}
                events:
                  - {kind: authenticate, fields: {app_id: desk, user_id: op}}
                  - {kind: order_new, repeat: 2, fields: {user_id: op, account: "inv{n}"}}
                expect: {alerts: 1}

          - id: 1002
            name: relay.ctp_1n_unreported_investor
            title: "Relay reporting: order for an investor whose terminal info was not submitted"
            category: unlicensed-relay
            severity: medium
            description: >
              A one-to-many relay session (front AppType 3) orders for an investor with no earlier
              SubmitUserSystemInfo for that investor on the same connection: the relay trades without
              reporting the end client's terminal information (R07, missing reporting).
            references: [CTP SubmitUserSystemInfo, CFMMC terminal information specification (2018)]
            false_positives: [reports sent before the capture started (mid-session pickup)]
            match:
              kind: order_new
              protocol: ctp
              direction: to_server
              where:
                account: {ne_field: user_id}
            after:
              kind: authenticate_result
              where: {app_type: relay_one_to_many}
              same: [flow_id]
            unless:
              kind: relay_client_info
              same: {account: user_id, flow_id: flow_id}
            suppress: {by: [flow_id, account], for: 1d}
            evidence: [user_id, client_ip]
            tests:
              - name: one investor reported, one not
                events:
                  - {kind: authenticate_result, direction: to_client, fields: {app_type: relay_one_to_many}}
                  - {kind: relay_client_info, fields: {user_id: inv1, report_type: submit}}
                  - {kind: order_new, fields: {user_id: op, account: inv1}}
                  - {kind: order_new, repeat: 2, fields: {user_id: op, account: inv2}}
                expect: {alerts: 1, group: {account: inv2}}
              - name: not a relay session
                events:
                  - {kind: order_new, fields: {user_id: op, account: inv2}}
                expect: {alerts: 0}

          - id: 1003
            name: relay.fix_unregistered_account
            title: "Unlicensed relay: FIX session trades for an account not registered to it"
            category: unlicensed-relay
            severity: high
            description: >
              A registered FIX session (its SenderCompID and TargetCompID in fix_sessions) sends an
              order or cancel with an Account (1) that is not among the accounts registered for it:
              the session carries other people's accounts. One alert per session and account a day.
            references: ["CSRC Announcement [2015] No. 19 (no sub-accounts)", "证监办发〔2015〕35号"]
            false_positives: [accounts opened since the registry was last updated]
            requires_site: [fix_sessions]
            match:
              kind: [order_new, order_cancel]
              protocol: fix
              direction: to_server
              where:
                target: {in_site: fix_sessions.targets, key: sender}
                account: {not_in_site: fix_sessions.accounts, key: [sender, target]}
            suppress: {by: [sender, target, account], for: 1d}
            evidence: [account, client_ip]
            tests:
              - name: one registered and one foreign account
                site: {fix_sessions: [{sender: CLIENTA, target: BROKER, accounts: [ACCA01]}]}
                events:
                  - {kind: order_new, fields: {sender: CLIENTA, target: BROKER, account: ACCA01}}
                  - {kind: order_new, repeat: 3, fields: {sender: CLIENTA, target: BROKER, account: ACCX99}}
                expect: {alerts: 1, group: {account: ACCX99}}
              - name: without a registry the rule does not run
                events:
                  - {kind: order_new, fields: {sender: CLIENTA, target: BROKER, account: ACCX99}}
                expect: {alerts: 0}

          - id: 1004
            name: relay.fix_session_many_accounts
            title: "Unlicensed relay: one FIX session trades for many accounts"
            category: unlicensed-relay
            severity: high
            description: >
              A FIX session that is not registered in fix_sessions (or any session, without a site
              registry) sends orders for three or more distinct Account values within a day. The
              threshold of 3 is an engineering default (eng); registered sessions are checked account
              by account instead (relay.fix_unregistered_account).
            references: [HOMS-era master/sub-account structures (2015 clean-up)]
            false_positives: [institutional order management systems (register their sessions)]
            match:
              kind: order_new
              protocol: fix
              direction: to_server
              where:
                target: {not_in_site: fix_sessions.targets, key: sender}
            aggregate: {group_by: [sender, target], distinct: account, threshold: 3, window: 1d}
            evidence: [client_ip]
            tests:
              - name: a dozen accounts
                events:
                  - {kind: order_new, repeat: 12, fields: {sender: SPLITTER, target: BROKER, account: "SUB{n}"}}
                expect: {alerts: 1, group: {sender: SPLITTER, target: BROKER}, count: 3}
              - name: two accounts stay below the threshold
                events:
                  - {kind: order_new, repeat: 2, fields: {sender: S, target: BROKER, account: "A{n}"}}
                  - {kind: order_new, repeat: 6, fields: {sender: S, target: BROKER, account: A1}}
                expect: {alerts: 0}
              - name: registered sessions are left to relay.fix_unregistered_account
                site: {fix_sessions: [{sender: S, target: BROKER, accounts: [A1]}]}
                events:
                  - {kind: order_new, repeat: 5, fields: {sender: S, target: BROKER, account: "A{n}"}}
                expect: {alerts: 0}

          - id: 1005
            name: relay.fix_unregistered_routing
            title: "Unlicensed relay: FIX OnBehalfOf/DeliverTo routing not registered"
            category: unlicensed-relay
            severity: high
            description: >
              A client message on a FIX session carries OnBehalfOfCompID (115) or DeliverToCompID (128)
              values not registered for that session in fix_sessions: the session forwards for
              third parties.
            references: [FIX 4.4 third-party routing (OnBehalfOf/DeliverTo)]
            false_positives: [routing partners added since the registry was last updated]
            requires_site: [fix_sessions]
            match:
              protocol: fix
              direction: to_server
              any:
                - {on_behalf_of: {not_in_site: fix_sessions.on_behalf_of, key: [sender, target]}}
                - {deliver_to: {not_in_site: fix_sessions.deliver_to, key: [sender, target]}}
            suppress: {by: [sender, target, on_behalf_of, deliver_to], for: 1d}
            evidence: [on_behalf_of, deliver_to, client_ip]
            tests:
              - name: an unregistered OnBehalfOf
                site: {fix_sessions: [{sender: HUB, target: BROKER, on_behalf_of: [FUNDA]}]}
                events:
                  - {kind: order_new, fields: {sender: HUB, target: BROKER, on_behalf_of: FUNDA}}
                  - {kind: order_new, repeat: 2, fields: {sender: HUB, target: BROKER, on_behalf_of: SHADOW}}
                  - {kind: heartbeat, fields: {sender: HUB, target: BROKER, deliver_to: ELSEWHERE}}
                expect: {alerts: 2}
              - name: no routing fields
                site: {fix_sessions: [{sender: HUB, target: BROKER}]}
                events:
                  - {kind: order_new, fields: {sender: HUB, target: BROKER}}
                expect: {alerts: 0}

          - id: 1006
            name: relay.fix_routing_many_parties
            title: "Relay suspected: FIX session routes on behalf of several parties"
            category: unlicensed-relay
            severity: medium
            description: >
              Without a fix_sessions registry: one FIX session uses three or more distinct
              OnBehalfOfCompID values within a day (eng threshold). With a registry,
              relay.fix_unregistered_routing checks each value instead.
            false_positives: [registered hubs and service bureaus]
            only_without_site: [fix_sessions]
            match:
              protocol: fix
              direction: to_server
              where: {on_behalf_of: {exists: true}}
            aggregate: {group_by: [sender, target], distinct: on_behalf_of, threshold: 3, window: 1d}
            evidence: [client_ip]
            tests:
              - name: three parties
                events:
                  - {kind: order_new, repeat: 3, fields: {sender: HUB, target: BROKER, on_behalf_of: "FUND{n}"}}
                expect: {alerts: 1}
              - name: one party
                events:
                  - {kind: order_new, repeat: 3, fields: {sender: HUB, target: BROKER, on_behalf_of: FUND}}
                expect: {alerts: 0}

          - id: 1007
            name: relay.ctp_host_many_users
            title: "Unlicensed relay: one host opens CTP sessions for many users"
            category: unlicensed-relay
            severity: high
            description: >
              One client address logs in to CTP fronts as five or more distinct UserIDs within a day
              and is not a registered relay host (relay_hosts): an unregistered many-to-many relay or
              a shared trading server (R08; the threshold of 5 is the notes' engineering default).
            references: ["CTP RegisterUserSystemInfo (many-to-many relay)", "CSRC Announcement [2018] No. 27"]
            false_positives: [NAT egress of a trading firm with several staff accounts, broker branch offices]
            match:
              kind: logon
              protocol: ctp
              direction: to_server
              where:
                client_ip: {not_in_site: relay_hosts}
            aggregate: {group_by: [client_ip], distinct: user_id, threshold: 5, window: 1d}
            evidence: [client_product]
            tests:
              - name: six users from one server
                events:
                  - {kind: logon, protocol: ctp, repeat: 6, client: "10.20.8.8:4{n}000", fields: {user_id: "u{n}"}}
                expect: {alerts: 1, group: {client_ip: 10.20.8.8}, count: 5}
              - name: a registered relay host
                site: {relay_hosts: [10.20.8.8]}
                events:
                  - {kind: logon, protocol: ctp, repeat: 6, client: "10.20.8.8:4{n}000", fields: {user_id: "u{n}"}}
                expect: {alerts: 0}
              - name: one user reconnecting
                events:
                  - {kind: logon, protocol: ctp, repeat: 6, client: "10.20.8.8:4{n}000", fields: {user_id: u1}}
                expect: {alerts: 0}

          - id: 1008
            name: relay.ctp_m2m_unregistered_login
            title: "Relay reporting: many-to-many relay logs in a user without RegisterUserSystemInfo"
            category: unlicensed-relay
            severity: medium
            description: >
              On a connection the front granted AppType 2 (many-to-many relay), a login arrives with
              no earlier RegisterUserSystemInfo for that user on the connection: the relay hides its
              end client (R08, registered relay that does not report).
            references: [CTP RegisterUserSystemInfo]
            false_positives: [mid-session capture start]
            match:
              kind: logon
              protocol: ctp
              direction: to_server
            after:
              kind: authenticate_result
              where: {app_type: relay_many_to_many}
              same: [flow_id]
            unless:
              kind: relay_client_info
              same: [flow_id, user_id]
            suppress: {by: [flow_id, user_id], for: 1d}
            evidence: [client_ip]
            tests:
              - name: login without the report
                events:
                  - {kind: authenticate_result, direction: to_client, fields: {app_type: relay_many_to_many}}
                  - {kind: logon, fields: {user_id: u3001}}
                expect: {alerts: 1, group: {user_id: u3001}}
              - name: reported first
                events:
                  - {kind: authenticate_result, direction: to_client, fields: {app_type: relay_many_to_many}}
                  - {kind: relay_client_info, fields: {user_id: u3001, report_type: register}}
                  - {kind: logon, fields: {user_id: u3001}}
                expect: {alerts: 0}

          - id: 1009
            name: relay.host_many_accounts
            title: "Relay suspected: one host trades for many accounts"
            category: unlicensed-relay
            severity: medium
            description: >
              Orders for five or more distinct accounts come from one client address within a day,
              whatever the protocol, and the address is not a registered relay host (R11; the
              threshold is the notes' engineering default, which adds a per-host baseline).
            references: [2015 HOMS clean-up (1,102 master accounts, 44,000+ sub-accounts)]
            false_positives: [carrier-grade NAT, institution NAT, internet cafés, broker branches]
            match:
              kind: order_new
              direction: to_server
              where:
                account: {exists: true}
                client_ip: {not_in_site: relay_hosts}
            aggregate: {group_by: [client_ip], distinct: account, threshold: 5, window: 1d}
            evidence: [protocol, user_id, sender]
            tests:
              - name: five accounts from one host over two protocols
                events:
                  - {kind: order_new, protocol: fix, repeat: 3, client: "10.9.9.9:5000", fields: {account: "F{n}"}}
                  - {kind: order_new, protocol: ctp, repeat: 2, client: "10.9.9.9:6000", fields: {account: "C{n}"}}
                expect: {alerts: 1, group: {client_ip: 10.9.9.9}}
              - name: four accounts
                events:
                  - {kind: order_new, repeat: 4, client: "10.9.9.9:5000", fields: {account: "F{n}"}}
                expect: {alerts: 0}

          - id: 1010
            name: relay.client_ip_implausible
            title: "Relay reporting: end-client public IP is loopback, private or reserved"
            category: unlicensed-relay
            severity: medium
            description: >
              A relay's RegisterUserSystemInfo or SubmitUserSystemInfo reports a ClientPublicIP that
              cannot be an end client's public address (loopback, RFC 1918 or shared, link-local,
              unspecified, multicast, reserved): the relay fills the field with a made-up value (the
              CTP samples use 127.0.0.1; R09). Relays inside the broker's home networks are exempt.
            references: [CTP RegisterUserSystemInfo / SubmitUserSystemInfo samples]
            false_positives: [relays inside the broker's network serving internal clients (list it in home_networks)]
            match:
              kind: relay_client_info
              protocol: ctp
              where:
                report_type: [register, submit]
                reported_ip: {ip_class: [loopback, private, link_local, unspecified, multicast, reserved]}
              not:
                client_ip: {in_site: home_networks}
            suppress: {by: [client_ip, reported_ip], for: 1d}
            evidence: [user_id, app_id, reported_port]
            tests:
              - name: a loopback client address
                events:
                  - {kind: relay_client_info, fields: {report_type: submit, user_id: inv1, reported_ip: 127.0.0.1, reported_port: 65535}}
                expect: {alerts: 1}
              - name: a public client address
                events:
                  - {kind: relay_client_info, fields: {report_type: submit, user_id: inv1, reported_ip: 203.0.113.41}}
                expect: {alerts: 0}
              - name: an internal relay
                site: {home_networks: [10.0.0.0/8]}
                events:
                  - {kind: relay_client_info, client: "10.20.9.9:40000", fields: {report_type: register, reported_ip: 192.168.1.5}}
                expect: {alerts: 0}

          - id: 1011
            name: relay.client_endpoint_shared
            title: "Relay reporting: one end-client IP:port reported for several users"
            category: unlicensed-relay
            severity: medium
            description: >
              The same ClientPublicIP and ClientIPPort are reported for three or more distinct users
              within a day: a relay writing a constant instead of each end client's real endpoint
              (R09; threshold 3 is the notes' engineering default).
            false_positives: ["several accounts of one person behind one NAT port (rare: ports change per connection)"]
            match:
              kind: relay_client_info
              protocol: ctp
              where:
                reported_ip: {exists: true}
                reported_port: {exists: true}
            aggregate: {group_by: [reported_ip, reported_port], distinct: user_id, threshold: 3, window: 1d}
            evidence: [client_ip, app_id]
            tests:
              - name: three users on one endpoint
                events:
                  - {kind: relay_client_info, repeat: 3, fields: {user_id: "inv{n}", reported_ip: 203.0.113.8, reported_port: 65535}}
                expect: {alerts: 1, count: 3}
              - name: distinct endpoints
                events:
                  - {kind: relay_client_info, repeat: 3, fields: {user_id: "inv{n}", reported_ip: 203.0.113.8, reported_port: "4100{n}"}}
                expect: {alerts: 0}

          - id: 1012
            name: relay.terminal_blob_short
            title: "Relay reporting: terminal information shorter than the collection library's minimum"
            category: unlicensed-relay
            severity: medium
            description: >
              A UserSystemInfo carries an encrypted terminal blob shorter than 264 bytes, the minimum
              the CTP collection library produces and newer libraries accept: the blob was not
              collected by the library (R09; the 264-byte floor is from the library, the rule is an
              engineering inference).
            references: [CTP DataCollect.h, CTP_GetSystemInfo (buffer of at least 270 bytes)]
            false_positives: [old collection libraries]
            match:
              kind: relay_client_info
              protocol: ctp
              where:
                terminal_info_length: {lt: 264}
            suppress: {by: [client_ip, user_id], for: 1d}
            evidence: [terminal_info_length, report_type]
            tests:
              - name: a 100-byte blob
                events:
                  - {kind: relay_client_info, fields: {user_id: inv1, terminal_info_length: 100}}
                expect: {alerts: 1}
              - name: a 264-byte blob
                events:
                  - {kind: relay_client_info, fields: {user_id: inv1, terminal_info_length: 264}}
                expect: {alerts: 0}

          - id: 1013
            name: relay.client_login_time_shared
            title: "Relay reporting: one client login time reported for several users"
            category: unlicensed-relay
            severity: medium
            description: >
              One relay host reports the same ClientLoginTime for three or more distinct end users
              within a day: a constant written instead of each client's real login time (R09;
              threshold 3 is the notes' engineering default).
            false_positives: [end clients logging in within the same second (rare beyond two)]
            match:
              kind: relay_client_info
              protocol: ctp
              where:
                report_type: [register, submit]
                client_login_time: {exists: true}
            aggregate: {group_by: [client_ip, client_login_time], distinct: user_id, threshold: 3, window: 1d}
            evidence: [reported_ip]
            tests:
              - name: three users logged in at 09:00:00
                events:
                  - {kind: relay_client_info, repeat: 3, fields: {report_type: submit, user_id: "inv{n}", client_login_time: "09:00:00"}}
                expect: {alerts: 1, count: 3}
              - name: real login times
                events:
                  - {kind: relay_client_info, repeat: 3, fields: {report_type: submit, user_id: "inv{n}", client_login_time: "09:00:0{n}"}}
                expect: {alerts: 0}

          - id: 1014
            name: relay.client_port_constant
            title: "Relay reporting: one client port reported for several users"
            category: unlicensed-relay
            severity: medium
            description: >
              One relay host reports the same ClientIPPort for three or more distinct end users
              within a day, whatever their addresses: a constant such as the samples' 65535 instead
              of each client's real port (R09; threshold 3 is the notes' engineering default).
            false_positives: [clients behind one NAT that happen to reuse a port (rare beyond two)]
            match:
              kind: relay_client_info
              protocol: ctp
              where:
                report_type: [register, submit]
                reported_port: {exists: true}
            aggregate: {group_by: [client_ip, reported_port], distinct: user_id, threshold: 3, window: 1d}
            evidence: [reported_ip]
            tests:
              - name: port 65535 for three users
                events:
                  - {kind: relay_client_info, repeat: 3, fields: {report_type: register, user_id: "u{n}", reported_ip: "203.0.113.{n}", reported_port: 65535}}
                expect: {alerts: 1, group: {reported_port: "65535"}}
              - name: distinct ports
                events:
                  - {kind: relay_client_info, repeat: 3, fields: {report_type: register, user_id: "u{n}", reported_ip: "203.0.113.{n}", reported_port: "5100{n}"}}
                expect: {alerts: 0}
        """#)
}
