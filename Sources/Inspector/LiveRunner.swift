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
    /// active (with libpcap's activation warning, if any). `onDrops` hears the kernel's drop count
    /// whenever it has grown (checked about once a second), so that a terminal learns of it while
    /// the capture runs.
    package static func run(
        options: LiveCaptureOptions, configuration: InspectorConfiguration, packetLimit: UInt64? = nil,
        onReady: (LiveCapture) -> Void = { _ in }, onDrops: @escaping @Sendable (LiveCaptureStatistics) -> Void = { _ in }
    ) throws -> RunOutcome {
        let clock = WallClock()
        let capture = try LiveCapture(options: options)
        let output = try configuration.evePath.map { try EVEOutput(path: $0) }
        onReady(capture)
        let loop = CaptureLoop(capture: capture, options: options, packetLimit: packetLimit, onDrops: onDrops)
        if configuration.workers > 1 {
            let statistics = try ShardedRun.run(configuration: configuration, output: output, live: true, read: { feed in
                loop.run(packet: { feed.add($0) }, idle: { time in
                    feed.tick(time)
                    feed.flush()
                }, due: { feed.flush() })
            }, complete: { statistics in
                statistics.live = capture.statistics
            })
            try output?.close()
            return RunOutcome(
                statistics: statistics, diagnostics: loop.diagnostics, elapsedSeconds: clock.elapsed, workers: configuration.workers,
                workerCPUs: statistics.workerCPUs)
        }
        let pipeline = Pipeline(configuration: configuration, output: output)
        loop.run(packet: { pipeline.process($0) }, idle: { pipeline.advance(to: $0) }, due: {})
        let statistics = try pipeline.finish(files: 0, filesFailed: 0, live: capture.statistics)
        try output?.close()
        if configuration.processEndsWithRun { leaveToExit(pipeline) }
        return RunOutcome(statistics: statistics, diagnostics: loop.diagnostics, elapsedSeconds: clock.elapsed)
    }
}

/// The read loop of a live capture, for one pipeline or for the reader of a sharded run.
private final class CaptureLoop: @unchecked Sendable {
    let capture: LiveCapture
    let options: LiveCaptureOptions
    let packetLimit: UInt64?
    let onDrops: @Sendable (LiveCaptureStatistics) -> Void
    private(set) var diagnostics: [CaptureDiagnostic] = []

    init(capture: LiveCapture, options: LiveCaptureOptions, packetLimit: UInt64?, onDrops: @escaping @Sendable (LiveCaptureStatistics) -> Void) {
        self.capture = capture
        self.options = options
        self.packetLimit = packetLimit
        self.onDrops = onDrops
    }

    /// Reads until stopped: `packet` for each packet; `idle` with the packet time to move to when
    /// a read times out (packet time stands still without packets, so idle flows age by the read
    /// timeout); `due` about every 100 ms of wall-clock time while packets flow (a sharded run
    /// hands its batch on, so that records do not wait for a batch to fill).
    func run(packet: (CapturedPacket) -> Void, idle: (Timestamp) -> Void, due: () -> Void) {
        var packets: UInt64 = 0
        var lastTime = Timestamp.zero
        var idleReads = 0
        var reportedDrops: UInt64 = 0
        var lastCheck = WallClock()
        loop: while !StopSignal.isRequested {
            switch capture.next() {
            case .packet(let read):
                packet(read)
                lastTime = read.time
                packets &+= 1
                idleReads = 0
                if let packetLimit, packets >= packetLimit { break loop }
                if packets & 0x3F == 0, lastCheck.elapsed >= 0.1 {
                    due()
                    lastCheck = WallClock()
                    reportedDrops = checkDrops(reported: reportedDrops)
                }
            case .timeout:
                idleReads += 1
                if lastTime > .zero {
                    idle(lastTime.adding(nanoseconds: Int64(idleReads) * Int64(options.readTimeoutMilliseconds) * 1_000_000))
                }
                reportedDrops = checkDrops(reported: reportedDrops)
            case .stopped:
                break loop
            case .failed(let reason):
                diagnostics.append(.warning(source: options.interface, message: "capture stopped: \(reason)"))
                break loop
            }
        }
        _ = checkDrops(reported: reportedDrops)
    }

    /// Tells `onDrops` when the kernel's drop counts have grown past `reported`; returns the new
    /// total.
    private func checkDrops(reported: UInt64) -> UInt64 {
        guard let statistics = capture.statistics else { return reported }
        let dropped = statistics.dropped &+ statistics.interfaceDropped
        guard dropped > reported else { return reported }
        onDrops(statistics)
        return dropped
    }
}
