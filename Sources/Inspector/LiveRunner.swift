import EventOutput
import PacketCapture
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set by SIGINT or SIGTERM; the live loop checks it after every read.
private let stopRequested = Atomic<Bool>(false)

/// Stopping a live capture cleanly on SIGINT and SIGTERM.
package enum StopSignal {
    /// Installs the handlers (once, before the capture starts).
    package static func install() {
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
        // A parent may have started us with them blocked (the mask is inherited, for example from
        // a libdispatch worker thread); then the handlers would never run.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// Whether a stop was asked for.
    package static var isRequested: Bool { stopRequested.load(ordering: .relaxed) }

    /// Asks for a stop, as the signals do (for tests).
    package static func request() { stopRequested.store(true, ordering: .relaxed) }

    /// Clears a stop request, so another capture can run in the same process (for tests).
    package static func reset() { stopRequested.store(false, ordering: .relaxed) }
}

/// Runs the pipeline on a live interface (`tapsentry live`) until SIGINT/SIGTERM, a packet
/// count, or a read error.
package enum LiveRunner {
    /// Captures from `options.interface` until stopped; `onReady` is called once the capture is
    /// active (with libpcap's activation warning, if any).
    package static func run(
        options: LiveCaptureOptions, configuration: InspectorConfiguration, packetLimit: UInt64? = nil,
        onReady: (LiveCapture) -> Void = { _ in }
    ) throws -> RunOutcome {
        let clock = WallClock()
        let capture = try LiveCapture(options: options)
        let output = try configuration.evePath.map { try EVEOutput(path: $0) }
        let pipeline = Pipeline(configuration: configuration, output: output)
        var diagnostics: [CaptureDiagnostic] = []
        onReady(capture)
        var packets: UInt64 = 0
        var lastTime = Timestamp.zero
        var idleReads = 0
        loop: while !StopSignal.isRequested {
            switch capture.next() {
            case .packet(let packet):
                pipeline.process(packet)
                lastTime = packet.time
                packets &+= 1
                idleReads = 0
                if let packetLimit, packets >= packetLimit { break loop }
            case .timeout:
                // Packet time stands still without packets; let idle flows age by the read timeout.
                idleReads += 1
                if lastTime > .zero {
                    pipeline.advance(to: lastTime.adding(nanoseconds: Int64(idleReads) * Int64(options.readTimeoutMilliseconds) * 1_000_000))
                }
            case .stopped:
                break loop
            case .failed(let reason):
                diagnostics.append(.warning(source: options.interface, message: "capture stopped: \(reason)"))
                break loop
            }
        }
        let statistics = try pipeline.finish(files: 0, filesFailed: 0, live: capture.statistics)
        try output?.close()
        return RunOutcome(statistics: statistics, diagnostics: diagnostics, elapsedSeconds: clock.elapsed)
    }
}
