import ProtocolKit
import Testing
@testable import RuleEngine

@Test func exactCounterSlides() {
    var column = CounterColumn(shape: CounterShape(threshold: 3, window: 1_000))
    var counter = CounterSlot()
    let step1 = column.add(&counter, 0)
    #expect(!step1)
    let step2 = column.add(&counter, 500)
    #expect(!step2)
    let step3 = column.add(&counter, 1_000)
    #expect(!step3)  // 0 is a full window back
    let step4 = column.add(&counter, 1_400)
    #expect(step4)   // 500, 1000, 1400
    #expect(column.oldest(counter) == 500)
    column.reset(&counter)
    #expect(column.count(counter) == 0)
    // The freed run of times serves the next counter.
    var other = CounterSlot()
    _ = column.add(&other, 2_000)
    #expect(column.oldest(other) == 2_000)
}

@Test func bucketedCounterCountsWithinAWindow() {
    // 100 events a window: bucketed (threshold over 64), 64 buckets of 1,000.
    var column = CounterColumn(shape: CounterShape(threshold: 100, window: 64_000))
    var counter = CounterSlot()
    var crossed = false
    for index in 0..<99 { crossed = column.add(&counter, Int64(index) * 1_000) || crossed }
    #expect(!crossed)
    // By 99,000 the first 36 buckets have left the window: 63 events remain, plus this one.
    let step5 = column.add(&counter, 99_000)
    #expect(!step5)
    #expect(column.count(counter) == 64)
    var fast = CounterSlot()
    for index in 0..<99 { _ = column.add(&fast, Int64(index)) }
    let step6 = column.add(&fast, 99)
    #expect(step6)
    #expect(column.oldest(fast) == 0)
}

@Test func bucketedCounterDropsExpiredBuckets() {
    // Events further apart than the window: each finds every earlier bucket expired. The counter
    // holds the live bucket, not a list of dead ones (a burst rule's groups by the ten thousand).
    var column = CounterColumn(shape: CounterShape(threshold: 300, window: 64_000))
    var sparse = CounterSlot()
    for index in 0..<200 { _ = column.add(&sparse, Int64(index) * 100_000) }
    #expect(column.count(sparse) == 1)
    #expect(sparse.buckets.count <= 2)
    #expect(column.oldest(sparse) == Int64(19_900_000))
    // Events a bucket apart keep every bucket of the window, however long they run.
    var steady = CounterSlot()
    for index in 0..<1_000 { _ = column.add(&steady, Int64(index) * 1_000) }
    #expect(column.count(steady) == 64)
    #expect(steady.buckets.count - Int(steady.bucketStart) == 64)
    #expect(steady.buckets.count <= 128)
    #expect(column.oldest(steady) == Int64(936_000))
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

@Test func windowCountsCanonicallyEquivalentTextOnce() {
    // Past eight values the window looks values up by hash: "K" and the Kelvin sign (U+212A) are
    // equal text, so the second must find the first rather than count as a new value.
    var window = ValueWindow<RuleValue>(cap: 100)
    for index in 0..<9 { window.add(.text("A\(index)"), at: Int64(index)) }
    window.add(.text("K"), at: 10)
    window.add(.text("\u{212A}"), at: 11)
    #expect(window.count == 10)
    var key = RuleKey()
    key.append(.text("\u{212A}"))
    var plain = RuleKey()
    plain.append(.text("K"))
    #expect(key == plain)
    #expect(key.hash == plain.hash)
}

@Test func textHashFollowsCanonicalEquivalenceAtAnyLength() {
    // Text is hashed by its NFC bytes eight at a time: precomposed and decomposed forms of one
    // text, short or long, ASCII prefix or not, hash alike; texts that differ in their last word
    // (or only in length) do not.
    let pairs = [
        ("caf\u{E9}", "cafe\u{301}"),
        ("ACCOUNT-caf\u{E9}-0001", "ACCOUNT-cafe\u{301}-0001"),
        ("\u{212A}ELVIN-SUB-ACCOUNT", "KELVIN-SUB-ACCOUNT"),
    ]
    for (composed, decomposed) in pairs {
        #expect(composed == decomposed)
        #expect(RuleValue.text(composed).windowHash == RuleValue.text(decomposed).windowHash)
    }
    let distinct = ["", "a", "SUB-0001", "SUB-00010", "SUB-00011", "SUB-0001\0", "SUB-0001-LONGER-NAME"]
    #expect(Set(distinct.map { RuleValue.text($0).windowHash }).count == distinct.count)
}

@Test func listAddsMatchAddingEachValue() {
    // A client polls a few lists again and again (the remembered positions refresh the times),
    // with new values past the cap, repeats inside a list, evictions that move entries, and a
    // reset: adding each list whole must leave what adding its values one by one leaves.
    var seed: UInt64 = 0x9E37_79B9
    func next(_ bound: Int) -> Int {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int(truncatingIfNeeded: (seed >> 33) % UInt64(bound))
    }
    let lists: [[RuleValue]] = (0..<12).map { list in
        (0..<(3 + list % 6 * 4)).map { RuleValue.text("C\(list * 3 + $0 % (list % 6 + 2))") }
    }
    var whole = ValueWindow<RuleValue>(cap: 20)
    var single = ValueWindow<RuleValue>(cap: 20)
    var evictions = 0
    for step in 0..<2_000 {
        let time = Int64(step) * 10
        if next(10) == 0 {
            let before = single.count
            whole.evict(before: time - 100)
            single.evict(before: time - 100)
            if single.count < before { evictions += 1 }
        }
        if next(400) == 0 {
            whole.removeAll()
            single.removeAll()
        }
        let list = lists[next(lists.count)]
        whole.add(contentsOf: list, at: time)
        for value in list { single.add(value, at: time) }
        #expect(whole.entries.map(\.value) == single.entries.map(\.value))
        #expect(whole.entries.map(\.first) == single.entries.map(\.first))
        #expect(whole.entries.map(\.last) == single.entries.map(\.last))
        #expect(whole.more == single.more)
    }
    #expect(evictions > 20)
}

/// The list cache gives what a fresh conversion gives, whether the list is one it holds, a copy
/// of one, one changed after it was held, one of many that share a slot, or one too long to hold;
/// and a list it holds comes back as the very list converted before.
@Test func listCacheGivesFreshConversions() {
    let cache = RuleListCache()
    func codes(_ seed: Int, _ count: Int) -> [FieldValue] {
        (0..<count).map { .string("SH60\(seed)\($0)") }
    }
    let watchlist = codes(1, 80)
    let first = cache.value(of: watchlist)
    #expect(first == RuleValue(.array(watchlist)))
    // The same list again: the same converted list (compared by identity downstream).
    guard case .list(let once) = first, case .list(let again) = cache.value(of: watchlist) else {
        Issue.record("not a list")
        return
    }
    #expect(once.withUnsafeBufferPointer { $0.baseAddress } == again.withUnsafeBufferPointer { $0.baseAddress })
    // A list changed after it was held has storage of its own.
    var changed = watchlist
    changed[3] = .string("SZ000001")
    #expect(cache.value(of: changed) == RuleValue(.array(changed)))
    #expect(cache.value(of: watchlist) == RuleValue(.array(watchlist)))
    // Many lists of one length, more than the slots: each read back as itself, twice over.
    let lists = (0..<(RuleListCache.slots * 3)).map { codes($0, 12) }
    for _ in 0..<2 {
        for list in lists { #expect(cache.value(of: list) == RuleValue(.array(list))) }
    }
    // Objects and nulls left out; empty and over-long lists converted each time.
    let mixed: [FieldValue] = [.string("a"), .null, .object([("x", .int(1))]), .int(2)]
    #expect(cache.value(of: mixed) == .list([.text("a"), .number(2)]))
    #expect(cache.value(of: []) == .list([]))
    let long = codes(7, RuleListCache.longest + 1)
    #expect(cache.value(of: long) == RuleValue(.array(long)))
}
