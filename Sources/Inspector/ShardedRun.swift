import CSupport
import EventOutput
import FlowTracking
import PacketCapture
import ProtocolKit
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A run on several cores: one reader, `workers` flow-sharded pipelines, and the merge.
///
/// The reader copies packets into large batches and computes each packet's symmetric flow hashes
/// once (the flow tables' hash, and the fixed-seed one that picks the worker: `Shard.pick`);
/// every batch goes to every worker. A worker handles the packets of its own flows (so all
/// packets of a flow meet in one place with their decoder and reassembly state), takes only the
/// time of the others (so that it ends idle flows at the same packets as a single table would),
/// and serialises its flow and event records itself. Each record carries its place in the run's
/// order (packet number, then the order one flow table ends flows in; see `TrackerMoment`); with
/// its trading events go the rules they reach (the stateless part of the rules,
/// `RuleEngine.match`). The merge, on the calling thread, takes the workers' records output by
/// output (one per batch, and the flows still held at the end a part at a time), puts them in
/// that order, and runs the stateful part of the rules (whose state spans flows) and the output,
/// so that the records are the same whatever the number of workers.
///
/// Memory is bounded: a fixed pool of batches, and short queues between the stages.
enum ShardedRun {
    /// Packets and bytes a batch holds at most. Small enough that a batch's packets, and the
    /// events a worker builds from them, are still in the cache when the next stage reads them:
    /// with 512 packets (256 KiB) a two-worker run took about 5 % less time than with 4,096
    /// (2 MiB), in interleaved runs on the mixed benchmark capture.
    static let batchPackets = 512
    static let batchBytes = 256 << 10
    /// Batches in flight (the reader waits for a free one): 20 MiB of packets. With this and
    /// `outputQueue` the worker whose flows are cheaper for a while may run that far ahead of the
    /// other (it otherwise waits, and a core idles): with 40 and 24, a two-worker run on the
    /// benchmark capture left a core idle about 8 % of the time, with 80 and 64 about 4 %
    /// (1.73x to 1.75x one worker in interleaved runs; peak 179 to 198 MB).
    static let batchPool = 80
    /// Free batches the reader, once it has waited for one, waits for before it reads on: it then
    /// reads that many in one go instead of waking (and taking a worker's CPU) for every batch
    /// the workers finish.
    static let poolRefill = 16
    /// Outputs of a worker the merge, once it has waited for that worker, waits for before it
    /// merges on (reading files: a live run merges each as it comes, so that records do not wait).
    static let outputRefill = 8
    /// Finished batches a worker may be ahead of the merge (see `batchPool`).
    static let outputQueue = 64
    /// Flows a worker ends per output at the end of the run.
    static let endingFlows = 1024
    /// Merged collections a worker keeps to fill again (more that come back at once are freed):
    /// two of the merge's bursts.
    static let keptCollections = 2 * outputRefill

    /// Runs `read` on a reader thread (it feeds packets to the `ShardFeed` it is given) and
    /// `configuration.workers` worker threads (kept on `configuration.workerCPUs` when it names
    /// CPUs: see `CPUPlacement`), and merges their records into `output` on this thread. Once all
    /// have finished, `complete` adds what the reader knows (files, live counters) to the counts,
    /// which then go into the `stats` record and are returned.
    static func run(
        configuration: InspectorConfiguration, output: EVEOutput?, live: Bool = false,
        read: @escaping @Sendable (ShardFeed) -> Void, complete: (inout RunStatistics) -> Void
    ) throws -> RunStatistics {
        let workers = configuration.workers
        let cpus = configuration.workerCPUs
        let sink = PipelineObserver(configuration: configuration, output: output)
        let seed = UInt64.random(in: 1...UInt64.max)
        let pool = BlockingQueue<PacketBatch>(capacity: batchPool)
        for _ in 0..<batchPool { pool.push(PacketBatch(pool: pool)) }
        var inputs: [BlockingQueue<PacketBatch?>] = []
        var outputs: [BlockingQueue<WorkerOutput>] = []
        // Merged outputs go back to their worker to be freed there: the merge thread is the one
        // that limits a sharded run, and freeing a batch's events is a good part of its work.
        var spent: [BlockingQueue<WorkerOutput>] = []
        var threads: [pthread_t] = []
        let pinned = Counter()
        for index in 0..<workers {
            let input = BlockingQueue<PacketBatch?>(capacity: batchPool)
            let results = BlockingQueue<WorkerOutput>(capacity: outputQueue)
            inputs.append(input)
            outputs.append(results)
            let recycled = BlockingQueue<WorkerOutput>(capacity: 2 * outputQueue + 4)
            spent.append(recycled)
            let shard = Shard(index: index, count: workers, seed: seed)
            let worker = ShardWorker(pipeline: Pipeline(configuration: configuration, shard: shard, engine: sink.engine))
            let cpu = cpus.flatMap { index < $0.count ? $0[index] : nil }
            let leavesToExit = configuration.processEndsWithRun
            threads.append(startThread {
                if let cpu, CPUPlacement.pin(to: cpu) { pinned.add() }
                worker.run(input: input, output: results, spent: recycled)
                if leavesToExit { leaveToExit(worker) }
            })
        }
        let feed = ShardFeed(pool: pool, workers: inputs, seed: seed)
        threads.append(startThread {
            read(feed)
            feed.close()
        })

        // The merge: each worker's records come in the run's order, output after output, so a
        // k-way merge of the workers' streams puts them all in it. Before a run of records is
        // taken, every worker that could still hand over a record before it has shown its next
        // record, or said that it has none that early (`WorkerOutput.complete`).
        var statistics = RunStatistics()
        let placeholder = WorkerOutput(records: ShardRecords(), complete: TrackerMoment(packet: 0, step: .ended), final: nil)
        var parts = [WorkerOutput](repeating: placeholder, count: workers)
        var cursors = [Int](repeating: 0, count: workers)
        var done = [Bool](repeating: false, count: workers)
        repeat {
            // Of the workers with no record at hand, the one whose next record could come first
            // is waited for, until the first record at hand comes before anything any of them
            // may still send. Always the one furthest behind: the others may be waiting for
            // batches that only its progress frees.
            while true {
                var behind = -1
                for index in 0..<workers where !done[index] && cursors[index] == parts[index].records.moments.count {
                    if behind < 0 || parts[index].complete < parts[behind].complete { behind = index }
                }
                guard behind >= 0 else { break }
                if let first = firstHead(parts, cursors: cursors), first < parts[behind].complete { break }
                var next = outputs[behind].pop(refill: live ? 1 : outputRefill)
                swap(&next, &parts[behind])
                cursors[behind] = 0
                // Handed back without a copy left here, so that the worker drops the last
                // reference (the first, an empty placeholder, gives it an empty collection).
                spent[behind].push(next)
                guard let counts = parts[behind].final else { continue }
                done[behind] = true
                if behind == 0 {
                    statistics.packets = counts.packets
                    statistics.bytes = counts.bytes
                    statistics.lastPacket = counts.lastPacket
                    statistics.fragments = counts.fragments
                }
                statistics.skipped.merge(counts.skipped)
                statistics.flows.merge(counts.flows)
                statistics.tcp.merge(counts.tcp)
                statistics.reassemblyMemoryPeak += counts.reassemblyMemoryPeak
                statistics.events &+= counts.events
                sink.engine?.countSkipped(parts[behind].skippedEvents)
            }
        } while mergeRun(parts, cursors: &cursors, done: done, into: sink)
        for thread in threads { pthread_join(thread, nil) }
        statistics.workerCPUs = pinned.value == workers ? cpus : nil
        complete(&statistics)
        try sink.throwIfFailed()
        statistics.recordsWritten = sink.records
        statistics.protocols = sink.protocolCounters
        statistics.alerts = sink.alertStatistics
        try sink.writeStats(statistics)
        if configuration.processEndsWithRun { leaveToExit(sink) }
        return statistics
    }

    /// Records the merge looks ahead to warm an event's field list (the event itself, twice as far).
    private static let eventLookahead = 4

    /// Where an event keeps the reference to its field list's storage (nil: not one plain
    /// reference, then field lists are not warmed).
    private static let fieldsOffset: Int? = {
        guard MemoryLayout<[(String, FieldValue)]>.size == MemoryLayout<UnsafeRawPointer>.size else { return nil }
        return MemoryLayout<TradingEvent>.offset(of: \TradingEvent.fields)
    }()

    /// Starts loading the event record `position` of `part` names, if it is one: the worker
    /// that built it ran on another core. The event itself (over three cache lines) is asked for
    /// `eventLookahead` records before its field list, whose address it holds.
    @inline(__always)
    private static func prefetchEventValue(_ part: ShardRecords, at position: Int) {
        guard case .event(let index) = part.records[position] else { return }
        part.events.withUnsafeBytes { events in
            let at = index &* MemoryLayout<TradingEvent>.stride
            guard at &+ MemoryLayout<TradingEvent>.size <= events.count, let base = events.baseAddress else { return }
            tapsentry_prefetch_range(base + at, MemoryLayout<TradingEvent>.size)
        }
    }

    /// Starts loading the field list of the event record `position` of `part` names, if it is
    /// one: the rules read the list at once. The list's storage is found from the event alone (its
    /// count would be read from the storage, the very line not yet loaded), and its first 512
    /// bytes are asked for.
    @inline(__always)
    private static func prefetchEvent(_ part: ShardRecords, at position: Int, fieldsOffset: Int) {
        guard case .event(let index) = part.records[position] else { return }
        part.events.withUnsafeBytes { events in
            let at = index &* MemoryLayout<TradingEvent>.stride &+ fieldsOffset
            guard at &+ MemoryLayout<UnsafeRawPointer>.size <= events.count,
                let storage = events.loadUnaligned(fromByteOffset: at, as: UnsafeRawPointer?.self)
            else { return }
            tapsentry_prefetch_range(storage, 512)
        }
    }

    /// The moment of the first record at hand, in any worker's part.
    private static func firstHead(_ parts: [WorkerOutput], cursors: [Int]) -> TrackerMoment? {
        var first: TrackerMoment?
        for index in parts.indices where cursors[index] < parts[index].records.moments.count {
            let head = parts[index].records.moments[cursors[index]]
            if first.map({ head < $0 }) ?? true { first = head }
        }
        return first
    }

    /// Replays the next run of records into `sink`: from the worker whose next record comes
    /// first in the run's order, its records up to the next record of another, or up to where a
    /// worker with none at hand may have more (each worker's are already in order). Every worker
    /// not done has a record at hand or has said it has none before the first one; false when no
    /// worker has a record.
    private static func mergeRun(
        _ parts: [WorkerOutput], cursors: inout [Int], done: [Bool], into sink: PipelineObserver
    ) -> Bool {
        var best = -1
        var limit: TrackerMoment?
        for index in parts.indices {
            guard cursors[index] < parts[index].records.moments.count else {
                if !done[index] && (limit.map { parts[index].complete < $0 } ?? true) { limit = parts[index].complete }
                continue
            }
            let head = parts[index].records.moments[cursors[index]]
            if best < 0 || head < parts[best].records.moments[cursors[best]] {
                if best >= 0 {
                    let displaced = parts[best].records.moments[cursors[best]]
                    if limit.map({ displaced < $0 }) ?? true { limit = displaced }
                }
                best = index
            } else if limit.map({ head < $0 }) ?? true {
                limit = head
            }
        }
        guard best >= 0 else { return false }
        let part = parts[best].records
        var position = cursors[best]
        let fieldsOffset = self.fieldsOffset
        part.bytes.withUnsafeBytes { bytes in
            repeat {
                if position + 2 * eventLookahead < part.records.count { prefetchEventValue(part, at: position + 2 * eventLookahead) }
                if let fieldsOffset, position + eventLookahead < part.records.count {
                    prefetchEvent(part, at: position + eventLookahead, fieldsOffset: fieldsOffset)
                }
                sink.replay(part.records[position], bytes: bytes, events: part.events, matches: part.matches)
                position += 1
            } while position < part.moments.count && (limit.map { part.moments[position] < $0 } ?? true)
        }
        cursors[best] = position
        return true
    }
}

/// What a worker hands the merge per batch (and per part of the flows it ends at the end): its
/// records, and at the end its counts.
struct WorkerOutput: @unchecked Sendable {
    var records: ShardRecords
    /// Every record the worker hands over later comes at or after this moment: after a batch, its
    /// next packet's; after a part of the end of the run, its last record's. So the merge can take
    /// another worker's records from before it without waiting for this worker's next output (a
    /// worker whose flows are quiet hands over empty outputs, and must not hold up the others).
    var complete: TrackerMoment
    var final: RunStatistics?
    /// At the end: the events the worker's decoders left unbuilt for the rules.
    var skippedEvents: UInt64 = 0
}

/// One worker: its pipeline and the loop over batches.
private final class ShardWorker: @unchecked Sendable {
    let pipeline: Pipeline
    /// Positions of this worker's packets in the current batch (reused).
    private var own: [Int32] = []
    /// Merged collections back from the merge, to be filled again.
    private var returned: [ShardRecords] = []

    init(pipeline: Pipeline) {
        self.pipeline = pipeline
        own.reserveCapacity(ShardedRun.batchPackets)
    }

    func run(input: BlockingQueue<PacketBatch?>, output: BlockingQueue<WorkerOutput>, spent: BlockingQueue<WorkerOutput>) {
        while let batch = input.pop() {
            process(batch)
            let complete = TrackerMoment(packet: batch.firstNumber &+ UInt64(batch.count), step: .ended)
            batch.release()
            // Merged collections come back in bursts (the merge takes `outputRefill` outputs at a
            // time). They are kept and filled again one per batch, their old events freed here, on
            // the thread that made them, one at a time as new events take their places. Freed
            // together, a burst's events overflowed the allocator's per-thread cache and went to
            // its shared lists, and the batches in between built theirs from there in new arrays.
            output.push(WorkerOutput(records: pipeline.takeCollected(reusing: reusable(spent)), complete: complete, final: nil))
        }
        // The flows still held end a part at a time, each part in an output of its own, so that
        // their records do not all wait for the merge at once (tens of thousands of flows at the
        // end of the benchmark capture: 28 MB of flow records, at the run's peak).
        while !pipeline.endSomeFlows(atMost: ShardedRun.endingFlows) {
            let part = pipeline.takeCollected(reusing: reusable(spent))
            let complete = part.moments.last ?? TrackerMoment(packet: .max, step: .ended)
            output.push(WorkerOutput(records: part, complete: complete, final: nil))
        }
        pipeline.endFlows()
        output.push(WorkerOutput(
            records: pipeline.takeCollected(), complete: TrackerMoment(packet: .max, step: .packet), final: pipeline.counts,
            skippedEvents: pipeline.skippedEvents))
        output.close()
    }

    /// A merged collection to fill again, if one came back (those that came back are taken in,
    /// up to `ShardedRun.keptCollections`).
    private func reusable(_ spent: BlockingQueue<WorkerOutput>) -> ShardRecords? {
        while let merged = spent.take() {
            if returned.count < ShardedRun.keptCollections { returned.append(merged.records) }
        }
        return returned.popLast()
    }

    /// Handles one batch: its own packets in full (warming the cache for each a few packets
    /// ahead, as the single-threaded loop does), the others' times only.
    private func process(_ batch: PacketBatch) {
        own.removeAll(keepingCapacity: true)
        let index = pipeline.shardIndex
        for position in 0..<batch.count {
            let entry = batch.entries[position]
            if entry.kind == .packet && entry.hasHash && Int(entry.owner) == index { own.append(Int32(position)) }
        }
        var next = 0
        for position in 0..<batch.count {
            let entry = batch.entries[position]
            let number = batch.firstNumber &+ UInt64(position)
            if entry.kind == .tick {
                pipeline.advance(to: entry.time, number: number)
                continue
            }
            if next < own.count && Int(own[next]) == position {
                if next + 6 < own.count { batch.prefetchBytes(Int(own[next + 6])) }
                if next + 3 < own.count { pipeline.prefetch(.index, hash: batch.entries[Int(own[next + 3])].hash) }
                if next + 2 < own.count { pipeline.prefetch(.record, hash: batch.entries[Int(own[next + 2])].hash) }
                if next + 1 < own.count { pipeline.prefetch(.receivers, hash: batch.entries[Int(own[next + 1])].hash) }
                next += 1
            }
            pipeline.process(batch.packet(position), number: number, flowHash: entry.hasHash ? entry.hash : nil, owner: Int(entry.owner))
        }
    }
}

/// The reader's end: packets go into the current batch, full batches to every worker.
final class ShardFeed: @unchecked Sendable {
    private let pool: BlockingQueue<PacketBatch>
    private let workers: [BlockingQueue<PacketBatch?>]
    private let seed: UInt64
    private var batch: PacketBatch?
    private var number: UInt64 = 0

    init(pool: BlockingQueue<PacketBatch>, workers: [BlockingQueue<PacketBatch?>], seed: UInt64) {
        self.pool = pool
        self.workers = workers
        self.seed = seed
    }

    /// Adds a packet (its bytes are copied).
    @inline(__always)
    func add(_ packet: CapturedPacket) {
        var hash: UInt64?
        var owner = 0
        let seed = self.seed
        let count = workers.count
        PacketDecoder.peek(packet.bytes, linkType: packet.linkType) { transport in
            let (table, pick) = FlowTracker.flowHashes(transport, seeds: seed, Shard.pickSeed)
            hash = table
            owner = Shard.pick(hash: pick, among: count)
        }
        // A packet larger than a batch's storage is cut to it (a batch holds 256 KiB, libpcap's
        // largest snapshot length for the link types decoded here).
        append { $0.append(packet, hash: hash, owner: owner) }
    }

    /// Lets packet time reach `time` without a packet (live capture between packets).
    func tick(_ time: Timestamp) {
        append { $0.appendTick(time) }
    }

    /// Runs `entry` on the current batch, and again on a fresh one when the current one is full
    /// (it then goes to the workers).
    @inline(__always)
    private func append(_ entry: (PacketBatch) -> Bool) {
        if batch == nil { batch = pool.pop(refill: ShardedRun.poolRefill) }
        if !entry(batch.unsafelyUnwrapped) {
            flush()
            batch = pool.pop(refill: ShardedRun.poolRefill)
            _ = entry(batch.unsafelyUnwrapped)
        }
    }

    /// Hands the current batch to the workers now (live capture, so that records do not wait for
    /// a batch to fill).
    func flush() {
        guard let full = batch, full.count > 0 else { return }
        batch = nil
        full.firstNumber = number
        number &+= UInt64(full.count)
        full.share(workers.count)
        for worker in workers { worker.push(full) }
    }

    /// The last batch, then the end, to every worker.
    func close() {
        flush()
        if let batch { pool.push(batch) }
        batch = nil
        for worker in workers { worker.push(nil) }
    }
}

/// Packets copied out of the reader's buffer into one block, with their flow hashes and workers; shared
/// read-only by the workers and back to the pool when the last is done with it.
final class PacketBatch: @unchecked Sendable {
    enum Kind: UInt8 {
        case packet, tick
    }

    struct Entry {
        var offset: Int32
        var length: Int32
        var wireLength: Int32
        var kind: Kind
        var hasHash: Bool
        var owner: UInt16
        var linkType: LinkType
        var time: Timestamp
        var hash: UInt64
    }

    let storage: UnsafeMutableRawPointer
    let entries: UnsafeMutablePointer<Entry>
    private(set) var count = 0
    private var used = 0
    var firstNumber: UInt64 = 0
    private let remaining = Atomic<Int>(0)
    private unowned let pool: BlockingQueue<PacketBatch>

    init(pool: BlockingQueue<PacketBatch>) {
        self.pool = pool
        storage = .allocate(byteCount: ShardedRun.batchBytes, alignment: 64)
        entries = .allocate(capacity: ShardedRun.batchPackets)
    }

    deinit {
        storage.deallocate()
        entries.deallocate()
    }

    /// Copies `packet` in; false when the batch is full.
    @inline(__always)
    func append(_ packet: CapturedPacket, hash: UInt64?, owner: Int) -> Bool {
        let length = min(packet.bytes.count, ShardedRun.batchBytes)
        guard count < ShardedRun.batchPackets, used + length <= ShardedRun.batchBytes else { return false }
        if length > 0, let base = packet.bytes.baseAddress { (storage + used).copyMemory(from: base, byteCount: length) }
        entries[count] = Entry(
            offset: Int32(used), length: Int32(length), wireLength: Int32(clamping: packet.wireLength), kind: .packet,
            hasHash: hash != nil, owner: UInt16(truncatingIfNeeded: owner), linkType: packet.linkType, time: packet.time,
            hash: hash ?? 0
        )
        count += 1
        // Each packet starts on an 8-byte boundary, as libpcap's do.
        used += (length + 7) & ~7
        return true
    }

    /// Adds a time tick; false when the batch is full.
    func appendTick(_ time: Timestamp) -> Bool {
        guard count < ShardedRun.batchPackets else { return false }
        entries[count] = Entry(
            offset: 0, length: 0, wireLength: 0, kind: .tick, hasHash: false, owner: 0, linkType: .ethernet, time: time, hash: 0)
        count += 1
        return true
    }

    /// Starts loading the first 2 KiB of the packet at `position` into this core's cache: the
    /// reader wrote it, often on the other core, and a worker's own packets are scattered through
    /// the batch, out of the hardware prefetcher's sight.
    @inline(__always)
    func prefetchBytes(_ position: Int) {
        let entry = entries[position]
        tapsentry_prefetch_range(storage + Int(entry.offset), min(Int(entry.length), 2048))
    }

    /// The packet at `position`.
    @inline(__always)
    func packet(_ position: Int) -> CapturedPacket {
        let entry = entries[position]
        return CapturedPacket(
            time: entry.time, bytes: UnsafeRawBufferPointer(start: storage + Int(entry.offset), count: Int(entry.length)),
            wireLength: Int(entry.wireLength), linkType: entry.linkType, sourceIndex: 0
        )
    }

    /// Hands the batch to `readers` workers.
    func share(_ readers: Int) {
        remaining.store(readers, ordering: .releasing)
    }

    /// One worker is done with the batch; the last one returns it to the pool, emptied.
    func release() {
        guard remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        count = 0
        used = 0
        pool.push(self)
    }
}

/// A bounded first-in first-out queue between threads: `push` waits while it is full, `pop`
/// while it is empty. A thread is woken only when what it waits for has come (room for a
/// producer; for a consumer, as many elements as it asked for): a wake-up that finds nothing to
/// do still costs the other thread its CPU for a while, and on a machine with as many busy
/// threads as cores, the work.
final class BlockingQueue<Element>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Consumers wait here, producers there.
    private let readable = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let writable = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var items: [Element?]
    private var head = 0
    private var count = 0
    /// Whether the producer has pushed its last element.
    private var closed = false
    private var readersWaiting = 0
    /// The fewest elements a waiting consumer waits for.
    private var readersWant = Int.max
    private var writersWaiting = 0

    init(capacity: Int) {
        items = Array(repeating: nil, count: max(1, capacity))
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(readable, nil)
        pthread_cond_init(writable, nil)
    }

    deinit {
        pthread_cond_destroy(readable)
        pthread_cond_destroy(writable)
        pthread_mutex_destroy(mutex)
        readable.deallocate()
        writable.deallocate()
        mutex.deallocate()
    }

    /// Adds `element` at the end (taking it over: the caller keeps no reference to release after
    /// a consumer may already have taken it).
    func push(_ element: consuming Element) {
        pthread_mutex_lock(mutex)
        while count == items.count {
            writersWaiting += 1
            pthread_cond_wait(writable, mutex)
            writersWaiting -= 1
        }
        items[(head + count) % items.count] = element
        count += 1
        if readersWaiting > 0 && count >= readersWant { pthread_cond_broadcast(readable) }
        pthread_mutex_unlock(mutex)
    }

    /// Says that nothing more will be pushed: a `pop` waiting for a refill takes what is there.
    func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(readable)
        pthread_mutex_unlock(mutex)
    }

    /// The first element, or nil at once when there is none.
    func take() -> Element? {
        pthread_mutex_lock(mutex)
        guard count > 0 else {
            pthread_mutex_unlock(mutex)
            return nil
        }
        let element = removeFirst()
        pthread_mutex_unlock(mutex)
        return element
    }

    /// The first element, waiting while the queue is empty; once it has had to wait, until
    /// `refill` elements are there or the producer has closed the queue (so that a thread that
    /// outruns the other side wakes once per `refill` elements, not once for each). A producer
    /// that stops pushing must close the queue, unless `refill` elements are always bound to come
    /// back (the pool of batches).
    func pop(refill: Int = 1) -> Element {
        pthread_mutex_lock(mutex)
        if count == 0 {
            let wanted = min(max(refill, 1), items.count)
            while count < wanted && !(closed && count > 0) {
                readersWaiting += 1
                readersWant = min(readersWant, wanted)
                pthread_cond_wait(readable, mutex)
                readersWaiting -= 1
                if readersWaiting == 0 { readersWant = Int.max }
            }
        }
        let element = removeFirst()
        pthread_mutex_unlock(mutex)
        return element
    }

    /// Takes the first element out (the lock held, the queue not empty) and wakes a producer
    /// waiting for room.
    private func removeFirst() -> Element {
        let element = items[head].unsafelyUnwrapped
        items[head] = nil
        head = (head + 1) % items.count
        count -= 1
        if writersWaiting > 0 { pthread_cond_signal(writable) }
        return element
    }
}

/// A count threads add to.
private final class Counter: Sendable {
    private let count = Atomic<Int>(0)

    func add() { count.add(1, ordering: .relaxed) }

    var value: Int { count.load(ordering: .relaxed) }
}

/// Starts `body` on a new thread.
private func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { context in
        let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    precondition(result == 0, "cannot start a thread (error \(result))")
    return thread
}
