#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 on a port the kernel picked (bound to port 0, then read back).
final class LoopbackListener: Sendable {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw LoopbackSocketFailure("socket", errno) }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 4) == 0 else {
            let failure = LoopbackSocketFailure("bind/listen", errno)
            Glibc.close(listener)
            throw failure
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        descriptor = listener
        port = UInt16(bigEndian: address.sin_port)
    }

    func close() {
        Glibc.close(descriptor)
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// One connection: the client sends `request`, the server answers `response` once it has it
    /// all, then the client closes its side, the server closes, and the client reads to the end.
    /// Every read and write times out after 5 s, so a lost packet cannot hang the test.
    func converse(request: String, response: String) -> LoopbackConversation {
        var result = LoopbackConversation()
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard client >= 0 else {
            result.failure = "client socket: errno \(errno)"
            return result
        }
        defer { Glibc.close(client) }
        Self.setTimeouts(client)
        var address = Self.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            result.failure = "connect: errno \(errno)"
            return result
        }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client, $0, &length) }
        }
        result.clientPort = UInt16(bigEndian: local.sin_port)
        let server = accept(descriptor, nil, nil)
        guard server >= 0 else {
            result.failure = "accept: errno \(errno)"
            return result
        }
        var serverOpen = true
        defer { if serverOpen { Glibc.close(server) } }
        Self.setTimeouts(server)

        guard Self.sendAll(client, request) else {
            result.failure = "client send: errno \(errno)"
            return result
        }
        result.serverReceived = Self.receive(server, until: request.utf8.count)
        guard Self.sendAll(server, response) else {
            result.failure = "server send: errno \(errno)"
            return result
        }
        result.clientReceived = Self.receive(client, until: response.utf8.count)
        shutdown(client, Int32(SHUT_WR))  // client FIN
        guard Self.receive(server, until: Int.max).isEmpty else {
            result.failure = "server read more after the request"
            return result
        }
        Glibc.close(server)  // server FIN
        serverOpen = false
        _ = Self.receive(client, until: Int.max)  // to the server's FIN
        return result
    }

    private static func setTimeouts(_ socket: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, size)
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, size)
    }

    private static func sendAll(_ socket: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }

    /// Reads until `limit` bytes arrived, the peer closed, or a read failed or timed out.
    private static func receive(_ socket: Int32, until limit: Int) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < limit {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

/// What the two ends of a loopback conversation got.
struct LoopbackConversation: Sendable {
    var clientPort: UInt16 = 0
    var serverReceived = ""
    var clientReceived = ""
    var failure: String?
}

/// A socket call that failed while setting up the listener.
struct LoopbackSocketFailure: Error, CustomStringConvertible {
    let description: String
    init(_ call: String, _ code: Int32) { description = "\(call): errno \(code)" }
}
