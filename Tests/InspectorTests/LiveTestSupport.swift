import Dispatch
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on its own `Thread` (not a task: the body blocks in system calls).
final class LiveTestThread<Value: Sendable>: Sendable {
    private let result = Mutex<Value?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(name: String, _ body: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// The value, or nil if the job is still running after `seconds` (a bound against hangs).
    func wait(seconds: Int) -> Value? {
        guard done.wait(timeout: .now() + .seconds(seconds)) == .success else { return nil }
        done.signal()  // later waits return at once
        return result.withLock { $0 }
    }
}

/// A path in the temporary directory, removed by `remove()`.
struct LiveTestFile {
    let path: String

    init(suffix: String) {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("tapsentry-live-\(UUID().uuidString)\(suffix)").path
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Reading an EVE file back: one JSON object per line.
enum LiveTestEVE {
    static func read(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any], "not a JSON object: \(line)")
        }
    }

    static func integer(_ value: Any?) -> Int? {
        if let value = value as? Int { return value }
        return (value as? NSNumber)?.intValue
    }
}

/// Collects a pipe's text on its own thread until end of file.
final class LiveTestOutputReader: Sendable {
    private let collected = Mutex("")
    private let ended = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        let reader = LiveTestHandle(handle: handle)
        let thread = Thread { [self] in
            while true {
                let data = reader.handle.availableData
                if data.isEmpty { break }
                collected.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
            ended.signal()
        }
        thread.name = "stderr reader"
        thread.start()
    }

    var text: String { collected.withLock { $0 } }

    /// Polls until the text contains `needle`; false after `seconds` (a bound, not a verdict).
    func waitFor(_ needle: String, seconds: Int) -> Bool {
        for _ in 0..<(seconds * 100) {
            if text.contains(needle) { return true }
            usleep(10_000)
        }
        return false
    }

    /// Waits for end of file; false after `seconds`.
    func waitForEnd(seconds: Int) -> Bool {
        ended.wait(timeout: .now() + .seconds(seconds)) == .success
    }
}

private struct LiveTestHandle: @unchecked Sendable {
    let handle: FileHandle
}

/// Hands a value to one other thread, which alone uses it afterwards.
struct LiveTestBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Finds the `tapsentry` executable the build put next to the test binary.
enum TapSentryExecutable {
    static func locate() -> URL? {
        var starts: [URL] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            starts.append(URL(fileURLWithPath: executable).deletingLastPathComponent())
        }
        if let first = CommandLine.arguments.first {
            starts.append(URL(fileURLWithPath: first).deletingLastPathComponent())
        }
        starts.append(Bundle.main.bundleURL)
        for start in starts {
            var directory = start.standardizedFileURL
            while directory.path != "/" {
                let candidate = directory.appendingPathComponent("tapsentry")
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                    FileManager.default.isExecutableFile(atPath: candidate.path)
                {
                    return candidate
                }
                directory.deleteLastPathComponent()
            }
        }
        // The package's default build directory, from this file's place in the package.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let fallback = root.appendingPathComponent(".build/debug/tapsentry")
        return FileManager.default.isExecutableFile(atPath: fallback.path) ? fallback : nil
    }
}
