extension BuiltInPacks {
    /// Real-time quotes leaving the broker for unlicensed consumers (detections notes R10, R23,
    /// R24; sections 3.2 and 3.3).
    static let marketDataLeakage = RulePack(name: "market-data-leakage", yaml: #"""
        pack: market-data-leakage
        description: real-time quotes reaching hosts that may not receive them
        rules:
          - id: 3001
            name: md_leak.quotes_to_unauthorized_host
            title: "Market-data leakage: real-time quotes delivered to a host outside the authorised consumers"
            category: market-data-leakage
            severity: high
            description: >
              Real-time quotes (FIX MarketDataSnapshot/IncrementalRefresh, CTP depth market data, TDX
              quote replies) reach a host that is not in market_data.authorized_consumers: five quotes
              within a minute make the alert, one per host an hour (the count is an engineering
              default that ignores a stray message). Securities Law art. 109 and exchange licences
              forbid passing quotes on without permission.
            references: ["Securities Law (2019) art. 109", "SZSE Trading Rules 5.1.3", CFFEX non-display forwarding ban]
            false_positives: [new consumers not yet in the registry]
            requires_site: [market_data.authorized_consumers]
            match:
              kind: md_quote
              where:
                dest_ip: {not_in_site: market_data.authorized_consumers}
            aggregate: {group_by: [dest_ip], count: true, threshold: 5, window: 1m}
            suppress: {by: [dest_ip], for: 1h}
            evidence: [src_ip, instrument, protocol]
            tests:
              - name: quotes to an unlisted host
                site: {market_data: {authorized_consumers: [10.30.0.0/16]}}
                events:
                  - {kind: md_quote, direction: to_client, repeat: 6, client: "10.66.0.9:5000", fields: {instrument: rb2601, price: 3500}}
                expect: {alerts: 1, group: {dest_ip: 10.66.0.9}}
              - name: quotes to an authorised consumer
                site: {market_data: {authorized_consumers: [10.30.0.0/16]}}
                events:
                  - {kind: md_quote, direction: to_client, repeat: 6, client: "10.30.0.9:5000", fields: {instrument: rb2601, price: 3500}}
                expect: {alerts: 0}
              - name: without the registry the rule does not run
                events:
                  - {kind: md_quote, direction: to_client, repeat: 6, client: "10.66.0.9:5000", fields: {instrument: rb2601, price: 3500}}
                expect: {alerts: 0}

          - id: 3002
            name: md_leak.quotes_to_external_host
            title: "Market-data leakage: real-time quotes delivered outside the broker's networks"
            category: market-data-leakage
            severity: medium
            description: >
              Without market_data.authorized_consumers: quotes reach a host outside home_networks (or,
              without those either, a public address). Five quotes within a minute, one alert per host
              an hour (engineering default). A stand-in for md_leak.quotes_to_unauthorized_host.
            false_positives: ["every licensed external consumer (list them in market_data.authorized_consumers)"]
            only_without_site: [market_data.authorized_consumers]
            match:
              kind: md_quote
              where:
                dest_ip: {not_in_site: home_networks, ip_class: [public, documentation]}
            aggregate: {group_by: [dest_ip], count: true, threshold: 5, window: 1m}
            suppress: {by: [dest_ip], for: 1h}
            evidence: [src_ip, instrument, protocol]
            tests:
              - name: quotes to a public address
                events:
                  - {kind: md_quote, direction: to_client, repeat: 5, client: "203.0.113.50:5000", fields: {instrument: IF2512, price: 4000}}
                expect: {alerts: 1}
              - name: quotes inside a private network
                events:
                  - {kind: md_quote, direction: to_client, repeat: 5, client: "10.20.5.51:5000", fields: {instrument: IF2512, price: 4000}}
                expect: {alerts: 0}
              - name: quotes inside the home networks
                site: {home_networks: [203.0.113.0/24]}
                events:
                  - {kind: md_quote, direction: to_client, repeat: 5, client: "203.0.113.50:5000", fields: {instrument: IF2512, price: 4000}}
                expect: {alerts: 0}

          - id: 3003
            name: md_leak.md_without_trading_login
            title: "Market-data leakage: market-data session from a host with no trading login"
            category: market-data-leakage
            severity: medium
            description: >
              A host logs in to or subscribes on a CTP market-data front without a successful CTP
              trading login from the same address in the previous 24 hours: a quote consumer with no
              trading relationship, such as a scraper or a downstream redistributor (R10; CTP 6.6.2
              can enforce the same binding at the front). The 24 hours stand in for the notes'
              "same trading day" (eng), and only an earlier trading login counts. Hosts in
              market_data.quote_servers and market_data.authorized_consumers are exempt.
            references: [CTP 6.6.2 market-data login verification, exchange information-use restrictions]
            false_positives: [clients that trade through another egress address, registered data vendors]
            match:
              kind: [logon, md_subscribe]
              protocol: ctp
              direction: to_server
              where:
                ctp.front: md
              not:
                - {client_ip: {in_site: market_data.quote_servers}}
                - {client_ip: {in_site: market_data.authorized_consumers}}
            unless:
              kind: logon_result
              protocol: ctp
              where: {ctp.front: trader, result_code: 0}
              same: [client_ip]
              within: 1d
            suppress: {by: [client_ip], for: 1d}
            evidence: [user_id, instruments]
            tests:
              - name: market data only
                events:
                  - {kind: md_subscribe, protocol: ctp, client: "10.20.5.51:40000", fields: {ctp.front: md, instruments: [rb2601, IF2512]}}
                expect: {alerts: 1, group: {client_ip: 10.20.5.51}}
              - name: traded first
                events:
                  - {kind: logon_result, direction: to_client, client: "10.20.5.51:40001", fields: {ctp.front: trader, result_code: 0}}
                  - {kind: md_subscribe, client: "10.20.5.51:40000", fields: {ctp.front: md, instruments: [rb2601]}}
                expect: {alerts: 0}
              - name: a failed trading login does not count
                events:
                  - {kind: logon_result, direction: to_client, client: "10.20.5.51:40001", fields: {ctp.front: trader, result_code: 3}}
                  - {kind: md_subscribe, client: "10.20.5.51:40000", fields: {ctp.front: md, instruments: [rb2601]}}
                expect: {alerts: 1}

          - id: 3004
            name: md_leak.whole_market_subscription
            title: "Market-data leakage: one host subscribes to the whole market"
            category: market-data-leakage
            severity: medium
            description: >
              One client address subscribes to 500 or more distinct instruments within a day (R10,
              R23; the threshold is the notes' engineering default for "the whole market"). The
              broker's own quote servers are exempt.
            false_positives: [registered data vendors, the broker's monitoring]
            match:
              kind: md_subscribe
              direction: to_server
              where:
                instruments: {exists: true}
              not:
                client_ip: {in_site: market_data.quote_servers}
            aggregate: {group_by: [client_ip], distinct: instruments, threshold: 500, window: 1d}
            evidence: [protocol, user_id]
            tests:
              - name: 500 instruments in five requests
                events:
                  - {kind: md_subscribe, repeat: 5, fields: {instruments: ["a{n}", "b{n}", "c{n}"]}}
                  - {kind: md_subscribe, repeat: 495, every: 10ms, fields: {instruments: ["x{n}"]}}
                expect: {alerts: 1, count: 500}
              - name: a handful
                events:
                  - {kind: md_subscribe, repeat: 3, fields: {instruments: ["a{n}", "b{n}"]}}
                expect: {alerts: 0}

          - id: 3005
            name: md_leak.quote_fanout
            title: "Market-data leakage: a host re-sends received quotes to several others"
            category: market-data-leakage
            severity: high
            description: >
              A host receives quotes and sends the same ticks (instrument, price, volume, update time)
              on to three or more downstream peers, each at least three copies within 500 ms of
              receipt, within a minute: onward distribution by a licensed receiver (R24 fan-out,
              detected on decoded ticks rather than by timing correlation; every number is an
              engineering default). Hosts in market_data.quote_servers are exempt.
            references: ["Securities Law (2019) art. 109", CFFEX non-display forwarding ban, virtual futures platform buying real quotes (2024)]
            false_positives: [in-house display walls, registered vendors with forwarding licences (list them as quote servers)]
            detector: {name: quote_fanout, max_delay: 500ms, threshold: 3, min_ticks: 3, window: 1m}
            match:
              kind: md_quote
            suppress: {by: [src_ip], for: 1h}
            tests:
              - name: three peers get copies of every tick
                events:
                  - {at: 0, kind: md_quote, direction: to_client, client: "10.50.0.5:40000", server: "10.40.0.10:41213", fields: {instrument: rb2601, price: 3500, volume: 10}}
                  - {at: 0.01, kind: md_quote, direction: to_client, repeat: 3, every: 1ms, client: "198.51.100.{n}:50000", server: "10.50.0.5:9000", fields: {instrument: rb2601, price: 3500, volume: 10}}
                  - {at: 1, kind: md_quote, direction: to_client, client: "10.50.0.5:40000", server: "10.40.0.10:41213", fields: {instrument: rb2601, price: 3501, volume: 11}}
                  - {at: 1.01, kind: md_quote, direction: to_client, repeat: 3, every: 1ms, client: "198.51.100.{n}:50000", server: "10.50.0.5:9000", fields: {instrument: rb2601, price: 3501, volume: 11}}
                  - {at: 2, kind: md_quote, direction: to_client, client: "10.50.0.5:40000", server: "10.40.0.10:41213", fields: {instrument: rb2601, price: 3502, volume: 12}}
                  - {at: 2.01, kind: md_quote, direction: to_client, repeat: 3, every: 1ms, client: "198.51.100.{n}:50000", server: "10.50.0.5:9000", fields: {instrument: rb2601, price: 3502, volume: 12}}
                expect: {alerts: 1, group: {host: 10.50.0.5}, count: 3}
              - name: other hosts' quotes between a host's first tick and its copies
                events:
                  - {at: 0, kind: md_quote, direction: to_client, client: "10.70.0.1:50000", server: "10.40.0.20:41213", fields: {instrument: cu2601, price: 70000}}
                  - {at: 0.001, kind: md_quote, direction: to_client, client: "10.70.0.2:50000", server: "10.40.0.20:41213", fields: {instrument: cu2601, price: 70000}}
                  - {at: 0.5, kind: md_quote, direction: to_client, client: "10.50.0.5:40000", server: "10.40.0.10:41213", fields: {instrument: rb2601, price: 3500, volume: 10}}
                  - {at: 0.505, kind: md_quote, direction: to_client, client: "10.70.0.2:50001", server: "10.70.0.1:9000", fields: {instrument: cu2601, price: 70001}}
                  - {at: 0.51, kind: md_quote, direction: to_client, repeat: 3, every: 1ms, client: "198.51.100.{n}:50000", server: "10.50.0.5:9000", fields: {instrument: rb2601, price: 3500, volume: 10}}
                  - {at: 1, kind: md_quote, direction: to_client, client: "10.50.0.5:40000", server: "10.40.0.10:41213", fields: {instrument: rb2601, price: 3501, volume: 11}}
                  - {at: 1.01, kind: md_quote, direction: to_client, repeat: 3, every: 1ms, client: "198.51.100.{n}:50000", server: "10.50.0.5:9000", fields: {instrument: rb2601, price: 3501, volume: 11}}
                  - {at: 2, kind: md_quote, direction: to_client, client: "10.50.0.5:40000", server: "10.40.0.10:41213", fields: {instrument: rb2601, price: 3502, volume: 12}}
                  - {at: 2.01, kind: md_quote, direction: to_client, repeat: 3, every: 1ms, client: "198.51.100.{n}:50000", server: "10.50.0.5:9000", fields: {instrument: rb2601, price: 3502, volume: 12}}
                expect: {alerts: 1, group: {host: 10.50.0.5}, count: 3}
              - name: the broker's quote server sends the same tick to many clients
                events:
                  - {at: 0, kind: md_quote, direction: to_client, repeat: 9, every: 1ms, client: "10.60.0.{n}:50000", server: "10.40.0.10:41213", fields: {instrument: rb2601, price: 3500, volume: 10}}
                expect: {alerts: 0}
              - name: copies too late
                events:
                  - {at: 0, kind: md_quote, direction: to_client, client: "10.50.0.5:40000", server: "10.40.0.10:41213", fields: {instrument: rb2601, price: 3500, volume: 10}}
                  - {at: 2, kind: md_quote, direction: to_client, repeat: 3, every: 1ms, client: "198.51.100.{n}:50000", server: "10.50.0.5:9000", fields: {instrument: rb2601, price: 3500, volume: 10}}
                expect: {alerts: 0}
              - name: a listed quote server relaying is allowed
                site: {market_data: {quote_servers: [10.50.0.5]}}
                events:
                  - {at: 0, kind: md_quote, direction: to_client, client: "10.50.0.5:40000", server: "10.40.0.10:41213", fields: {instrument: rb2601, price: 3500, volume: 10}}
                  - {at: 0.01, kind: md_quote, direction: to_client, repeat: 3, every: 1ms, client: "198.51.100.{n}:50000", server: "10.50.0.5:9000", fields: {instrument: rb2601, price: 3500, volume: 10}}
                  - {at: 1, kind: md_quote, direction: to_client, client: "10.50.0.5:40000", server: "10.40.0.10:41213", fields: {instrument: rb2601, price: 3501, volume: 11}}
                  - {at: 1.01, kind: md_quote, direction: to_client, repeat: 3, every: 1ms, client: "198.51.100.{n}:50000", server: "10.50.0.5:9000", fields: {instrument: rb2601, price: 3501, volume: 11}}
                  - {at: 2, kind: md_quote, direction: to_client, client: "10.50.0.5:40000", server: "10.40.0.10:41213", fields: {instrument: rb2601, price: 3502, volume: 12}}
                  - {at: 2.01, kind: md_quote, direction: to_client, repeat: 3, every: 1ms, client: "198.51.100.{n}:50000", server: "10.50.0.5:9000", fields: {instrument: rb2601, price: 3502, volume: 12}}
                expect: {alerts: 0}
        """#)
}
