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
    /// Flow-sharded workers the run used (1: one thread).
    package var workers = 1
    /// The CPU each worker kept to (nil: left to the scheduler; see `RunStatistics.workerCPUs`).
    package var workerCPUs: [Int]?

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
        progress?.start(totalBytes: reader.totalBytes)
        if configuration.workers > 1 {
            let shared = SharedReader(reader: reader, progress: progress)
            let statistics = try ShardedRun.run(configuration: configuration, output: output, read: { feed in
                var count = 0
                while let packet = shared.reader.next() {
                    feed.add(packet)
                    count &+= 1
                    if count & 0xFFFF == 0, let progress = shared.progress {
                        progress.update(bytesRead: shared.reader.bytesRead, totalBytes: shared.reader.totalBytes)
                    }
                }
            }, complete: { statistics in
                statistics.files = reader.paths.count
                statistics.filesFailed = failures(diagnostics)
            })
            progress?.finish()
            try output?.close()
            return RunOutcome(
                statistics: statistics, diagnostics: diagnostics, elapsedSeconds: clock.elapsed, workers: configuration.workers, workerCPUs: statistics.workerCPUs)
        }
        let pipeline = Pipeline(configuration: configuration, output: output)
        var count = 0
        // Packets are processed three behind the reader, so that the cache misses of a packet's
        // flow state are taken one step per packet ahead of time (see `FlowTracker.prefetch`).
        // libpcap reuses its buffer on every read, so the packets waiting are copies.
        let ahead = PacketLookahead()
        while let packet = reader.next() {
            ahead.push(packet, hash: pipeline.prefetchHash(packet))
            if let hash = ahead.hash(back: 0) { pipeline.prefetch(.index, hash: hash) }
            if let hash = ahead.hash(back: 1) { pipeline.prefetch(.record, hash: hash) }
            if let hash = ahead.hash(back: 2) { pipeline.prefetch(.receivers, hash: hash) }
            if let due = ahead.packet(back: 3) { pipeline.process(due, flowHash: ahead.hash(back: 3)) }
            count &+= 1
            if count & 0xFFFF == 0, let progress {
                progress.update(bytesRead: reader.bytesRead, totalBytes: reader.totalBytes)
            }
        }
        for back in (0..<3).reversed() {
            if let due = ahead.packet(back: back) { pipeline.process(due, flowHash: ahead.hash(back: back)) }
        }
        progress?.finish()
        let statistics = try pipeline.finish(files: reader.paths.count, filesFailed: failures(diagnostics))
        try output?.close()
        if configuration.processEndsWithRun { leaveToExit(pipeline) }
        return RunOutcome(statistics: statistics, diagnostics: diagnostics, elapsedSeconds: clock.elapsed)
    }
}

/// Keeps `object` (and all it holds) alive until the process exits: its memory goes back with the
/// process's, not object by object (`InspectorConfiguration.processEndsWithRun`).
func leaveToExit(_ object: AnyObject) {
    _ = Unmanaged.passRetained(object)
}

extension Analyzer {
    /// The inputs that could not be used.
    private static func failures(_ diagnostics: [CaptureDiagnostic]) -> Int {
        diagnostics.reduce(0) { if case .error = $1 { $0 + 1 } else { $0 } }
    }
}

/// The capture reader and progress display, used by the reader thread alone while a sharded run
/// goes on.
private final class SharedReader: @unchecked Sendable {
    let reader: CaptureReader
    let progress: ProgressDisplay?

    init(reader: CaptureReader, progress: ProgressDisplay?) {
        self.reader = reader
        self.progress = progress
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

/// The last four packets read, copied out of libpcap's buffer (which the next read overwrites),
/// with their flow hashes; each copy's storage grows to the largest packet and is reused. Kept in
/// raw memory: this runs for every packet, and arrays of copies cost reference counting.
private final class PacketLookahead {
    private struct Entry {
        var storage: UnsafeMutableRawPointer
        var capacity: Int
        var packet: CapturedPacket?
        var hash: UInt64?
    }

    private static let depth = 4
    private let entries: UnsafeMutablePointer<Entry>
    private var newest = depth - 1

    init() {
        entries = .allocate(capacity: Self.depth)
        for slot in 0..<Self.depth {
            (entries + slot).initialize(to: Entry(storage: .allocate(byteCount: 2048, alignment: 64), capacity: 2048))
        }
    }

    deinit {
        for slot in 0..<Self.depth { entries[slot].storage.deallocate() }
        entries.deinitialize(count: Self.depth)
        entries.deallocate()
    }

    /// Copies `packet` in as the newest, replacing the oldest.
    @inline(__always)
    func push(_ packet: CapturedPacket, hash: UInt64?) {
        newest = (newest + 1) & (Self.depth - 1)
        let entry = entries + newest
        let count = packet.bytes.count
        if count > entry.pointee.capacity {
            entry.pointee.storage.deallocate()
            entry.pointee.capacity = max(count, entry.pointee.capacity * 2)
            entry.pointee.storage = .allocate(byteCount: entry.pointee.capacity, alignment: 64)
        }
        if count > 0, let base = packet.bytes.baseAddress { entry.pointee.storage.copyMemory(from: base, byteCount: count) }
        var copy = packet
        copy.bytes = UnsafeRawBufferPointer(start: entry.pointee.storage, count: count)
        entry.pointee.packet = copy
        entry.pointee.hash = hash
    }

    /// The packet `back` places behind the newest (0: the newest), if one was pushed.
    @inline(__always)
    func packet(back: Int) -> CapturedPacket? { entries[(newest - back) & (Self.depth - 1)].packet }

    /// Its flow hash, if it has one.
    @inline(__always)
    func hash(back: Int) -> UInt64? { entries[(newest - back) & (Self.depth - 1)].hash }
}
