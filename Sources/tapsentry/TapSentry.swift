import ArgumentParser
import Inspector

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct TapSentry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapsentry",
        abstract: "Passive inspector for trading-interface abuse on broker networks.",
        discussion: """
            Reads packets from capture files or a live interface, rebuilds TCP streams, decodes \
            broker-API and futures-front protocols and writes Suricata-EVE-compatible JSON lines.
            """,
        version: "0.1.0",
        subcommands: [Analyze.self, Decode.self, Live.self, Rules.self]
    )
}

/// Options shared by `analyze` and `live`: output and limits.
struct PipelineOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Where to write EVE JSON lines ('-' for standard output).", valueName: "path"))
    var eve: String = "-"

    @Flag(name: .long, help: "Also write a record for every decoded protocol message (larger than the capture itself).")
    var events = false

    @Flag(name: .long, help: "Do not write a 'flow' record for each flow that ends.")
    var noFlowEvents = false

    @Flag(name: .long, help: "Leave 'community_id' out of the records.")
    var noCommunityId = false

    @Option(name: .long, help: "Flows held at once; past this the least recently active flow is evicted.")
    var maxFlows: Int = 100_000

    @Option(name: .long, help: "Seconds of packet time an open TCP flow may stay idle.")
    var tcpTimeout: Int64 = 600

    @Option(name: .long, help: "Seconds of packet time a UDP flow may stay idle.")
    var udpTimeout: Int64 = 60

    @Option(name: .long, help: "Out-of-order bytes each TCP direction may buffer (KiB).")
    var streamBufferKb: Int = 1024

    @Option(name: .long, help: "Memory all TCP reassembly buffers together may hold (MiB).")
    var reassemblyMemcapMb: Int = 64

    @Option(name: .long, help: ArgumentHelp("Flow-sharded worker threads (default: the number of cores; 1 runs everything on one thread).", valueName: "n"))
    var workers: Int = PipelineOptions.cores

    @Flag(inversion: .prefixedNo, help: "Keep each worker on a CPU of its own (when there are no more workers than CPUs this process may use).")
    var pinWorkers = true

    @OptionGroup var decoding: DecoderOptions

    @OptionGroup var detection: RuleOptions

    @Flag(name: .shortAndLong, help: "No summary on standard error.")
    var quiet = false

    /// The cores this process may run on (its affinity mask, so that `taskset` and cpusets count).
    static var cores: Int { CPUPlacement.allowedCPUs()?.count ?? max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    func validate() throws {
        guard (1...256).contains(workers) else { throw ValidationError("--workers must be between 1 and 256") }
        guard maxFlows > 0 else { throw ValidationError("--max-flows must be at least 1") }
        guard tcpTimeout > 0, udpTimeout > 0 else { throw ValidationError("timeouts must be at least 1 second") }
        guard streamBufferKb > 0, reassemblyMemcapMb > 0 else { throw ValidationError("buffer sizes must be positive") }
    }

    /// The run's configuration; fails with a message naming the file when a dictionary cannot be loaded.
    func makeConfiguration() throws -> InspectorConfiguration {
        var configuration = try decoding.makeConfiguration()
        configuration.evePath = eve
        configuration.flowEvents = !noFlowEvents
        configuration.messageEvents = events
        configuration.communityID = !noCommunityId
        configuration.flows.maxFlows = maxFlows
        configuration.flows.tcpIdleTimeout = tcpTimeout * 1_000_000_000
        configuration.flows.udpIdleTimeout = udpTimeout * 1_000_000_000
        configuration.flows.reassembly.maxBufferedBytes = streamBufferKb * 1024
        configuration.flows.reassemblyMemcap = reassemblyMemcapMb << 20
        configuration.rules = try detection.load()
        configuration.workers = workers
        configuration.pinWorkers = pinWorkers
        configuration.processEndsWithRun = true
        return configuration
    }
}

/// Which rules run and with which site registry (`analyze`, `live`, `rules list`).
struct RuleOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The site registry: home networks, licensed AppIDs, relay hosts, FIX sessions, market-data consumers (YAML).", valueName: "file"))
    var site: String?

    @Option(name: .long, help: ArgumentHelp("More rules: a YAML file, or a folder of them (repeatable).", valueName: "file|dir"))
    var rules: [String] = []

    @Flag(name: .long, help: "Leave out the built-in rule packs (only --rules run).")
    var noBuiltinRules = false

    @Flag(name: .long, help: "Run no rules at all (no alerts; decoders build trading events only for --events).")
    var noRules = false

    /// The rules to run, nil for none; prints every problem (file:line:column) and exits with 2.
    func load() throws -> RuleConfiguration? {
        if noRules { return nil }
        do {
            return try RuleConfiguration.load(builtIn: !noBuiltinRules, paths: rules, sitePath: site)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
    }
}

/// Options of the protocol decoders, shared by every command that decodes.
struct DecoderOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Protocol decoders to run, comma-separated, or 'none' (default: all).", valueName: "list"))
    var protocols: String?

    @Option(name: .long, help: ArgumentHelp("A QuickFIX-format XML dictionary for venue tags and repeating groups (repeatable; later files override).", valueName: "file"))
    var fixDictionary: [String] = []

    @Flag(name: .long, help: "Write FIX passwords and other secrets in clear instead of redacting them (CTP and TDX secrets are never written).")
    var showSecrets = false

    /// The `--protocols` names (nil: all).
    var protocolNames: [String]? {
        guard let protocols else { return nil }
        return protocols.split(separator: ",").map { String($0) }.filter { $0 != "none" }
    }

    func validate() throws {
        for name in protocolNames ?? [] where !InspectorConfiguration.protocolNames.contains(name) {
            throw ValidationError("unknown protocol '\(name)' in --protocols; known: \(InspectorConfiguration.protocolNames.joined(separator: ", ")), none")
        }
    }

    /// A configuration with these decoders; fails with a message naming the file when a
    /// dictionary cannot be loaded.
    func makeConfiguration() throws -> InspectorConfiguration {
        var configuration = InspectorConfiguration()
        do {
            try configuration.loadFIXDictionaries(fixDictionary)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        configuration.fix.showSecrets = showSecrets
        configuration.detector.decoders = configuration.decoders(named: protocolNames)
        return configuration
    }
}

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyze pcap/pcapng files, folders of them, or standard input.",
        discussion: """
            All inputs are merged in timestamp order and run through one pipeline, so flows that \
            span files stay whole. The built-in rules (and any --rules) run on the decoded trading \
            events, with the site registry of --site; their alerts are EVE 'alert' records. EVE \
            JSON lines go to --eve; the last line is always a 'stats' record. Exit status: 0 when every input was read (a truncated file is a warning), 2 when \
            an input could not be used (missing, unreadable, not a capture) — the others are still \
            processed.
            """
    )

    @Argument(help: ArgumentHelp("Capture files, folders of capture files, or '-' for standard input.", valueName: "file"))
    var inputs: [String]

    @OptionGroup var options: PipelineOptions

    @Flag(inversion: .prefixedNo, help: "Show a progress bar on a terminal for large inputs.")
    var progress = true

    func run() throws {
        try runAnalysis(inputs: inputs, configuration: try options.makeConfiguration(), quiet: options.quiet, progress: progress)
    }
}

/// Runs the pipeline over capture files, reports problems and the summary on standard error, and
/// exits with the run's status.
func runAnalysis(inputs: [String], configuration: InspectorConfiguration, quiet: Bool, progress: Bool) throws {
    let outcome: RunOutcome
    do {
        outcome = try Analyzer.run(
            inputs: inputs, configuration: configuration,
            report: { diagnostic in
                switch diagnostic {
                case .error(let error): printError("error: \(error)")
                case .warning(let source, let message): printError("warning: \"\(source)\": \(message)")
                }
            },
            progress: progress ? ProgressDisplay.forTerminal() : nil
        )
    } catch {
        printError("error: \(error)")
        throw ExitCode(2)
    }
    if !quiet {
        printError(Summary.render(outcome, evePath: configuration.evePath, statsRecord: configuration.statsRecord, rules: configuration.rules))
    }
    if outcome.exitStatus != 0 { throw ExitCode(outcome.exitStatus) }
}

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every decoded protocol message of captures as JSON lines.",
        discussion: """
            One line per message: the EVE flow fields, 'direction', the protocol's own object \
            ('fix': begin_string, msg_type, msg_seq_num, sender_comp_id, target_comp_id, \
            checksum_valid, body_length_valid, the fields by name, anomalies; 'ctp': tid, tid_name, \
            version, chain, series, sequence, request_id, front, api_version, the fields by name, \
            anomalies; 'tdx': frame, family, command, command_name, sequence, flag, sizes, \
            compressed, paired, client_fingerprint, the decoded body, anomalies) and the \
            normalised 'trading' object. No flow or stats records. Secrets are redacted (FIX: \
            unless --show-secrets).
            """
    )

    @Argument(help: ArgumentHelp("Capture files, folders of capture files, or '-' for standard input.", valueName: "file"))
    var inputs: [String]

    @Option(name: .long, help: ArgumentHelp("Where to write the JSON lines ('-' for standard output).", valueName: "path"))
    var eve: String = "-"

    @OptionGroup var decoding: DecoderOptions

    @Flag(name: .shortAndLong, help: "No summary on standard error.")
    var quiet = false

    func run() throws {
        var configuration = try decoding.makeConfiguration()
        configuration.evePath = eve
        configuration.flowEvents = false
        configuration.statsRecord = false
        configuration.messageEvents = true
        try runAnalysis(inputs: inputs, configuration: configuration, quiet: quiet, progress: false)
    }
}

struct Live: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect a live interface until SIGINT or SIGTERM.",
        discussion: """
            Opens the interface with libpcap (packets come in blocks, at most 100 ms late; \
            --immediate hands each over as it arrives). SIGINT (Ctrl-C) or SIGTERM stops the \
            capture cleanly: every flow is ended, the output flushed with its 'stats' record, \
            libpcap's received/dropped counters printed, and the exit status is 0. Capturing needs \
            root or the CAP_NET_RAW capability.
            """
    )

    @Option(name: .shortAndLong, help: "The interface to capture on (for example eth0, lo, any).")
    var interface: String

    @Option(name: .long, help: "A BPF filter expression, applied in the kernel.")
    var bpf: String?

    @Option(name: .long, help: "Bytes kept of each packet.")
    var snaplen: Int32 = 262_144

    @Option(name: .long, help: "Kernel capture buffer size in MiB.")
    var bufferMb: Int32 = 256

    @Flag(name: .long, help: "Do not put the interface in promiscuous mode.")
    var noPromisc = false

    @Flag(name: .long, help: "Hand over each packet as it arrives (lower latency, but on Linux the kernel buffer then holds far fewer packets).")
    var immediate = false

    @Option(name: .long, help: "Stop after this many packets.")
    var count: UInt64?

    @OptionGroup var options: PipelineOptions

    func run() throws {
        var capture = LiveCaptureOptions(interface: interface)
        capture.filter = bpf
        capture.snapshotLength = snaplen
        capture.bufferMegabytes = bufferMb
        capture.promiscuous = !noPromisc
        capture.immediate = immediate
        StopSignal.install()
        let configuration = try options.makeConfiguration()
        let outcome: RunOutcome
        do {
            let interface = interface
            outcome = try LiveRunner.run(options: capture, configuration: configuration, packetLimit: count, onReady: { live in
                if let warning = live.activationWarning { printError("warning: \"\(interface)\": \(warning)") }
                if !options.quiet {
                    let workers = configuration.workers == 1 ? "one thread" : "\(configuration.workers) workers"
                    printError("listening on \(interface), link type \(live.linkType), \(workers), \(bufferMb) MiB kernel buffer")
                }
            }, onDrops: { live in
                printError("warning: \"\(interface)\": the kernel has dropped \(live.dropped) packets so far (\(live.interfaceDropped) by the interface) of \(live.received) received: the capture is incomplete")
            })
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        for case let .warning(source, message) in outcome.diagnostics {
            printError("warning: \"\(source)\": \(message)")
        }
        if !options.quiet {
            printError(Summary.render(outcome, evePath: options.eve, rules: configuration.rules))
        }
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    var line = Array((text + "\n").utf8)
    line.withUnsafeMutableBytes { raw in
        _ = write(STDERR_FILENO, raw.baseAddress, raw.count)
    }
}

struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, check, test and export detection rules.",
        discussion: """
            Rules are YAML (see README.md, "Rules"). The built-in packs cover unlicensed relays, API \
            resale, market-data leakage and one hygiene rule per decoder anomaly.
            """,
        subcommands: [RulesList.self, RulesCheck.self, RulesTest.self, RulesFields.self, RulesExport.self]
    )
}

struct RulesList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the rules (built-in and --rules) and whether each runs with --site."
    )

    @OptionGroup var detection: RuleOptions

    @Option(name: .long, help: "Only this category (unlicensed-relay, api-resale, market-data-leakage, hygiene).")
    var category: String?

    @Flag(name: .shortAndLong, help: "Also print each rule's title, description, counting, suppression and source.")
    var verbose = false

    func run() throws {
        guard let rules = try detection.load() else { return }
        print(RuleTool.list(rules, verbose: verbose, category: category))
    }
}

struct RulesCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate rule files (and a site file), printing file:line:column for each problem.",
        discussion: "Exit status 0 when everything is valid, 1 otherwise. Ids and names must not collide with the built-in rules unless --no-builtin-rules."
    )

    @Argument(help: ArgumentHelp("Rule files or folders of them.", valueName: "file"))
    var files: [String] = []

    @Option(name: .long, help: ArgumentHelp("Also validate this site registry.", valueName: "file"))
    var site: String?

    @Flag(name: .long, help: "Check the files on their own, not together with the built-in rules.")
    var noBuiltinRules = false

    func run() throws {
        let report = RuleTool.check(paths: files, builtIn: !noBuiltinRules, sitePath: site)
        print(report.output)
        if !report.ok { throw ExitCode(1) }
    }
}

struct RulesTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the rules' own test cases (events in, alerts expected).",
        discussion: "With no files, the built-in rules' tests. Exit status 0 when every case passes, 1 otherwise."
    )

    @Argument(help: ArgumentHelp("Rule files or folders of them.", valueName: "file"))
    var files: [String] = []

    @Flag(name: .long, help: "Also test the built-in rules when files are given.")
    var builtin = false

    func run() throws {
        let report = RuleTool.test(paths: files, builtIn: files.isEmpty || builtin)
        print(report.output)
        if !report.ok { throw ExitCode(1) }
    }
}

struct RulesFields: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fields",
        abstract: "List the names rules may use: event kinds, protocols, fields with their types, site lists, detectors."
    )

    func run() throws {
        print(RuleTool.fields())
    }
}

struct RulesExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the built-in rule packs as YAML files into a folder (to read or adapt them)."
    )

    @Argument(help: ArgumentHelp("The folder (created if missing).", valueName: "dir"))
    var directory: String

    func run() throws {
        do {
            for path in try RuleTool.export(to: directory) { print(path) }
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}
