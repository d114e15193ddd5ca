import ProtocolKit

/// An event sink for tests: keeps every event and every counter it is given.
package final class CollectingEventSink: EventSink {
    /// What the sink says it wants (everything by default).
    package var interest: EventInterest
    /// The events emitted, in order.
    package private(set) var events: [TradingEvent] = []
    /// Counters reported, added up by "protocol.name".
    package private(set) var counters: [String: UInt64] = [:]
    /// Events the decoders left unbuilt because the demand reads none of them.
    package private(set) var skippedEvents = 0

    /// A sink wanting `interest`.
    package init(interest: EventInterest = .all) {
        self.interest = interest
    }

    package func emit(_ event: consuming TradingEvent) { events.append(event) }

    package func skipped() { skippedEvents += 1 }

    package func count(protocol name: String, _ counters: [(String, UInt64)]) {
        for (counter, value) in counters { self.counters["\(name).\(counter)", default: 0] += value }
    }

    /// Forgets what was collected.
    package func reset() {
        events.removeAll()
        counters.removeAll()
        skippedEvents = 0
    }
}
