import Foundation
import Inspector
import Testing

/// Keeping workers on CPUs of their own (`--pin-workers`).
@Suite("CPU placement of workers")
struct CPUPlacementTests {
    @Test("workers are pinned only when each can have a CPU of its own, in the order the CPUs are allowed")
    func plan() {
        #expect(CPUPlacement.plan(workers: 2, allowed: [0, 1]) == [0, 1])
        #expect(CPUPlacement.plan(workers: 2, allowed: [2, 5, 7]) == [2, 5])
        #expect(CPUPlacement.plan(workers: 3, allowed: [0, 1]) == nil)
        #expect(CPUPlacement.plan(workers: 1, allowed: [0, 1]) == nil)
        #expect(CPUPlacement.plan(workers: 2, allowed: nil) == nil)
    }

    @Test("the CPUs this process may use are read from its affinity mask")
    func allowed() throws {
        let cpus = try #require(CPUPlacement.allowedCPUs())
        #expect(!cpus.isEmpty)
        #expect(cpus == Array(Set(cpus)).sorted())
        #expect(cpus.count <= ProcessInfo.processInfo.processorCount)
    }

    @Test("a pinned thread runs on its CPU only, moved when pinned again, and a CPU that does not exist is refused")
    func pin() throws {
        let cpus = try #require(CPUPlacement.allowedCPUs())
        let first = cpus[0]
        let last = cpus[cpus.count - 1]
        // On a thread of its own: the test runner's threads stay where they were.
        final class Result: @unchecked Sendable {
            var pinned = false
            var refused = false
            var onFirst: Set<Int?> = []
            var onLast: Set<Int?> = []
        }
        let result = Result()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            result.refused = !CPUPlacement.pin(to: 1 << 20)
            result.pinned = CPUPlacement.pin(to: first)
            for _ in 0..<100 {
                result.onFirst.insert(CPUPlacement.currentCPU)
                sched_yield()
            }
            result.pinned = result.pinned && CPUPlacement.pin(to: last)
            for _ in 0..<100 {
                result.onLast.insert(CPUPlacement.currentCPU)
                sched_yield()
            }
            done.signal()
        }
        thread.start()
        done.wait()
        #expect(result.refused)
        #expect(result.pinned)
        #expect(result.onFirst == [first])
        #expect(result.onLast == [last])
    }

    @Test("a two-worker run says which CPUs its workers kept to, and --no-pin-workers leaves them free")
    func runReportsPlacement() throws {
        guard let cpus = CPUPlacement.allowedCPUs(), cpus.count >= 2 else { return }
        let inputs = [ScenarioTests.folder + "/" + ScenarioTests.manifest.scenarios[0].capture]
        let pinned = try WorkerTests.run(inputs, workers: 2)
        #expect(pinned.outcome.workerCPUs == Array(cpus.prefix(2)))
        let free = try EndToEnd.analyze(inputs) { configuration in
            configuration.detector.decoders = configuration.builtInDecoders
            configuration.workers = 2
            configuration.pinWorkers = false
        }
        #expect(free.outcome.workerCPUs == nil)
    }
}
