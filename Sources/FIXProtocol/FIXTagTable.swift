/// A table keyed by tag number: an array for tags below `denseLimit` (every standard tag and the
/// usual venue ranges), a dictionary above.
struct FIXTagTable<Value: Sendable>: Sendable {
    /// Tags below this are stored in the array.
    static var denseLimit: Int { 16_384 }

    private var dense: [Value?] = []
    private var sparse: [Int: Value] = [:]

    /// An empty table.
    init() {}

    /// The value for `tag`.
    subscript(tag: Int) -> Value? {
        @inline(__always)
        get {
            if tag >= 0 && tag < dense.count { return dense[tag] }
            return tag < Self.denseLimit ? nil : sparse[tag]
        }
        set {
            guard tag >= 0 && tag < Self.denseLimit else {
                sparse[tag] = newValue
                return
            }
            if tag >= dense.count {
                guard newValue != nil else { return }
                dense.append(contentsOf: repeatElement(nil, count: tag + 1 - dense.count))
            }
            dense[tag] = newValue
        }
    }

    /// Every tag with a value, with the value, dense tags in ascending order first.
    var entries: [(tag: Int, value: Value)] {
        var result: [(tag: Int, value: Value)] = []
        for (tag, value) in dense.enumerated() {
            if let value { result.append((tag, value)) }
        }
        for tag in sparse.keys.sorted() {
            if let value = sparse[tag] { result.append((tag, value)) }
        }
        return result
    }
}
