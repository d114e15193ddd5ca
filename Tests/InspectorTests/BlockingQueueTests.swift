import Foundation
import Testing

@testable import Inspector

/// The queues between a sharded run's threads: order kept, waits that end (a consumer waiting for
/// several elements, a producer waiting for room), and the end of a producer's elements.
@Suite("Blocking queue")
struct BlockingQueueTests {
    /// Pushes `values` into `queue` on another thread, then closes it when `close` is set.
    private static func produce(_ values: [Int], into queue: BlockingQueue<Int>, close: Bool) {
        let thread = Thread {
            for value in values { queue.push(value) }
            if close { queue.close() }
        }
        thread.start()
    }

    @Test("elements come out in the order they went in, through a queue smaller than the stream")
    func order() {
        let queue = BlockingQueue<Int>(capacity: 3)
        Self.produce(Array(0..<500), into: queue, close: false)
        let taken = (0..<500).map { _ in queue.pop() }
        #expect(taken == Array(0..<500))
    }

    @Test("a consumer that waits for a refill gets every element, in order, and the last ones once the producer closes")
    func refill() {
        let queue = BlockingQueue<Int>(capacity: 8)
        Self.produce(Array(0..<203), into: queue, close: true)
        // 203 is not a multiple of the refill: the last three come only because the queue closed.
        let taken = (0..<203).map { _ in queue.pop(refill: 8) }
        #expect(taken == Array(0..<203))
        #expect(queue.take() == nil)
    }

    @Test("a refill larger than the queue waits for a full queue, not forever")
    func refillPastCapacity() {
        let queue = BlockingQueue<Int>(capacity: 4)
        Self.produce(Array(0..<41), into: queue, close: true)
        let taken = (0..<41).map { _ in queue.pop(refill: 100) }
        #expect(taken == Array(0..<41))
    }
}
