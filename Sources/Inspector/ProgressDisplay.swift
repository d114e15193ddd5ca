import PacketCapture

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on standard error: bytes read, rate and time left.
///
/// Shown only when standard error is a terminal and the input is large; redrawn at most ten
/// times a second.
package final class ProgressDisplay {
    private let clock = WallClock()
    private var lastDraw = -1.0
    private var drawn = false
    /// Inputs smaller than this get no bar.
    package static let minimumBytes: Int64 = 64 << 20

    /// A display, or nil when standard error is not a terminal.
    package static func forTerminal() -> ProgressDisplay? {
        isatty(STDERR_FILENO) != 0 ? ProgressDisplay() : nil
    }

    private init() {}

    /// The run starts; `totalBytes` is 0 when unknown (standard input).
    package func start(totalBytes: Int64) {}

    /// Redraws the bar if enough time has passed.
    package func update(bytesRead: Int64, totalBytes: Int64) {
        let now = clock.elapsed
        guard now - lastDraw >= 0.1, totalBytes >= Self.minimumBytes || totalBytes == 0 else { return }
        lastDraw = now
        let rate = now > 0 ? Double(bytesRead) / now : 0
        var line = ""
        if totalBytes > 0 {
            let fraction = min(1, Double(bytesRead) / Double(totalBytes))
            let width = 30
            let filled = Int(fraction * Double(width))
            let left = rate > 0 ? Double(totalBytes - bytesRead) / rate : 0
            line = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            line += "\(Int(fraction * 100))% \(formatBytes(bytesRead))/\(formatBytes(totalBytes)) "
            line += "\(formatBytes(Int64(rate)))/s, \(formatDuration(left)) left"
        } else {
            line = "\(formatBytes(bytesRead)) read, \(formatBytes(Int64(rate)))/s"
        }
        write("\r\u{1B}[K" + line)
        drawn = true
    }

    /// Clears the bar.
    package func finish() {
        if drawn { write("\r\u{1B}[K") }
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            _ = Glibc.write(STDERR_FILENO, raw.baseAddress, raw.count)
        }
    }
}

/// `512.3 MB`, `4.5 KB`, `120 B` (decimal units).
package func formatBytes(_ bytes: Int64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000 && unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : "\(formatFixed(value, digits: 1)) \(units[unit])"
}

/// `1:05` for 65 seconds, `1:01:05` past an hour.
package func formatDuration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    let (hours, minutes, secs) = (total / 3600, (total % 3600) / 60, total % 60)
    let padded = String(secs).leftPadded(to: 2)
    return hours > 0 ? "\(hours):\(String(minutes).leftPadded(to: 2)):\(padded)" : "\(minutes):\(padded)"
}

/// A number with a fixed count of decimals, without Foundation.
package func formatFixed(_ value: Double, digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int64((value * scale).rounded())
    let whole = scaled / Int64(scale)
    let fraction = abs(scaled % Int64(scale))
    return digits == 0 ? "\(whole)" : "\(whole).\(String(fraction).leftPadded(to: digits))"
}

/// `1,234,567`.
package func formatCount(_ value: UInt64) -> String {
    let digits = Array(String(value))
    var out = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
        out.append(digit)
    }
    return out
}
