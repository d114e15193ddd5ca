import CSupport

/// Where a sharded run's workers run. A worker kept on one CPU keeps its flow tables, reassembly
/// buffers and decoder state in that CPU's caches; left to the scheduler, workers move between
/// CPUs and take those misses again (on the 2-core benchmark machine, two workers took 3 to 6 %
/// less time pinned than unpinned). The reader and the merge are left free, to run
/// wherever a CPU is idle.
package enum CPUPlacement {
    /// The CPUs this process may run on (its affinity mask, which `taskset` and cgroup cpusets
    /// narrow), in ascending order; nil when the system does not say.
    package static func allowedCPUs() -> [Int]? {
        var cpus = [Int32](repeating: 0, count: 1024)
        let count = Int(tapsentry_allowed_cpus(&cpus, Int32(cpus.count)))
        guard count > 0 else { return nil }
        return cpus.prefix(min(count, cpus.count)).map(Int.init)
    }

    /// The CPU for each of `workers` workers, or nil to leave them to the scheduler: workers are
    /// pinned only when each can have a CPU of its own among `allowed`.
    package static func plan(workers: Int, allowed: [Int]?) -> [Int]? {
        guard workers > 1, let allowed, workers <= allowed.count else { return nil }
        return Array(allowed.prefix(workers))
    }

    /// Keeps the calling thread on `cpu` from now on; false when the system refuses (the thread
    /// then runs wherever the scheduler puts it, as before).
    @discardableResult
    package static func pin(to cpu: Int) -> Bool {
        tapsentry_pin_thread(Int32(cpu)) == 0
    }

    /// The CPU the calling thread runs on at this moment (nil when the system does not say).
    package static var currentCPU: Int? {
        let cpu = tapsentry_current_cpu()
        return cpu >= 0 ? Int(cpu) : nil
    }
}
