import PacketCapture

/// The broker's own knowledge (`site.yaml`): home networks, licensed AppIDs, registered relay
/// hosts, FIX sessions with the accounts each may carry, and who may receive market data. Rules
/// test membership in its lists by name (`in_site: relay_hosts`). A key the file leaves out is
/// absent, which is not the same as an empty list: rules that need it are inactive or fall back to
/// default thresholds, and the summary says so.
package struct SiteRegistry: Sendable {
    /// The broker's own networks.
    package var homeNetworks: [IPNetwork]?
    /// The CTP AppIDs the broker issued.
    package var licensedApps: [LicensedApp]?
    /// Hosts allowed to serve many accounts.
    package var relayHosts: [IPNetwork]?
    /// Registered FIX sessions and the accounts and routing each may carry.
    package var fixSessions: [FIXSession]?
    /// Who may receive real-time quotes.
    package var authorizedConsumers: [IPNetwork]?
    /// The broker's quote servers.
    package var quoteServers: [IPNetwork]?
    /// Where the registry was read from (nil for none: the defaults).
    package var source: String?

    /// No site file: every key absent.
    package init() {}

    /// The type of a licensed AppID.
    package enum AppType: String, Sendable, CaseIterable {
        /// A client that connects to the broker itself.
        case direct
        /// A relay trading for many investors through one operator login (SubmitUserSystemInfo).
        case relayOneToMany = "relay_one_to_many"
        /// A relay opening one session per end client (RegisterUserSystemInfo).
        case relayManyToMany = "relay_many_to_many"
    }

    /// One AppID the broker issued.
    package struct LicensedApp: Sendable {
        /// The AppID.
        package var appID: String
        /// What it may do.
        package var type: AppType
        /// The hosts it may be used from (nil: any).
        package var hosts: [IPNetwork]?

        /// An AppID with every part given.
        package init(appID: String, type: AppType, hosts: [IPNetwork]? = nil) {
            self.appID = appID
            self.type = type
            self.hosts = hosts
        }
    }

    /// One registered FIX session (SenderCompID to TargetCompID of the client's messages).
    package struct FIXSession: Sendable {
        /// The client's SenderCompID.
        package var sender: String
        /// The broker's CompID (the client's TargetCompID).
        package var target: String
        /// Account (1) values it may carry.
        package var accounts: [String]
        /// OnBehalfOfCompID (115) values it may use.
        package var onBehalfOf: [String]
        /// DeliverToCompID (128) values it may use.
        package var deliverTo: [String]

        /// A session with every part given.
        package init(sender: String, target: String, accounts: [String] = [], onBehalfOf: [String] = [], deliverTo: [String] = []) {
            self.sender = sender
            self.target = target
            self.accounts = accounts
            self.onBehalfOf = onBehalfOf
            self.deliverTo = deliverTo
        }
    }

    /// The top-level keys, as written in the file (and in `requires_site`).
    package static let keys = [
        "home_networks", "licensed_apps", "relay_hosts", "fix_sessions",
        "market_data.authorized_consumers", "market_data.quote_servers",
    ]

    /// Whether the file gave `key` (one of `keys`).
    package func provides(_ key: String) -> Bool {
        switch key {
        case "home_networks": homeNetworks != nil
        case "licensed_apps": licensedApps != nil
        case "relay_hosts": relayHosts != nil
        case "fix_sessions": fixSessions != nil
        case "market_data.authorized_consumers": authorizedConsumers != nil
        case "market_data.quote_servers": quoteServers != nil
        default: false
        }
    }
}

/// A list of the site registry that rules name in `in_site` / `not_in_site`.
package struct SiteList: Sendable, Hashable {
    /// What the list holds.
    package enum Content: Sendable {
        /// Addresses and networks; the field must be an address.
        case networks
        /// Texts (AppIDs, accounts, CompIDs).
        case strings
    }

    /// The name rules use (`licensed_apps.relay`).
    package var name: String
    /// The site key it comes from (`licensed_apps`), for activation and the summary.
    package var siteKey: String
    /// Networks or texts.
    package var content: Content
    /// How many fields the lookup key has (0: the list is not keyed).
    package var keyArity: Int
    /// What it is, for `rules list` and the README.
    package var summary: String
    /// Its position in `all`, where lookups file its entries (so that no lookup hashes its name).
    package private(set) var index = -1

    package static func == (lhs: SiteList, rhs: SiteList) -> Bool { lhs.name == rhs.name }
    package func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// Every list, by name.
    package static let all: [SiteList] = {
        var lists = written
        for index in lists.indices { lists[index].index = index }
        return lists
    }()

    private static let written: [SiteList] = [
        SiteList(name: "home_networks", siteKey: "home_networks", content: .networks, keyArity: 0, summary: "the broker's own networks"),
        SiteList(name: "relay_hosts", siteKey: "relay_hosts", content: .networks, keyArity: 0, summary: "hosts allowed to serve many accounts"),
        SiteList(name: "licensed_apps", siteKey: "licensed_apps", content: .strings, keyArity: 0, summary: "every licensed AppID"),
        SiteList(name: "licensed_apps.direct", siteKey: "licensed_apps", content: .strings, keyArity: 0, summary: "AppIDs of type direct"),
        SiteList(name: "licensed_apps.relay", siteKey: "licensed_apps", content: .strings, keyArity: 0, summary: "AppIDs of either relay type"),
        SiteList(name: "licensed_apps.relay_one_to_many", siteKey: "licensed_apps", content: .strings, keyArity: 0, summary: "AppIDs of type relay_one_to_many"),
        SiteList(name: "licensed_apps.relay_many_to_many", siteKey: "licensed_apps", content: .strings, keyArity: 0, summary: "AppIDs of type relay_many_to_many"),
        SiteList(name: "licensed_apps.with_hosts", siteKey: "licensed_apps", content: .strings, keyArity: 0, summary: "AppIDs that list the hosts they may be used from"),
        SiteList(name: "licensed_apps.hosts", siteKey: "licensed_apps", content: .networks, keyArity: 1, summary: "hosts of the AppID named by the key"),
        SiteList(name: "fix_sessions.senders", siteKey: "fix_sessions", content: .strings, keyArity: 0, summary: "SenderCompIDs of registered sessions"),
        SiteList(name: "fix_sessions.targets", siteKey: "fix_sessions", content: .strings, keyArity: 1, summary: "TargetCompIDs registered for the SenderCompID named by the key"),
        SiteList(name: "fix_sessions.accounts", siteKey: "fix_sessions", content: .strings, keyArity: 2, summary: "accounts of the session named by the key [sender, target]"),
        SiteList(name: "fix_sessions.on_behalf_of", siteKey: "fix_sessions", content: .strings, keyArity: 2, summary: "OnBehalfOfCompIDs of the session [sender, target]"),
        SiteList(name: "fix_sessions.deliver_to", siteKey: "fix_sessions", content: .strings, keyArity: 2, summary: "DeliverToCompIDs of the session [sender, target]"),
        SiteList(name: "market_data.authorized_consumers", siteKey: "market_data.authorized_consumers", content: .networks, keyArity: 0, summary: "who may receive real-time quotes"),
        SiteList(name: "market_data.quote_servers", siteKey: "market_data.quote_servers", content: .networks, keyArity: 0, summary: "the broker's quote servers"),
    ]

    /// The list named `name`, if any.
    package static func named(_ name: String) -> SiteList? { all.first { $0.name == name } }
}

/// The site registry's lists in the form lookups want, built once per run. A class, so that
/// handing it to every predicate of every rule copies (and retains) none of the registry's lists.
package final class SiteIndex: Sendable {
    /// Where one list's entries go while the index is built: the list and, for keyed lists, the
    /// key's values (lists take at most two; missing parts are empty).
    private struct Place: Hashable, Sendable {
        var list: String
        var first = ""
        var second = ""

        init(_ list: String, _ key: [String] = []) {
            self.list = list
            if key.count > 0 { first = key[0] }
            if key.count > 1 { second = key[1] }
        }
    }

    /// The values of a keyed list's key (missing parts are empty).
    private struct Key: Hashable, Sendable {
        var first: String
        var second: String

        /// One word of `RuleValue.textHash` for both parts: a FIX order's keyed test
        /// (`target` under its `sender`) hashed two strings with SipHash, about 400 instructions each.
        func hash(into hasher: inout Hasher) {
            hasher.combine(mix64(RuleValue.textHash(first) ^ mix64(RuleValue.textHash(second))))
        }
    }

    /// A keyed list's entries by key. A site names a few FIX sessions and hosted AppIDs, and most
    /// events' keys are none of them (a FIX order's sender on a list of two): up to `scanned` keys
    /// are compared in turn (two short strings compare by their bits), more are hashed.
    private struct Keyed<Entries: Sendable>: Sendable {
        private var keys: [Key] = []
        private var values: [Entries] = []
        private var table: [Key: Entries]?
        static var scanned: Int { 16 }

        init(_ entries: [Key: Entries]) {
            if entries.count > Self.scanned {
                table = entries
            } else {
                for (key, value) in entries {
                    keys.append(key)
                    values.append(value)
                }
            }
        }

        /// The entries under the key `first`, `second`.
        @inline(__always)
        func callAsFunction<Result>(_ first: String, _ second: String, _ read: (Entries) -> Result) -> Result? {
            if let table { return table[Key(first: first, second: second)].map(read) }
            for index in keys.indices where keys[index].first == first && keys[index].second == second {
                return read(values[index])
            }
            return nil
        }
    }

    /// The registry.
    package let registry: SiteRegistry
    /// By list (`SiteList.index`): an unkeyed list's entries, and a keyed list's entries by key,
    /// so that a lookup hashes the key's values at most, never the list's name.
    private let strings: [Set<String>?]
    private let keyedStrings: [Keyed<Set<String>>]
    private let networks: [[IPNetwork]?]
    private let keyedNetworks: [Keyed<[IPNetwork]>]

    /// The index of `registry`.
    package init(_ registry: SiteRegistry) {
        self.registry = registry
        var strings: [Place: Set<String>] = [:]
        var networks: [Place: [IPNetwork]] = [:]
        if let apps = registry.licensedApps {
            strings[Place("licensed_apps")] = Set(apps.map(\.appID))
            strings[Place("licensed_apps.direct")] = Set(apps.filter { $0.type == .direct }.map(\.appID))
            strings[Place("licensed_apps.relay")] = Set(apps.filter { $0.type != .direct }.map(\.appID))
            strings[Place("licensed_apps.relay_one_to_many")] = Set(apps.filter { $0.type == .relayOneToMany }.map(\.appID))
            strings[Place("licensed_apps.relay_many_to_many")] = Set(apps.filter { $0.type == .relayManyToMany }.map(\.appID))
            strings[Place("licensed_apps.with_hosts")] = Set(apps.filter { $0.hosts != nil }.map(\.appID))
            for app in apps { networks[Place("licensed_apps.hosts", [app.appID]), default: []] += app.hosts ?? [] }
        }
        if let sessions = registry.fixSessions {
            strings[Place("fix_sessions.senders")] = Set(sessions.map(\.sender))
            for session in sessions {
                strings[Place("fix_sessions.targets", [session.sender]), default: []].insert(session.target)
                let key = [session.sender, session.target]
                strings[Place("fix_sessions.accounts", key), default: []].formUnion(session.accounts)
                strings[Place("fix_sessions.on_behalf_of", key), default: []].formUnion(session.onBehalfOf)
                strings[Place("fix_sessions.deliver_to", key), default: []].formUnion(session.deliverTo)
            }
        }
        networks[Place("home_networks")] = registry.homeNetworks
        networks[Place("relay_hosts")] = registry.relayHosts
        networks[Place("market_data.authorized_consumers")] = registry.authorizedConsumers
        networks[Place("market_data.quote_servers")] = registry.quoteServers
        (self.strings, keyedStrings) = SiteIndex.byList(strings)
        (self.networks, keyedNetworks) = SiteIndex.byList(networks)
    }

    /// The entries of `places` by list position: unkeyed lists' entries, and keyed lists'
    /// entries by key.
    private static func byList<Entries>(_ places: [Place: Entries]) -> ([Entries?], [Keyed<Entries>]) {
        let lists = SiteList.all
        let positions = Dictionary(uniqueKeysWithValues: lists.map { ($0.name, $0.index) })
        var unkeyed = [Entries?](repeating: nil, count: lists.count)
        var keyed = [[Key: Entries]](repeating: [:], count: lists.count)
        for (place, entries) in places {
            guard let position = positions[place.list] else { continue }
            if lists[position].keyArity == 0 {
                unkeyed[position] = entries
            } else {
                keyed[position][Key(first: place.first, second: place.second)] = entries
            }
        }
        return (unkeyed, keyed.map(Keyed.init))
    }

    /// Whether the text `value` is in the list `list` (under `key` for keyed lists).
    package func contains(_ value: String, in list: SiteList, key: [String]) -> Bool {
        contains(value, inList: list.index, keyArity: list.keyArity, first: key.count > 0 ? key[0] : "", second: key.count > 1 ? key[1] : "")
    }

    /// Whether `address` is in the list `list` (under `key` for keyed lists).
    package func contains(_ address: IPAddress, in list: SiteList, key: [String]) -> Bool {
        contains(address, inList: list.index, keyArity: list.keyArity, first: key.count > 0 ? key[0] : "", second: key.count > 1 ? key[1] : "")
    }

    /// `contains(_:in:key:)` for the list at `index` (`SiteList.index`) taking `keyArity` key
    /// fields, the key's values given apart (empty when the list takes fewer): what a rule's
    /// compiled test keeps of the list, so that a lookup copies no list and builds no array.
    func contains(_ value: String, inList index: Int, keyArity: Int, first: String, second: String) -> Bool {
        guard index >= 0 && index < strings.count else { return false }
        if keyArity == 0 { return strings[index]?.contains(value) ?? false }
        return keyedStrings[index](first, second) { $0.contains(value) } ?? false
    }

    /// The same for an address.
    func contains(_ address: IPAddress, inList index: Int, keyArity: Int, first: String, second: String) -> Bool {
        guard index >= 0 && index < networks.count else { return false }
        if keyArity == 0 { return networks[index]?.contains { $0.contains(address) } ?? false }
        return keyedNetworks[index](first, second) { $0.contains { $0.contains(address) } } ?? false
    }
}
