#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Something worth telling the user about an input; the run goes on.
package enum CaptureDiagnostic: Sendable, Equatable {
    /// The input could not be used at all (the run's exit status becomes 2).
    case error(CaptureError)
    /// The input was used, but something about it is wrong (a truncated file, skipped files).
    case warning(source: String, message: String)
}

/// Reads several captures (files, folders of files, `-` for standard input) as one stream of
/// packets in timestamp order.
///
/// Every input is first opened to learn its first timestamp; a file is kept open (or opened
/// again later) only while the merge needs it, so a folder of thousands of rotated files does not
/// hold thousands of handles. A file that fails is reported and left out; the others go on.
package final class CaptureReader {
    private struct Source {
        var path: String
        var size: Int64
        var firstTime: Timestamp
        var file: CaptureFile?
        var current: CapturedPacket?
        var done = false
    }

    /// The capture files taken, in the order of their source index.
    package private(set) var paths: [String] = []
    private var sources: [Source] = []
    private var waiting: [Int] = []  // sources not yet merged, latest first time first
    private var active: [Int] = []
    private var advancePending: Int?
    // The one file left to read once every other input is done: read straight from it.
    /// The one input left, read directly. Unmanaged (its source entry owns it), so that the
    /// per-packet call costs no retain and release.
    private var soleFile: Unmanaged<CaptureFile>?
    private var finishedBytes: Int64 = 0
    private let onDiagnostic: (CaptureDiagnostic) -> Void
    private let maxOpenAtStart = 64

    /// The total size of the inputs in bytes (standard input counts as 0).
    package private(set) var totalBytes: Int64 = 0

    /// Opens every input; problems go to `onDiagnostic` as they are found.
    package init(inputs: [String], onDiagnostic: @escaping (CaptureDiagnostic) -> Void) {
        self.onDiagnostic = onDiagnostic
        for input in inputs {
            for path in expand(input) { probe(path) }
        }
        waiting = sources.indices.filter { !sources[$0].done }
            .sorted { (sources[$0].firstTime, $0) > (sources[$1].firstTime, $1) }
        totalBytes = sources.reduce(0) { $0 + $1.size }
    }

    /// Bytes consumed so far over all inputs (for progress).
    package var bytesRead: Int64 {
        finishedBytes + active.reduce(0) { total, index in total + (sources[index].file?.position ?? 0) }
    }

    /// The next packet in time order over all inputs, or nil when every input is exhausted.
    /// The packet's bytes are valid until the next call.
    package func next() -> CapturedPacket? {
        if let sole = soleFile {
            let result = sole._withUnsafeGuaranteedRef { $0.next() }
            if case .packet(let packet) = result { return packet }
            soleFile = nil
            advancePending = nil
            settle(sole.takeUnretainedValue().sourceIndex, after: result)
            return nil
        }
        if let index = advancePending {
            advancePending = nil
            advance(index)
        }
        while true {
            var best: Int?
            for index in active {
                guard let time = sources[index].current?.time else { continue }
                if let chosen = best, let chosenTime = sources[chosen].current?.time, chosenTime <= time { continue }
                best = index
            }
            if let next = waiting.last,
                best == nil || sources[next].firstTime < (best.flatMap { sources[$0].current?.time } ?? .zero)
            {
                waiting.removeLast()
                activate(next)
                continue
            }
            guard let chosen = best, let packet = sources[chosen].current else { return nil }
            advancePending = chosen
            if active.count == 1 && waiting.isEmpty {
                soleFile = sources[chosen].file.map { Unmanaged.passUnretained($0) }
            }
            return packet
        }
    }

    // MARK: - Inputs

    /// A path as given, or the capture files of a folder, sorted by name.
    private func expand(_ input: String) -> [String] {
        var info = stat()
        guard input != "-", stat(input, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return [input] }
        guard let directory = opendir(input) else {
            onDiagnostic(.error(CaptureError(.cannotOpen, source: input, reason: systemError())))
            return []
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        var files: [String] = []
        var skipped: [String] = []
        let base = input.hasSuffix("/") ? input : input + "/"
        for name in names.sorted() {
            let path = base + name
            var fileInfo = stat()
            guard stat(path, &fileInfo) == 0, (fileInfo.st_mode & S_IFMT) == S_IFREG else { continue }
            if Self.hasCaptureMagic(path) { files.append(path) } else { skipped.append(name) }
        }
        if !skipped.isEmpty {
            let shown = skipped.prefix(5).joined(separator: ", ") + (skipped.count > 5 ? ", ..." : "")
            onDiagnostic(.warning(source: input, message: "skipped \(skipped.count) file(s) that are not captures: \(shown)"))
        }
        if files.isEmpty {
            onDiagnostic(.warning(source: input, message: "folder holds no capture files"))
        }
        return files
    }

    /// Whether the file starts with a pcap (either byte order, micro- or nanosecond) or pcapng magic number.
    private static func hasCaptureMagic(_ path: String) -> Bool {
        guard let file = fopen(path, "rb") else { return true }  // let the open report the error
        defer { fclose(file) }
        var magic: UInt32 = 0
        guard fread(&magic, 4, 1, file) == 1 else { return false }
        return [0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1, 0x0A0D_0D0A].contains(magic)
    }

    private func probe(_ path: String) {
        let index = sources.count
        let file: CaptureFile
        do {
            file = try CaptureFile(path: path, sourceIndex: index)
        } catch {
            onDiagnostic(.error(error))
            return
        }
        paths.append(path)
        var source = Source(path: path, size: file.size, firstTime: .zero, file: file)
        switch file.next() {
        case .packet(let packet):
            source.firstTime = packet.time
            source.current = packet
            if index >= maxOpenAtStart && path != "-" {
                // Too many to hold open: read it again when the merge gets to it.
                source.current = nil
                source.file = nil
            }
        case .end:
            source.done = true
            source.file = nil
            finishedBytes += source.size
        case .failed(let reason):
            onDiagnostic(.warning(source: path, message: Self.describeReadFailure(reason)))
            source.done = true
            source.file = nil
            finishedBytes += source.size
        }
        sources.append(source)
    }

    private func activate(_ index: Int) {
        if sources[index].file == nil {
            do {
                let file = try CaptureFile(path: sources[index].path, sourceIndex: index)
                sources[index].file = file
                sources[index].current = nil
                if case .packet(let packet) = file.next() { sources[index].current = packet }
            } catch {
                onDiagnostic(.error(error))
            }
            if sources[index].current == nil {
                finish(index)
                return
            }
        }
        active.append(index)
    }

    private func advance(_ index: Int) {
        guard let file = sources[index].file else { return }
        let result = file.next()
        if case .packet(let packet) = result {
            sources[index].current = packet
        } else {
            settle(index, after: result)
        }
    }

    /// Ends source `index` after a read that gave no packet, reporting why when it failed.
    private func settle(_ index: Int, after result: CaptureFile.ReadResult) {
        if case .failed(let reason) = result {
            onDiagnostic(.warning(source: sources[index].path, message: Self.describeReadFailure(reason)))
        }
        finish(index)
    }

    private func finish(_ index: Int) {
        sources[index].current = nil
        sources[index].file?.close()
        sources[index].file = nil
        sources[index].done = true
        finishedBytes += sources[index].size
        active.removeAll { $0 == index }
    }

    private static func describeReadFailure(_ reason: String) -> String {
        if reason.contains("truncated") {
            return "capture is truncated (cut in the middle of a record); every complete record was read: \(reason)"
        }
        return "read stopped early: \(reason)"
    }
}
