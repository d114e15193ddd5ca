import Testing
@testable import RuleEngine

@Test func exactCounterSlides() {
    let shape = CounterShape(threshold: 3, window: 1_000)
    var counter = WindowCounter()
    let step1 = counter.add(0, shape)
    #expect(!step1)
    let step2 = counter.add(500, shape)
    #expect(!step2)
    let step3 = counter.add(1_000, shape)
    #expect(!step3)  // 0 is a full window back
    let step4 = counter.add(1_400, shape)
    #expect(step4)   // 500, 1000, 1400
    #expect(counter.oldest(shape) == 500)
    counter.removeAll()
    #expect(counter.count(shape) == 0)
}

@Test func bucketedCounterCountsWithinAWindow() {
    // 100 events a window: bucketed (threshold over 64), 64 buckets of 1,000.
    let shape = CounterShape(threshold: 100, window: 64_000)
    var counter = WindowCounter()
    var crossed = false
    for index in 0..<99 { crossed = counter.add(Int64(index) * 1_000, shape) || crossed }
    #expect(!crossed)
    // By 99,000 the first 36 buckets have left the window: 63 events remain, plus this one.
    let step5 = counter.add(99_000, shape)
    #expect(!step5)
    #expect(counter.count(shape) == 64)
    var fast = WindowCounter()
    for index in 0..<99 { _ = fast.add(Int64(index), shape) }
    let step6 = fast.add(99, shape)
    #expect(step6)
    #expect(fast.oldest(shape) == 0)
}

@Test func evidenceStoreCapsEachSlot() {
    var store = EvidenceStore(cap: 2)
    store.add(.text("a"), slot: 0, at: 1)
    store.add(.text("b"), slot: 0, at: 2)
    store.add(.text("c"), slot: 0, at: 3)
    store.add(.text("a"), slot: 0, at: 4)
    store.add(.number(7), slot: 1, at: 5)
    #expect(store.values(0) == [.text("a"), .text("b")])
    #expect(store.more(0))
    #expect(!store.more(1))
    #expect(store.firstTime(0) == 1)
    store.evict(before: 3)  // b (last seen at 2) leaves; a was seen again at 4
    #expect(store.values(0) == [.text("a")])
    #expect(store.values(1) == [.number(7)])
}
