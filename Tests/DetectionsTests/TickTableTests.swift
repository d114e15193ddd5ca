import PacketCapture
import Testing
import TestSupport

@testable import Detections

/// The quote fan-out detector's tick table against a `Dictionary` doing the same operations:
/// random ticks from a small range (so that probe runs collide, wrap and shift back), the limit
/// reached and left, conditional removals that hit and miss.
@Test func tickTableMatchesDictionary() {
    var generator = SeededGenerator(seed: 7)
    for limit in [3, 40, 1024] {
        var table = TickTable()
        var reference: [UInt64: TickTable.Entry] = [:]
        for step in 0..<20_000 {
            // Ticks from a few hundred values, some of them multiples of a power of two (same home slot).
            let raw = generator.next() % 300
            let tick = raw % 3 == 0 ? raw << 58 : raw &* 0x1234_5678_9ABC_DEF1
            let time = Int64(generator.next() % 8)
            switch generator.next() % 3 {
            case 0, 1:
                let entry = TickTable.Entry(time: time, flow: UInt64(step), sender: IPAddress(high: 0, low: UInt64(step)))
                let allowed = reference.count < limit || reference[tick] != nil
                #expect(table.set(tick, entry, limit: limit) == allowed)
                if allowed { reference[tick] = entry }
            default:
                table.remove(tick, ifTime: time)
                if reference[tick]?.time == time { reference[tick] = nil }
            }
            #expect(table.count == reference.count)
            if step % 97 == 0 {
                for key in reference.keys { #expect(table.entry(key)?.flow == reference[key]?.flow) }
            }
            #expect(table.entry(tick)?.flow == reference[tick]?.flow)
        }
    }
}

