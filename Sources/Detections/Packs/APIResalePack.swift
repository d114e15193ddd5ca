extension BuiltInPacks {
    /// Licence-keyed interfaces shared or rented out: AppIDs, terminal blobs, account dispersion,
    /// login sweeps, order bursts (detections notes R03, R05, R06, R12, R13, R19).
    static let apiResale = RulePack(name: "api-resale", yaml: #"""
        pack: api-resale
        description: licence-keyed broker interfaces shared, resold or rented out
        rules:
          - id: 2001
            name: api_resale.appid_many_users
            title: "API resale: one AppID authenticates for several users"
            category: api-resale
            severity: high
            description: >
              One CTP AppID is authenticated for three or more distinct UserIDs within a day. The
              AuthCode is bound to the product, not the account, so a self-developed AppID passed
              around shows exactly this (R05; threshold 3 per day is the notes' engineering default).
              Relay AppIDs are exempt: those the front grants a relay AppType, and those the registry
              lists as relays.
            references: ["CTP look-through FAQ: AuthCode not configurable per fund account", "2021 Shanghai interface-resale case"]
            false_positives: [vendor terminal AppIDs shared by design, one owner's several registered accounts]
            match:
              kind: authenticate_result
              protocol: ctp
              where:
                app_id: {exists: true}
                result_code: 0
              not:
                - {app_type: [relay_many_to_many, relay_one_to_many]}
                - {app_id: {in_site: licensed_apps.relay}}
            aggregate: {group_by: [app_id], distinct: user_id, threshold: 3, window: 1d}
            evidence: [client_ip, client_net24]
            tests:
              - name: three users, three networks
                events:
                  - {kind: authenticate_result, direction: to_client, repeat: 3, client: "198.51.{n}.7:50000", fields: {app_id: client_quant_1.0, user_id: "u{n}", app_type: direct, result_code: 0}}
                expect: {alerts: 1, group: {app_id: client_quant_1.0}, count: 3}
              - name: one user reconnecting
                events:
                  - {kind: authenticate_result, direction: to_client, repeat: 5, fields: {app_id: client_quant_1.0, user_id: u1, result_code: 0}}
                expect: {alerts: 0}
              - name: refused authentications do not count
                events:
                  - {kind: authenticate_result, direction: to_client, repeat: 3, fields: {app_id: client_quant_1.0, user_id: "u{n}", result_code: 63}}
                expect: {alerts: 0}
              - name: the front granted a relay AppType
                events:
                  - {kind: authenticate_result, direction: to_client, repeat: 3, fields: {app_id: relay_a, user_id: "u{n}", app_type: relay_many_to_many, result_code: 0}}
                expect: {alerts: 0}
              - name: a registered relay AppID
                site: {licensed_apps: [{app_id: relay_v2, type: relay_many_to_many}]}
                events:
                  - {kind: authenticate_result, direction: to_client, repeat: 3, fields: {app_id: relay_v2, user_id: "u{n}", result_code: 0}}
                expect: {alerts: 0}

          - id: 2002
            name: api_resale.appid_many_networks
            title: "API resale: one AppID used from many networks"
            category: api-resale
            severity: high
            description: >
              One CTP AppID is authenticated from five or more distinct client /24 networks within a
              day (R05; the threshold is the notes' engineering default). Relay AppIDs are exempt as
              in api_resale.appid_many_users.
            false_positives: [mobile clients changing carrier addresses, vendor terminals]
            match:
              kind: authenticate_result
              protocol: ctp
              where:
                app_id: {exists: true}
                result_code: 0
              not:
                - {app_type: [relay_many_to_many, relay_one_to_many]}
                - {app_id: {in_site: licensed_apps.relay}}
            aggregate: {group_by: [app_id], distinct: client_net24, threshold: 5, window: 1d}
            evidence: [user_id]
            tests:
              - name: six networks
                events:
                  - {kind: authenticate_result, direction: to_client, repeat: 6, client: "203.0.{n}.9:50000", fields: {app_id: a, user_id: u1, result_code: 0}}
                expect: {alerts: 1, count: 5}
              - name: one network
                events:
                  - {kind: authenticate_result, direction: to_client, repeat: 6, client: "203.0.113.{n}:50000", fields: {app_id: a, user_id: u1, result_code: 0}}
                expect: {alerts: 0}

          - id: 2003
            name: api_resale.appid_unregistered
            title: "API resale: authentication with an AppID the broker never issued"
            category: api-resale
            severity: high
            description: >
              A CTP client authenticates with an AppID that is not in licensed_apps: a product the
              broker did not certify, or a registry that drifted from the counter's configuration
              (R06). Needs the site registry.
            references: [CTP ReqAuthenticate (AppID in the CFMMC format)]
            false_positives: [products being certified, registry not updated]
            requires_site: [licensed_apps]
            match:
              kind: authenticate
              protocol: ctp
              direction: to_server
              where:
                app_id: {not_in_site: licensed_apps}
            suppress: {by: [app_id, client_ip], for: 1d}
            evidence: [user_id, client_product]
            tests:
              - name: an unknown AppID
                site: {licensed_apps: [{app_id: client_quant_1.0, type: direct}]}
                events:
                  - {kind: authenticate, fields: {app_id: cracked_t_1.0, user_id: u1}}
                  - {kind: authenticate, fields: {app_id: client_quant_1.0, user_id: u2}}
                expect: {alerts: 1, group: {app_id: cracked_t_1.0}}

          - id: 2004
            name: api_resale.client_appid_unregistered
            title: "API resale: relay reports an end-client AppID the broker never issued"
            category: api-resale
            severity: medium
            description: >
              A relay's RegisterUserSystemInfo or SubmitUserSystemInfo names a ClientAppID that is
              not in licensed_apps: every end-client product must be certified too (R09).
            requires_site: [licensed_apps]
            match:
              kind: relay_client_info
              protocol: ctp
              where:
                report_type: [register, submit]
                app_id: {not_in_site: licensed_apps}
            suppress: {by: [client_ip, app_id], for: 1d}
            evidence: [user_id, relay_app_id]
            tests:
              - name: an uncertified end-client product
                site: {licensed_apps: [{app_id: relay_a, type: relay_many_to_many}]}
                events:
                  - {kind: relay_client_info, fields: {report_type: register, app_id: endclient_alpha_1.0, user_id: u1}}
                expect: {alerts: 1}
              - name: the direct client's own report has no ClientAppID
                site: {licensed_apps: []}
                events:
                  - {kind: relay_client_info, fields: {report_type: direct, user_id: u1}}
                expect: {alerts: 0}

          - id: 2005
            name: api_resale.appid_wrong_host
            title: "API resale: AppID used from a host it is not registered for"
            category: api-resale
            severity: high
            description: >
              A licensed AppID whose registry entry lists hosts authenticates from a client address
              outside them: the licence key left the licensee's servers.
            requires_site: [licensed_apps]
            match:
              kind: authenticate
              protocol: ctp
              direction: to_server
              where:
                app_id: {in_site: licensed_apps.with_hosts}
                client_ip: {not_in_site: licensed_apps.hosts, key: app_id}
            suppress: {by: [app_id, client_ip], for: 1d}
            evidence: [user_id]
            tests:
              - name: from the wrong host
                site: {licensed_apps: [{app_id: relay_v2, type: relay_one_to_many, hosts: [10.20.0.5]}]}
                events:
                  - {kind: authenticate, client: "10.20.0.5:40000", fields: {app_id: relay_v2}}
                  - {kind: authenticate, client: "10.66.0.5:40000", fields: {app_id: relay_v2}}
                expect: {alerts: 1, group: {client_ip: 10.66.0.5}}

          - id: 2006
            name: api_resale.auth_failures
            title: "API resale: repeated failed authentications from one host"
            category: api-resale
            severity: medium
            description: >
              Five or more failed CTP authentications answered to one client address within ten
              minutes: AppID/AuthCode pairs being tried (R06; engineering default).
            false_positives: [new deployments during certification, evaluation and production key mix-ups]
            match:
              kind: authenticate_result
              protocol: ctp
              where:
                result_code: {ne: 0}
            aggregate: {group_by: [client_ip], count: true, threshold: 5, window: 10m}
            evidence: [app_id, text]
            tests:
              - name: five refusals
                events:
                  - {kind: authenticate_result, direction: to_client, repeat: 5, every: 10s, fields: {result_code: 63, app_id: "guess{n}"}}
                expect: {alerts: 1, count: 5}
              - name: successes
                events:
                  - {kind: authenticate_result, direction: to_client, repeat: 5, fields: {result_code: 0}}
                expect: {alerts: 0}

          - id: 2007
            name: api_resale.account_many_networks
            title: "API resale: one user logs in from several networks in a day"
            category: api-resale
            severity: high
            description: >
              One UserID logs in from four or more distinct client /16 networks within a day: a rented
              or shared account operated by several parties (R12; engineering default).
            references: [2021 Shanghai case (about 600 yuan a month per rented interface)]
            false_positives: [travel, phone and PC on different carriers]
            match:
              kind: logon
              direction: to_server
              where:
                user_id: {exists: true}
            aggregate: {group_by: [user_id], distinct: client_net16, threshold: 4, window: 1d}
            evidence: [client_ip, protocol]
            tests:
              - name: four networks
                events:
                  - {kind: logon, repeat: 4, every: 1h, client: "10.{n}.1.1:5000", fields: {user_id: u9}}
                expect: {alerts: 1, count: 4}
              - name: three networks
                events:
                  - {kind: logon, repeat: 3, client: "10.{n}.1.1:5000", fields: {user_id: u9}}
                expect: {alerts: 0}

          - id: 2008
            name: api_resale.account_concurrent_networks
            title: "API resale: one user logged in from two networks at once"
            category: api-resale
            severity: medium
            description: >
              One UserID logs in from two distinct client /16 networks within five minutes (R12:
              concurrent sessions from different places; engineering default).
            false_positives: [the same person on phone and PC over different carriers]
            match:
              kind: logon
              direction: to_server
              where:
                user_id: {exists: true}
            aggregate: {group_by: [user_id], distinct: client_net16, threshold: 2, window: 5m}
            evidence: [client_ip]
            tests:
              - name: two networks within a minute
                events:
                  - {kind: logon, at: 0, client: "10.20.2.21:5000", fields: {user_id: u2001}}
                  - {kind: logon, at: 60, client: "10.21.4.41:5000", fields: {user_id: u2001}}
                expect: {alerts: 1}
              - name: an hour apart
                events:
                  - {kind: logon, at: 0, client: "10.20.2.21:5000", fields: {user_id: u2001}}
                  - {kind: logon, at: 3600, client: "10.21.4.41:5000", fields: {user_id: u2001}}
                expect: {alerts: 0}

          - id: 2009
            name: api_resale.login_sweep
            title: "API resale: login sweep across accounts"
            category: api-resale
            severity: high
            description: >
              One client address attempts logins as ten or more distinct users within ten minutes:
              harvested or bound accounts being validated, or credential stuffing (R19; engineering
              default, tighter in time than relay.ctp_host_many_users).
            references: [CTP front lockout (about 5,000 failures per IP a day; 6-10 per IP and account)]
            false_positives: [broker test harnesses and load tests]
            match:
              kind: logon
              direction: to_server
              where:
                user_id: {exists: true}
            aggregate: {group_by: [client_ip], distinct: user_id, threshold: 10, window: 10m}
            evidence: [protocol]
            tests:
              - name: twelve users in two minutes
                events:
                  - {kind: logon, repeat: 12, every: 10s, fields: {user_id: "acct{n}"}}
                expect: {alerts: 1, count: 10}
              - name: spread over a day
                events:
                  - {kind: logon, repeat: 12, every: 1h, fields: {user_id: "acct{n}"}}
                expect: {alerts: 0}

          - id: 2010
            name: api_resale.login_failures
            title: "API resale: repeated failed logins from one host"
            category: api-resale
            severity: medium
            description: >
              Ten or more refused logins answered to one client address within an hour (R19; the
              notes' failure-ratio test approximated by a count, engineering default).
            match:
              kind: logon_result
              where:
                result_code: {not_in: [0, accepted]}
            aggregate: {group_by: [client_ip], count: true, threshold: 10, window: 1h}
            evidence: [text, protocol]
            tests:
              - name: ten refusals
                events:
                  - {kind: logon_result, direction: to_client, repeat: 10, fields: {result_code: 3, text: "wrong password"}}
                expect: {alerts: 1}
              - name: accepted logons
                events:
                  - {kind: logon_result, direction: to_client, repeat: 10, fields: {result_code: accepted}}
                expect: {alerts: 0}

          - id: 2011
            name: api_resale.terminal_blob_reused
            title: "API resale: identical encrypted terminal information for different users"
            category: api-resale
            severity: high
            description: >
              The same encrypted CTP terminal blob (equal hashes) is reported for two or more distinct
              users within a day. Collection time is inside the encrypted blob, so two genuine
              collections never give the same bytes: the blob is replayed (R03; engineering inference
              from the collection library).
            references: [CTP DataCollect.h, exchanges infer actual control from terminal information]
            false_positives: [cloned virtual desktops at registered institutions]
            match:
              kind: relay_client_info
              protocol: ctp
              where:
                terminal_info_hash: {exists: true}
            aggregate: {group_by: [terminal_info_hash], distinct: user_id, threshold: 2, window: 1d}
            evidence: [client_ip, report_type]
            tests:
              - name: one blob for two investors
                events:
                  - {kind: relay_client_info, fields: {user_id: inv4001, terminal_info_hash: 761776460453eebc}}
                  - {kind: relay_client_info, fields: {user_id: inv4002, terminal_info_hash: 32d6e36c03edda7c}}
                  - {kind: relay_client_info, fields: {user_id: inv4003, terminal_info_hash: 761776460453eebc}}
                expect: {alerts: 1, group: {terminal_info_hash: 761776460453eebc}}
              - name: the same user twice
                events:
                  - {kind: relay_client_info, repeat: 2, fields: {user_id: inv4001, terminal_info_hash: 761776460453eebc}}
                expect: {alerts: 0}

          - id: 2012
            name: api_resale.order_bursts
            title: "API resale: repeated sub-second order bursts from one account"
            category: api-resale
            severity: medium
            description: >
              Five or more orders and cancels from one account within one second, on three or more
              separate occasions within a day: machine-driven bursts on a master account such as the
              2021 Shanghai case's "several orders within one second" (R13 tier 1; a scaled-down DCE
              test, engineering default). Registered programmatic traders are not in the site
              registry yet: expect them here.
            references: [2021 Shanghai interface-resale case, "大商所发〔2025〕305号"]
            false_positives: [registered quant accounts, basket orders, market makers]
            match:
              kind: [order_new, order_cancel]
              direction: to_server
              where:
                account: {exists: true}
            aggregate:
              group_by: [account]
              count: true
              threshold: 5
              window: 1s
              occurrences: {threshold: 3, window: 1d}
            evidence: [client_ip, instrument]
            tests:
              - name: three bursts
                events:
                  - {at: 0, kind: order_new, repeat: 5, every: 100ms, fields: {account: A1}}
                  - {at: 60, kind: order_cancel, repeat: 5, every: 100ms, fields: {account: A1}}
                  - {at: 120, kind: order_new, repeat: 5, every: 100ms, fields: {account: A1}}
                expect: {alerts: 1, count: 3}
              - name: steady orders
                events:
                  - {at: 0, kind: order_new, repeat: 100, every: 300ms, fields: {account: A1}}
                expect: {alerts: 0}

          - id: 2013
            name: api_resale.order_bursts_dce_reportable
            title: "Programmatic trading: 10 orders in a second on 10 occasions in a day (DCE reporting line)"
            category: api-resale
            severity: high
            description: >
              Ten or more orders and cancels from one account within one second, on ten or more
              occasions within a day: the Dalian Commodity Exchange's programmatic-trading reporting
              trigger (大商所发〔2025〕305号, effective 9 Oct 2025; a regulatory threshold). The window
              is a sliding 24 hours of packet time, not the trading day.
            references: ["大商所发〔2025〕305号", CSRC futures programmatic trading rules (9 Oct 2025)]
            false_positives: [accounts that reported programmatic trading]
            match:
              kind: [order_new, order_cancel]
              direction: to_server
              where:
                account: {exists: true}
            aggregate:
              group_by: [account]
              count: true
              threshold: 10
              window: 1s
              occurrences: {threshold: 10, window: 1d}
            evidence: [client_ip]
            tests:
              - name: ten bursts of ten
                events:
                  - {at: 0, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 10, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 20, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 30, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 40, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 50, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 60, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 70, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 80, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 90, kind: order_cancel, repeat: 10, every: 50ms, fields: {account: A1}}
                expect: {alerts: 1, count: 10}
              - name: nine bursts
                events:
                  - {at: 0, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 10, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 20, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 30, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 40, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 50, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 60, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 70, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                  - {at: 80, kind: order_new, repeat: 10, every: 50ms, fields: {account: A1}}
                expect: {alerts: 0}

          - id: 2014
            name: api_resale.hft_peak_rate
            title: "High-frequency trading: 300 orders and cancels in one second"
            category: api-resale
            severity: high
            description: >
              Three hundred or more orders and cancels from one account within one second: the
              high-frequency line of the SSE/SZSE/BSE programmatic-trading rules (effective 7 Jul 2025;
              a regulatory threshold). High-frequency accounts must be registered as such.
            references: ["深证上〔2025〕292号", "CSRC Announcement [2024] No. 8"]
            false_positives: [accounts registered as high-frequency traders]
            match:
              kind: [order_new, order_cancel]
              direction: to_server
              where:
                account: {exists: true}
            aggregate: {group_by: [account], count: true, threshold: 300, window: 1s}
            evidence: [client_ip]
            tests:
              - name: 300 in 0.9 seconds
                events:
                  - {kind: order_new, repeat: 300, every: 3ms, fields: {account: HF1}}
                expect: {alerts: 1, count: 300}
              - name: 299 in a second
                events:
                  - {kind: order_new, repeat: 299, every: 3ms, fields: {account: HF1}}
                expect: {alerts: 0}

          - id: 2015
            name: api_resale.hft_daily_count
            title: "High-frequency trading: 20,000 orders and cancels in a day"
            category: api-resale
            severity: high
            description: >
              Twenty thousand or more orders and cancels from one account within 24 hours of packet
              time: the daily high-frequency line of the SSE/SZSE/BSE rules (effective 7 Jul 2025; a
              regulatory threshold, counted over a sliding day rather than the trading day).
            references: ["深证上〔2025〕292号"]
            false_positives: [accounts registered as high-frequency traders]
            match:
              kind: [order_new, order_cancel]
              direction: to_server
              where:
                account: {exists: true}
            aggregate: {group_by: [account], count: true, threshold: 20000, window: 1d}
            evidence: [client_ip]
            tests:
              - name: 20,000 orders at 4 a second
                events:
                  - {kind: order_new, repeat: 20000, every: 250ms, fields: {account: HF2}}
                expect: {alerts: 1, count: 20000}
              - name: 19,999 orders
                events:
                  - {kind: order_new, repeat: 19999, every: 250ms, fields: {account: HF2}}
                expect: {alerts: 0}

          - id: 2016
            name: api_resale.appid_probing
            title: "API resale: one host authenticates with several AppIDs"
            category: api-resale
            severity: medium
            description: >
              One client address authenticates with three or more distinct AppIDs within a day:
              AppID/AuthCode pairs being tried, or a reseller's host serving several cracked products
              (R06; the threshold is the notes' engineering default). Registered relay hosts are exempt.
            false_positives: [test hosts during certification, a vendor's support desk]
            match:
              kind: authenticate
              protocol: ctp
              direction: to_server
              where:
                app_id: {exists: true}
                client_ip: {not_in_site: relay_hosts}
            aggregate: {group_by: [client_ip], distinct: app_id, threshold: 3, window: 1d}
            evidence: [user_id]
            tests:
              - name: three AppIDs from one host
                events:
                  - {kind: authenticate, repeat: 3, fields: {app_id: "guess_{n}.0", user_id: u1}}
                expect: {alerts: 1, count: 3}
              - name: one AppID again and again
                events:
                  - {kind: authenticate, repeat: 5, fields: {app_id: client_quant_1.0, user_id: "u{n}"}}
                expect: {alerts: 0}
        """#)
}
