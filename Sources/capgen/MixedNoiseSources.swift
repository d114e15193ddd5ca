import PacketCapture
import TestSupport

/// Bytes no decoder should claim: slices of one random pool, picked by an offset.
final class NoisePool {
    /// The pool (1 MiB of random bytes).
    let bytes: UnsafeMutableRawBufferPointer

    /// A pool filled from `random`.
    init(_ random: inout SeededGenerator) {
        bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
        let source = random.bytes(count: 1 << 20)
        source.withUnsafeBytes { bytes.copyMemory(from: $0) }
    }

    deinit { bytes.deallocate() }

    /// `count` bytes (at most 64 KiB) starting at a place chosen by `seed`.
    func slice(_ seed: UInt32, count: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(bytes.baseAddress!) + Int(seed % UInt32(bytes.count - count))
    }
}

/// TCP noise of the mixed benchmark, between office hosts (10.50.0.0/16) and servers
/// (10.60.0.0/16): bulk transfers (an HTTP GET on port 80 answered by a close-delimited body, or
/// random TLS-like bytes on 443; 64 KiB to 16 MiB in full-size segments, the server closing) or
/// short connections (one request of 150-600 bytes, one answer of 300-3000, the client closing).
final class MixedTCPNoiseSource: MixedSessionSource {
    let name: String
    let kind = MixedKind.noise
    let share: Double
    private(set) var flows = 0
    let messages = 0

    /// The phases of an open connection.
    enum Phase {
        case request, header, body, acknowledge
    }

    struct Connection: BenchmarkSession {
        var client = Endpoint(address: IPAddress(ipv4: 0), port: 0)
        var server = Endpoint(address: IPAddress(ipv4: 0), port: 0)
        var tcp: (UInt32, UInt32) = (0, 0)
        var stage = ConnectionStage.opening(0)
        var phase = Phase.request
        var bodyLeft = 0
        var tls = false
        var generation = 0
    }

    private let bulk: Bool
    private let pool: NoisePool
    /// The connections, one a slot.
    var sessions: [Connection]
    var live: LiveSlots
    var draining = false
    private var text: [UInt8] = []

    /// `slots` concurrent connections, bulk transfers or short ones, taking `share` of the bytes.
    init(bulk: Bool, slots: Int, share: Double, pool: NoisePool, _ wire: MixedWire) {
        self.bulk = bulk
        name = bulk ? "TCP bulk (HTTP, TLS)" : "TCP short connections"
        self.share = share
        self.pool = pool
        let count = max(1, min(slots, 4_000))
        sessions = [Connection](repeating: Connection(), count: count)
        live = LiveSlots(count: count)
        for index in 0..<count { start(index, wire) }
    }

    /// A bulk transfer ends with the server's FIN (the end of a close-delimited body).
    var serverCloses: Bool { bulk }

    func start(_ index: Int, _ wire: MixedWire) {
        let generation = sessions[index].generation + 1
        let host = wire.random.int(in: 1...8000)
        let tls = wire.random.chance(0.5)
        let ports: [UInt16] = tls ? [443, 8443] : [80, 8080]
        let server = bulk ? wire.random.int(in: 1...32) : wire.random.int(in: 256...1024)
        var bodyLeft = wire.random.int(in: 300...3000)
        if bulk {
            // Log-uniform between 64 KiB and 16 MiB.
            bodyLeft = 65_536 << wire.random.int(in: 0...7)
            bodyLeft += wire.random.int(in: 0...(bodyLeft - 1))
        }
        sessions[index] = Connection(
            client: Endpoint(
                address: IPAddress(ipv4: 0x0A32_0000 &+ UInt32(host)),
                port: UInt16(32_768 + (index * 131 + generation * 7) % 28_000)),
            server: Endpoint(address: IPAddress(ipv4: 0x0A3C_0000 &+ UInt32(server)), port: ports[wire.random.int(in: 0...1)]),
            tcp: wire.random.initialSequenceNumbers(),
            bodyLeft: bodyLeft, tls: tls, generation: generation)
        flows += 1
    }

    func talk(_ connection: inout Connection, index: Int, _ wire: MixedWire) {
        switch connection.phase {
        case .request:
            if connection.tls {
                let length = wire.random.int(in: 150...600)
                wire.transmit(pool.slice(wire.random.next32(), count: length), count: length, &connection, fromClient: true)
            } else {
                text.removeAll(keepingCapacity: true)
                text += Array("GET /\(bulk ? "files" : "api/v1/items")/\(wire.random.int(in: 1...999_999))".utf8)
                text += Array(" HTTP/1.1\r\nHost: intranet-\(connection.server.address.description)\r\n".utf8)
                text += Array("User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: */*\r\n".utf8)
                text += Array("Cookie: session=\(wire.random.next())\r\n\r\n".utf8)
                wire.transmit(text, &connection, fromClient: true)
            }
            connection.phase = .header
        case .header:
            if !connection.tls {
                text.removeAll(keepingCapacity: true)
                text += Array("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/octet-stream\r\n".utf8)
                text += Array("Connection: close\r\n\r\n".utf8)
                wire.transmit(text, &connection, fromClient: false)
            }
            connection.phase = .body
        case .body:
            if draining && bulk { connection.bodyLeft = min(connection.bodyLeft, 1448) }
            let burst = bulk ? min(connection.bodyLeft, 1448 * wire.random.int(in: 4...16)) : connection.bodyLeft
            wire.transmit(
                pool.slice(connection.tcp.1, count: burst), count: burst, &connection, fromClient: false,
                sizes: bulk ? 1448...1448 : 300...1448)
            connection.bodyLeft -= burst
            connection.phase = .acknowledge
        case .acknowledge:
            wire.control(connection, fromClient: true, flags: .ack)
            if connection.bodyLeft > 0 { connection.phase = .body } else { connection.stage = .closing(0) }
        }
    }
}

/// UDP noise of the mixed benchmark, one datagram flow kind per source:
/// - `dns`: a query from an office host (10.50.0.0/16, a fresh source port each time, so each
///   query is a flow) to the resolver 10.8.0.53:53 and its answer (1-4 A records);
/// - `syslog`: messages from 64 servers to the collector 10.8.0.10:514;
/// - `multicast`: a market-feed-like stream from 8 sources (10.20.9.1-8) to 239.1.1.1-8:40001,
///   200-1300 bytes a datagram with a sequence number (bytes no decoder reads).
final class MixedDatagramSource: MixedSource {
    /// The kind of datagrams.
    enum Mode {
        case dns, syslog, multicast
    }

    let name: String
    let kind = MixedKind.noise
    let share: Double
    private(set) var flows = 0
    let messages = 0

    private let mode: Mode
    private let pool: NoisePool
    private var seen: [Bool]
    private var sequences: [UInt32]
    private var buffer: [UInt8] = []
    private var finishedDraining = false
    private static let resolver = Endpoint(address: IPAddress(ipv4: 0x0A08_0035), port: 53)
    private static let collector = Endpoint(address: IPAddress(ipv4: 0x0A08_000A), port: 514)
    private static let words = ["auth", "db", "api", "cache", "web", "mq", "risk", "settle", "report", "ldap", "ntp", "proxy"]

    /// A source of `mode` datagrams taking `share` of the bytes.
    init(_ mode: Mode, share: Double, pool: NoisePool) {
        self.mode = mode
        self.share = share
        self.pool = pool
        switch mode {
        case .dns: name = "UDP DNS"
        case .syslog: name = "UDP syslog"
        case .multicast: name = "UDP multicast feeds"
        }
        seen = [Bool](repeating: false, count: mode == .syslog ? 64 : 8)
        sequences = [UInt32](repeating: 0, count: seen.count)
        buffer.reserveCapacity(2048)
    }

    func drain() { finishedDraining = true }

    var finished: Bool { finishedDraining }

    func step(_ wire: MixedWire) {
        switch mode {
        case .dns: dns(wire)
        case .syslog: syslog(wire)
        case .multicast: multicast(wire)
        }
    }

    private func dns(_ wire: MixedWire) {
        let client = Endpoint(
            address: IPAddress(ipv4: 0x0A32_0000 &+ UInt32(wire.random.int(in: 1...8000))),
            port: UInt16(wire.random.int(in: 1024...65535)))
        let id = UInt16(truncatingIfNeeded: wire.random.next())
        buffer.removeAll(keepingCapacity: true)
        buffer += [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        let labels = [
            Self.words[wire.random.int(in: 0...(Self.words.count - 1))] + String(wire.random.int(in: 1...40)),
            Self.words[wire.random.int(in: 0...(Self.words.count - 1))], "corp", "example",
        ]
        for label in labels {
            buffer.append(UInt8(label.utf8.count))
            buffer += Array(label.utf8)
        }
        buffer += [0, 0, 1, 0, 1]
        let questionEnd = buffer.count
        buffer.withUnsafeBytes { wire.udp(from: client, to: Self.resolver, payload: $0) }
        let answers = wire.random.int(in: 1...4)
        buffer[2] = 0x81
        buffer[3] = 0x80
        buffer[7] = UInt8(answers)
        buffer.removeSubrange(questionEnd...)
        for _ in 0..<answers {
            let address = UInt32(truncatingIfNeeded: wire.random.next()) & 0x00FF_FFFF | 0x0A00_0000
            buffer += [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x01, 0x2C, 0, 4]
            buffer += [UInt8(address >> 24), UInt8(address >> 16 & 0xFF), UInt8(address >> 8 & 0xFF), UInt8(address & 0xFF)]
        }
        buffer.withUnsafeBytes { wire.udp(from: Self.resolver, to: client, payload: $0) }
        flows += 1
    }

    private func syslog(_ wire: MixedWire) {
        let source = wire.random.int(in: 0...(seen.count - 1))
        if !seen[source] {
            seen[source] = true
            flows += 1
        }
        let sender = Endpoint(address: IPAddress(ipv4: 0x0A08_0300 &+ UInt32(source + 1)), port: 514)
        buffer.removeAll(keepingCapacity: true)
        let time = wire.time.seconds
        buffer += Array("<\(wire.random.int(in: 128...191))>1 \(time) srv-\(source) ".utf8)
        buffer += Array("\(Self.words[source % Self.words.count])d \(1000 + source) - - ".utf8)
        buffer += Array("request id=\(wire.random.next()) user=u\(wire.random.int(in: 1...5000)) status=ok".utf8)
        for _ in 0..<wire.random.int(in: 0...4) {
            buffer += Array(" \(Self.words[wire.random.int(in: 0...(Self.words.count - 1))])=\(wire.random.int(in: 0...99_999))".utf8)
        }
        buffer.withUnsafeBytes { wire.udp(from: sender, to: Self.collector, payload: $0) }
    }

    private func multicast(_ wire: MixedWire) {
        let feed = wire.random.int(in: 0...(seen.count - 1))
        if !seen[feed] {
            seen[feed] = true
            flows += 1
        }
        sequences[feed] &+= 1
        let length = wire.random.int(in: 200...1300)
        buffer.removeAll(keepingCapacity: true)
        let sequence = sequences[feed]
        buffer += [0x4D, 0x44, UInt8(feed), 0, UInt8(sequence >> 24), UInt8(sequence >> 16 & 0xFF), UInt8(sequence >> 8 & 0xFF), UInt8(sequence & 0xFF)]
        buffer += UnsafeRawBufferPointer(start: pool.slice(wire.random.next32(), count: length), count: length)
        buffer.withUnsafeBytes {
            wire.udp(
                from: Endpoint(address: IPAddress(ipv4: 0x0A14_0900 &+ UInt32(feed + 1)), port: 40000),
                to: Endpoint(address: IPAddress(ipv4: 0xEF01_0100 &+ UInt32(feed + 1)), port: 40001), payload: $0)
        }
    }
}

extension SeededGenerator {
    /// The low 32 bits of the next value.
    mutating func next32() -> UInt32 { UInt32(truncatingIfNeeded: next()) }
}
