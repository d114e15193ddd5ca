#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SiteRegistry {
    /// Reads a site file; errors name the file, line and column.
    package init(contentsOf path: String) throws {
        let text = try RuleFiles.read(path)
        try self.init(yaml: text, file: path)
    }

    /// Reads site YAML (`file` names it in errors).
    package init(yaml text: String, file: String) throws {
        let documents = try YAMLNode.documents(text, file: file)
        guard documents.count == 1, let document = documents.first else {
            throw RuleError(.shape, file: file, line: 0, column: 0, "a site file holds exactly one YAML document (found \(documents.count))")
        }
        try self.init(node: document)
        source = file
    }

    /// Reads a site mapping (also the `site:` of a rule test).
    init(node: YAMLNode) throws {
        self.init()
        if node.isNull { return }
        let fields = try node.fields(
            "the site registry", allowed: ["home_networks", "licensed_apps", "relay_hosts", "fix_sessions", "market_data"]
        )
        if let value = fields["home_networks"] { homeNetworks = try Self.networks(value, "home_networks") }
        if let value = fields["relay_hosts"] { relayHosts = try Self.networks(value, "relay_hosts") }
        if let value = fields["licensed_apps"] {
            licensedApps = try value.sequence("licensed_apps").map { entry in
                let app = try entry.fields("a licensed_apps entry", allowed: ["app_id", "type", "hosts"], required: ["app_id", "type"])
                let typeNode = try app.required("type")
                let typeText = try typeNode.string("type")
                guard let type = AppType(rawValue: typeText) else {
                    throw typeNode.error(.badValue, "type must be one of \(AppType.allCases.map(\.rawValue).joined(separator: ", ")), not '\(typeText)'")
                }
                return LicensedApp(
                    appID: try app.required("app_id").string("app_id"), type: type,
                    hosts: try app["hosts"].map { try Self.networks($0, "hosts") }
                )
            }
        }
        if let value = fields["fix_sessions"] {
            fixSessions = try value.sequence("fix_sessions").map { entry in
                let session = try entry.fields(
                    "a fix_sessions entry", allowed: ["sender", "target", "accounts", "on_behalf_of", "deliver_to"],
                    required: ["sender", "target"]
                )
                return FIXSession(
                    sender: try session.required("sender").string("sender"),
                    target: try session.required("target").string("target"),
                    accounts: try session["accounts"]?.strings("accounts") ?? [],
                    onBehalfOf: try session["on_behalf_of"]?.strings("on_behalf_of") ?? [],
                    deliverTo: try session["deliver_to"]?.strings("deliver_to") ?? []
                )
            }
        }
        if let value = fields["market_data"] {
            let market = try value.fields("market_data", allowed: ["authorized_consumers", "quote_servers"])
            if let list = market["authorized_consumers"] { authorizedConsumers = try Self.networks(list, "authorized_consumers") }
            if let list = market["quote_servers"] { quoteServers = try Self.networks(list, "quote_servers") }
        }
    }

    private static func networks(_ node: YAMLNode, _ what: String) throws -> [IPNetwork] {
        if node.isNull { return [] }
        return try node.list(what).map { element in
            let text = try element.string("an element of \(what)")
            guard let network = IPNetwork(parsing: text) else {
                throw element.error(.badValue, "'\(text)' in \(what) is not an IP address or CIDR network")
            }
            return network
        }
    }
}

/// Reading rule and site files from disk.
package enum RuleFiles {
    /// The text of the file at `path`; a `RuleError` naming it when it cannot be read.
    package static func read(_ path: String) throws -> String {
        guard let file = fopen(path, "rb") else {
            throw RuleError(.unreadable, file: path, line: 0, column: 0, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count > 0 { bytes.append(contentsOf: buffer[0..<count]) }
            if count < buffer.count { break }
        }
        if ferror(file) != 0 {
            throw RuleError(.unreadable, file: path, line: 0, column: 0, "read error")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The rule files a path names: the file itself, or the `.yaml`/`.yml` files of a folder (not
    /// recursive), sorted by name.
    package static func expand(_ path: String) throws -> [String] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw RuleError(.unreadable, file: path, line: 0, column: 0, "cannot open: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return [path] }
        guard let directory = opendir(path) else {
            throw RuleError(.unreadable, file: path, line: 0, column: 0, "cannot list the folder: \(String(cString: strerror(errno)))")
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".yaml") || name.hasSuffix(".yml") { names.append(name) }
        }
        let base = path.hasSuffix("/") ? String(path.dropLast()) : path
        return names.sorted().map { "\(base)/\($0)" }
    }
}
