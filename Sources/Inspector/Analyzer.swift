import EventOutput
import PacketCapture

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a run ended, for the exit status and the summary.
package struct RunOutcome: Sendable {
    /// The counts of the run.
    package var statistics: RunStatistics
    /// Errors and warnings about the inputs, in the order found.
    package var diagnostics: [CaptureDiagnostic]
    /// Wall-clock seconds the run took (terminal summary only; never in the EVE output).
    package var elapsedSeconds: Double

    /// 0 when every input was read, 2 when any input could not be used.
    package var exitStatus: Int32 {
        diagnostics.contains { if case .error = $0 { true } else { false } } ? 2 : 0
    }
}

/// Runs the pipeline over capture files (`tapsentry analyze`).
package enum Analyzer {
    /// Reads `inputs` (files, folders, `-`) in timestamp order through one pipeline.
    ///
    /// Problems with inputs go to `report` as they are found; `progress` is called now and then
    /// with (bytes read, total bytes) when given.
    package static func run(
        inputs: [String], configuration: InspectorConfiguration,
        report: @escaping (CaptureDiagnostic) -> Void,
        progress: ProgressDisplay? = nil
    ) throws -> RunOutcome {
        let clock = WallClock()
        var diagnostics: [CaptureDiagnostic] = []
        let reader = CaptureReader(inputs: inputs) { diagnostic in
            diagnostics.append(diagnostic)
            report(diagnostic)
        }
        let output = try configuration.evePath.map { try EVEOutput(path: $0) }
        let pipeline = Pipeline(configuration: configuration, output: output)
        var count = 0
        progress?.start(totalBytes: reader.totalBytes)
        while let packet = reader.next() {
            pipeline.process(packet)
            count &+= 1
            if count & 0xFFFF == 0, let progress {
                progress.update(bytesRead: reader.bytesRead, totalBytes: reader.totalBytes)
            }
        }
        progress?.finish()
        let failed = diagnostics.reduce(0) { if case .error = $1 { $0 + 1 } else { $0 } }
        let statistics = try pipeline.finish(files: reader.paths.count, filesFailed: failed)
        try output?.close()
        return RunOutcome(statistics: statistics, diagnostics: diagnostics, elapsedSeconds: clock.elapsed)
    }
}

/// Wall-clock time for the terminal's rate and progress figures only.
package struct WallClock {
    private let start: timespec

    /// Starts measuring now.
    package init() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        start = now
    }

    /// Seconds since `init`.
    package var elapsed: Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9
    }
}
