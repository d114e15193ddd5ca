/// The bytes of one direction's stream that a decoder has not used yet: the start of a frame that
/// a segment boundary cut.
///
/// Whole frames are decoded straight from each chunk; only a partial tail is copied here. When the
/// next chunk comes, the held frame takes just the bytes it lacks (its header tells how many), so
/// that the rest of the chunk is again decoded in place rather than copied through the buffer.
///
/// Inlinable, with its members `@usableFromInline` (see `PerDirection`): each decoder's session
/// feeds every chunk through it, with closures that inlining lets the compiler specialise.
@usableFromInline
package struct HeldStream {
    @usableFromInline var buffer: [UInt8] = []
    /// Whether bytes are held (checked per chunk without touching the array).
    @usableFromInline package internal(set) var holdsBytes = false

    @inlinable
    package init() {}

    /// Feeds the next chunk of the stream.
    ///
    /// `missing(held)` says how many bytes the frame at the start of `held` still lacks (0: not
    /// known, for example before its header is whole or while resynchronising; then the whole
    /// chunk is taken). `process(view)` decodes every whole frame at the start of `view` and returns
    /// how many bytes it used.
    @inlinable @inline(__always)
    package mutating func feed(
        _ incoming: UnsafeRawBufferPointer,
        missing: (UnsafeRawBufferPointer) -> Int,
        process: (UnsafeRawBufferPointer) -> Int
    ) {
        var rest = incoming
        if holdsBytes {
            var held = buffer
            buffer = []
            while true {
                let lacking = held.withUnsafeBytes(missing)
                let taken = lacking > 0 && lacking <= rest.count ? lacking : rest.count
                held.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<taken]))
                rest = UnsafeRawBufferPointer(rebasing: rest[taken...])
                let used = held.withUnsafeBytes(process)
                held.removeFirst(used)
                if held.isEmpty { break }
                if rest.isEmpty {
                    buffer = held
                    return
                }
            }
            buffer = held
            holdsBytes = false
        }
        let used = process(rest)
        if used < rest.count {
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[used...]))
            holdsBytes = true
        }
    }

    /// Takes everything held (at a gap or the end of the stream), leaving nothing.
    package mutating func takeAll() -> [UInt8] {
        holdsBytes = false
        defer { buffer = [] }
        return buffer
    }
}
