import EventOutput
import Foundation
import PacketCapture
import Testing

@Suite("EVEOutput")
struct EVEOutputTests {
    private func temporaryPath() -> String {
        NSTemporaryDirectory() + "tapsentry-eve-\(UUID().uuidString).json"
    }

    private func record(_ index: Int, into writer: inout JSONWriter) {
        writer.beginRecord(timestamp: Timestamp(seconds: Int64(index), nanoseconds: 0), eventType: "stats")
        writer.field("index", index)
        writer.endRecord()
    }

    @Test("writes records to a file, flushing past the threshold and on close")
    func writesFile() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try EVEOutput(path: path, flushThreshold: 1024)
        var writer = JSONWriter()
        for index in 0..<100 {
            record(index, into: &writer)
            try output.append(&writer)
            #expect(writer.bytes.isEmpty)
        }
        #expect(output.bytesWritten > 0)  // passed the threshold at least once
        try output.close()
        try output.close()  // closing twice does nothing

        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 100)
        for (index, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect((object["index"] as? NSNumber)?.intValue == index)
        }
        #expect(output.bytesWritten == UInt64(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? -1))
    }

    @Test("nothing reaches the file before the threshold until flush")
    func buffering() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try EVEOutput(path: path)
        try output.write(Array("{}\n".utf8))
        #expect(try String(contentsOfFile: path, encoding: .utf8).isEmpty)
        try output.flush()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{}\n")
        try output.close()
    }

    @Test("truncates by default, appends on request")
    func appendMode() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        for _ in 0..<2 {
            let output = try EVEOutput(path: path)
            try output.write(Array("a\n".utf8))
            try output.close()
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a\n")
        let appending = try EVEOutput(path: path, append: true)
        try appending.write(Array("b\n".utf8))
        try appending.close()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a\nb\n")
    }

    @Test("an unopenable path throws openFailed with the path and reason")
    func unwritablePath() {
        let path = "/nonexistent-tapsentry-dir/eve.json"
        do {
            _ = try EVEOutput(path: path)
            Issue.record("expected an error")
        } catch let error as OutputError {
            #expect(error.code == .openFailed)
            #expect(error.path == path)
            #expect(error.systemError == ENOENT)
            #expect(error.description == "cannot open \"\(path)\": No such file or directory")
        } catch {
            Issue.record("unexpected error \(error)")
        }
        // A directory cannot be opened for writing, even by root.
        #expect(throws: OutputError(code: .openFailed, path: "", reason: "")) {
            _ = try EVEOutput(path: NSTemporaryDirectory())
        }
    }

    @Test("writing after close throws closed")
    func afterClose() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try EVEOutput(path: path)
        try output.close()
        #expect(throws: OutputError(code: .closed, path: path, reason: "")) {
            try output.write(Array("x\n".utf8))
        }
    }
}
