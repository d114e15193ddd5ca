// capgen: writes TapSentry's synthetic test captures and its benchmark capture.
//
//   capgen all --out DIR                 every synthetic capture into DIR
//   capgen NAME --out DIR                one of them (NAME from `capgen list`)
//   capgen list                          names, files and what each covers
//   capgen describe                      tab-separated: file, packets, covers, expected report
//   capgen bench --out FILE [--size-mb N] [--flows N] [--seed S]
//                                        N flows open at once (default 600 MB, 2000 flows);
//                                        build with -c release: 600 MB takes about 2 s
//   capgen fix-bench --out FILE [--size-mb N] [--sessions N] [--seed S]
//                                        FIX.4.4 order flow over N concurrent sessions
//                                        (default 600 MB, 2000 sessions)
//   capgen ctp-bench --out FILE [--size-mb N] [--sessions N] [--seed S]
//                                        CTP market data (RtnDepthMarketData) over N concurrent
//                                        market-data sessions (default 600 MB, 500 sessions)
//   capgen tdx-bench --out FILE [--size-mb N] [--sessions N] [--seed S]
//                                        TDX security quotes (compressed replies) over N
//                                        concurrent pytdx-style sessions (default 600 MB, 400)
//
// The FIX captures (fix-edgecases, fix-prefix-split, fix-resync) go into the `fix` subfolder
// under `all`, and write a ground-truth `.truth.json` next to the capture.
//   capgen mixed-bench --out FILE [--size-mb N] [--seed S] [--scenarios DIR] [--site FILE] [--rate-mb N]
//                                        the whole-pipeline benchmark: FIX, CTP and TDX sessions, TCP and
//                                        UDP noise and the abuse scenarios of DIR (default
//                                        Captures/scenarios) interleaved in time order (default 1100 MB,
//                                        N MB/s of traffic, default 10); writes the site file for it
//                                        (default FILE with .site.yaml for .pcap); the summary goes to
//                                        standard error
//   capgen to-pcapng --in FILE --out FILE

import PacketCapture
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Prints to standard error and exits with status 2.
func fail(_ message: String) -> Never {
    let text = Array("capgen: \(message)\n".utf8)
    _ = text.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    exit(2)
}

/// Prints a line to standard error.
func printError(_ message: String) {
    let text = Array("\(message)\n".utf8)
    _ = text.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
}

/// The value after `--name` in the arguments, if any.
func option(_ name: String, in arguments: [String]) -> String? {
    guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

/// Writes `bytes` to `path`, or stops the program.
func writeFile(_ bytes: [UInt8], to path: String) {
    do {
        let output = try CaptureOutput(path: path)
        output.write(bytes)
        try output.close()
    } catch {
        fail("\(error)")
    }
}

/// Writes one recipe's file (and its companions, such as a truth file) into `directory`.
func write(_ recipe: CaptureRecipe, into directory: String) {
    let capture = recipe.make()
    writeFile(capture.bytes, to: directory + "/" + recipe.file)
    for companion in capture.companions { writeFile(companion.bytes, to: directory + "/" + companion.name) }
    print("\(recipe.path)\t\(capture.packets) packets\t\(capture.bytes.count) bytes")
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// `capgen NAME --out FILE [--size-mb N] [--sessions N] [--seed N]` for the session benchmarks:
/// `write(targetBytes, sessions, seed, path, elapsed)` writes the capture and returns its summary
/// line (`elapsed` gives the seconds since the start).
func writeSessionBenchmark(
    _ name: String, _ arguments: [String], defaultSessions: Int,
    _ write: (Int, Int, UInt64, String, () -> Double) throws -> String
) {
    guard let path = option("out", in: arguments) else { fail("\(name) needs --out FILE") }
    let sizeMB = Int(option("size-mb", in: arguments) ?? "600") ?? 600
    let sessions = Int(option("sessions", in: arguments) ?? String(defaultSessions)) ?? defaultSessions
    let seed = UInt64(option("seed", in: arguments) ?? "1") ?? 1
    let started = monotonicSeconds()
    do {
        print(try write(sizeMB << 20, sessions, seed, path) { monotonicSeconds() - started })
    } catch {
        fail("\(error)")
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    fail("usage: capgen all|NAME|list|describe|bench|fix-bench|ctp-bench|tdx-bench|mixed-bench|to-pcapng ... (see Sources/capgen/main.swift)")
}

switch command {
case "list":
    for recipe in CaptureRecipe.all { print("\(recipe.name)\t\(recipe.path)\t\(recipe.covers)") }
case "describe":
    // file, name, packets, covers, expected, companion files (comma-separated, same folder)
    for recipe in CaptureRecipe.all {
        let capture = recipe.make()
        let companions = capture.companions.map { recipe.folder.isEmpty ? $0.name : recipe.folder + "/" + $0.name }
        print("""
            \(recipe.path)\t\(recipe.name)\t\(capture.packets)\t\(recipe.covers)\t\(capture.expected)\t\
            \(companions.joined(separator: ","))
            """)
    }
case "all":
    guard let directory = option("out", in: arguments) else { fail("all needs --out DIR") }
    for recipe in CaptureRecipe.all {
        var target = directory
        if !recipe.folder.isEmpty {
            target += "/" + recipe.folder
            if mkdir(target, 0o755) != 0 && errno != EEXIST { fail("cannot create \(target)") }
        }
        write(recipe, into: target)
    }
case "bench":
    guard let path = option("out", in: arguments) else { fail("bench needs --out FILE") }
    let sizeMB = Int(option("size-mb", in: arguments) ?? "600") ?? 600
    let flows = Int(option("flows", in: arguments) ?? "2000") ?? 2000
    let seed = UInt64(option("seed", in: arguments) ?? "1") ?? 1
    let generator = BenchmarkGenerator(targetBytes: sizeMB << 20, concurrentFlows: flows, seed: seed)
    do {
        let summary = try generator.write(to: path)
        print("""
            \(path): \(summary.fileBytes) bytes, \(summary.packets) packets, \(summary.flows) flows started \
            (\(summary.closedFlows) closed), \(summary.payloadBytes) payload bytes, \(summary.reordered) reordered, \
            \(summary.retransmitted) retransmitted
            """)
    } catch {
        fail("\(error)")
    }
case "fix-bench":
    writeSessionBenchmark("fix-bench", arguments, defaultSessions: 2000) {
        try FIXBenchmarkGenerator(targetBytes: $0, concurrentSessions: $1, seed: $2).write(to: $3).line(path: $3, seconds: $4())
    }
case "ctp-bench":
    writeSessionBenchmark("ctp-bench", arguments, defaultSessions: 500) {
        try CTPBenchmarkGenerator(targetBytes: $0, concurrentSessions: $1, seed: $2).write(to: $3).line(path: $3, seconds: $4())
    }
case "tdx-bench":
    writeSessionBenchmark("tdx-bench", arguments, defaultSessions: 400) {
        try TDXBenchmarkGenerator(targetBytes: $0, concurrentSessions: $1, seed: $2).write(to: $3).line(path: $3, seconds: $4())
    }
case "mixed-bench":
    guard let path = option("out", in: arguments) else { fail("mixed-bench needs --out FILE") }
    let sizeMB = Int(option("size-mb", in: arguments) ?? "1100") ?? 1100
    let rateMB = Int(option("rate-mb", in: arguments) ?? "10") ?? 10
    let site = option("site", in: arguments) ?? (path.hasSuffix(".pcap") ? String(path.dropLast(5)) : path) + ".site.yaml"
    let generator = MixedBenchmarkGenerator(
        targetBytes: sizeMB << 20, seed: UInt64(option("seed", in: arguments) ?? "1") ?? 1,
        scenarioDirectory: option("scenarios", in: arguments) ?? "Captures/scenarios", bytesPerSecond: max(1, rateMB) * 1_000_000)
    let started = monotonicSeconds()
    do {
        let summary = try generator.write(to: path, sitePath: site) { monotonicSeconds() - started }
        printError(summary.text(path: path, site: site))
    } catch {
        fail("\(error)")
    }
case "to-pcapng":
    guard let input = option("in", in: arguments), let output = option("out", in: arguments) else {
        fail("to-pcapng needs --in FILE --out FILE")
    }
    do {
        print("\(output)\t\(try PcapngConverter.convert(input: input, output: output)) packets")
    } catch {
        fail("\(error)")
    }
default:
    guard let recipe = CaptureRecipe.all.first(where: { $0.name == command }) else {
        fail("unknown command \(command); try `capgen list`")
    }
    guard let directory = option("out", in: arguments) else { fail("\(command) needs --out DIR") }
    write(recipe, into: directory)
}
