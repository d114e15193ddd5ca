import ProtocolKit
import Testing

@Suite("Event kinds")
struct EventKindTests {
    @Test("kinds compare by name, inside the vocabulary (by position) and outside it")
    func equality() {
        #expect(EventKind(rawValue: "order_new") == .orderNew)
        #expect(EventKind(rawValue: "order_new") != .orderCancel)
        #expect(EventKind(rawValue: "custom_kind") == EventKind(rawValue: "custom_kind"))
        #expect(EventKind(rawValue: "custom_kind") != EventKind(rawValue: "other_kind"))
        #expect(EventKind(rawValue: "custom_kind") != .orderNew)
        #expect(EventKind.orderNew != EventKind(rawValue: "custom_kind"))
        var renamed = EventKind(rawValue: "custom_kind")
        renamed.rawValue = "execution"
        #expect(renamed == .execution)
        #expect(Set([EventKind.orderNew, EventKind(rawValue: "order_new"), EventKind(rawValue: "custom_kind")]).count == 2)
    }

    @Test("the vocabulary's kinds carry their position, as a kind made from the name does")
    func constantsKnowTheirPosition() {
        for (position, kind) in EventVocabulary.kinds.enumerated() {
            #expect(kind.index == position, "\(kind)")
            #expect(EventKind(rawValue: kind.rawValue).index == position, "\(kind)")
        }
        #expect(EventKind(rawValue: "custom_kind").index == -1)
    }
}
