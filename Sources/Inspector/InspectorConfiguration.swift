import CTPProtocol
import FIXProtocol
import FlowTracking
import PacketCapture
import ProtocolKit
import TDXProtocol

/// Everything a run is configured with: limits, decoders and what to write.
package struct InspectorConfiguration: Sendable {
    /// Flow table and reassembly settings.
    package var flows = FlowTrackerConfiguration()
    /// IP fragment reassembly bounds.
    package var fragments = FragmentLimits()
    /// The protocol decoders and the probe limit.
    package var detector = ProtocolDetector(decoders: [])
    /// Where EVE JSON lines go (`-` for standard output, nil for nowhere).
    package var evePath: String? = "-"
    /// Whether to write a `flow` record for every flow that ends.
    package var flowEvents = true
    /// Whether to write every decoded message's record (`--events`, and always for `decode`).
    package var messageEvents = false
    /// Whether to end the output with the `stats` record.
    package var statsRecord = true
    /// Whether to add `community_id` to records.
    package var communityID = true
    /// The rules to run (nil: none; decoders then build trading events only for `--events`).
    package var rules: RuleConfiguration?
    /// Flow-sharded worker threads (1: the whole run on one thread; see `ShardedRun`).
    package var workers = 1
    /// Whether each worker keeps to a CPU of its own when there are CPUs enough (`CPUPlacement`).
    package var pinWorkers = true
    /// Whether the process ends with the run (the command line): the flow tables, decoders and
    /// rule groups are then left for the operating system to take back at exit instead of being
    /// freed object by object once the output is complete (tens of milliseconds on one thread
    /// after a large capture). A library caller that runs on keeps the default.
    package var processEndsWithRun = false

    /// The CPU each worker keeps to, or nil when they are left to the scheduler (one worker,
    /// `pinWorkers` off, or more workers than CPUs this process may use).
    package var workerCPUs: [Int]? {
        guard pinWorkers, workers > 1 else { return nil }
        return CPUPlacement.plan(workers: workers, allowed: CPUPlacement.allowedCPUs())
    }

    /// The defaults.
    package init() {}

    /// FIX decoder settings (dictionaries, secrets, size limit).
    package var fix = FIXOptions()

    /// CTP decoder settings (chain limits).
    package var ctp = CTPOptions()

    /// TDX decoder settings (body cap, pending requests, trading ports).
    package var tdx = TDXOptions()

    /// Loads QuickFIX-format XML dictionaries for the FIX decoder (later files override earlier
    /// ones); venue tags get names and repeating groups nest.
    package mutating func loadFIXDictionaries(_ paths: [String]) throws {
        guard !paths.isEmpty else { return }
        fix.dictionary = try FIXDictionary(loading: paths)
    }

    /// The decoders every run uses, with this configuration's settings: the one place that
    /// names each protocol.
    package var builtInDecoders: [any ProtocolDecoder] {
        [FIXDecoder(options: fix), CTPDecoder(options: ctp), TDXDecoder(options: tdx)]
    }

    /// The names of the built-in decoders (`fix`, `ctp`, `tdx`), for `--protocols`.
    package static var protocolNames: [String] {
        InspectorConfiguration().builtInDecoders.map(\.name)
    }

    /// The built-in decoders whose names are in `names` (all of them for nil; none for `[]`).
    package func decoders(named names: [String]?) -> [any ProtocolDecoder] {
        guard let names else { return builtInDecoders }
        return builtInDecoders.filter { names.contains($0.name) }
    }
}
