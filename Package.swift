// swift-tools-version: 6.1
import PackageDescription

/// The hot-path modules drop Swift's run-time exclusivity checks in release builds: every class
/// property access on the per-packet path otherwise costs a lookup in a thread-local access set
/// (about 14 % of `analyze` in a profile). The compile-time checks stay on; debug builds and tests keep
/// the run-time checks too.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

/// Every target lists each module it uses, also those that come re-exported or through another
/// dependency: SwiftPM rebuilds a target only when a direct dependency changes, and a change to a
/// struct in `FlowTracking` otherwise left `FIXProtocol` and `EventOutput` compiled against the old
/// layout (seen as link errors and a crash in incremental builds).
let package = Package(
    name: "TapSentry",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tapsentry", targets: ["tapsentry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .systemLibrary(name: "CDeflate", providers: [.apt(["libdeflate-dev"]), .brew(["libdeflate"])]),
        .target(name: "CSupport"),
        .target(name: "PacketCapture", dependencies: ["CPcap"], swiftSettings: hotPath),
        .target(name: "FlowTracking", dependencies: ["PacketCapture", "CSupport"], swiftSettings: hotPath),
        .target(name: "ProtocolKit", dependencies: ["FlowTracking", "PacketCapture"], swiftSettings: hotPath),
        .target(name: "FIXProtocol", dependencies: ["ProtocolKit", "FlowTracking", "PacketCapture", "CZlib", "CSupport"], swiftSettings: hotPath),
        .target(name: "CTPProtocol", dependencies: ["ProtocolKit", "FlowTracking", "PacketCapture", "CSupport"], swiftSettings: hotPath),
        .target(name: "TDXProtocol", dependencies: ["ProtocolKit", "FlowTracking", "PacketCapture", "CZlib", "CDeflate", "CSupport"], swiftSettings: hotPath),
        .target(
            name: "RuleEngine",
            dependencies: ["ProtocolKit", "FlowTracking", "PacketCapture", "CSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: hotPath
        ),
        .target(name: "Detections", dependencies: ["RuleEngine", "ProtocolKit", "FlowTracking", "PacketCapture"], swiftSettings: hotPath),
        .target(name: "EventOutput", dependencies: ["ProtocolKit", "FlowTracking", "PacketCapture", "RuleEngine"], swiftSettings: hotPath),
        .target(
            name: "Inspector",
            dependencies: [
                "PacketCapture", "FlowTracking", "ProtocolKit", "EventOutput", "FIXProtocol", "CTPProtocol", "TDXProtocol",
                "RuleEngine", "Detections", "CSupport",
            ],
            swiftSettings: hotPath
        ),
        .executableTarget(
            name: "tapsentry",
            dependencies: [
                "Inspector",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["PacketCapture", "FlowTracking", "ProtocolKit", "EventOutput", "Inspector", "CZlib"]),
        .executableTarget(name: "capgen", dependencies: ["TestSupport", "PacketCapture"]),
        .testTarget(name: "PacketCaptureTests", dependencies: ["PacketCapture", "CPcap", "TestSupport"]),
        .testTarget(name: "FlowTrackingTests", dependencies: ["FlowTracking", "PacketCapture", "TestSupport"]),
        .testTarget(name: "ProtocolKitTests", dependencies: ["ProtocolKit", "FlowTracking", "PacketCapture", "TestSupport"]),
        .testTarget(name: "FIXProtocolTests", dependencies: ["FIXProtocol", "ProtocolKit", "FlowTracking", "PacketCapture", "TestSupport", "CZlib"]),
        .testTarget(name: "CTPProtocolTests", dependencies: ["CTPProtocol", "ProtocolKit", "FlowTracking", "PacketCapture", "TestSupport"]),
        .testTarget(name: "TDXProtocolTests", dependencies: ["TDXProtocol", "ProtocolKit", "FlowTracking", "PacketCapture", "TestSupport", "CZlib"]),
        .testTarget(name: "EventOutputTests", dependencies: ["EventOutput", "PacketCapture", "FlowTracking", "TestSupport"]),
        .testTarget(name: "RuleEngineTests", dependencies: ["RuleEngine", "ProtocolKit", "FlowTracking", "PacketCapture"]),
        .testTarget(
            name: "DetectionsTests",
            dependencies: ["Detections", "RuleEngine", "ProtocolKit", "FlowTracking", "PacketCapture", "FIXProtocol", "CTPProtocol", "TDXProtocol", "TestSupport"]
        ),
        .testTarget(
            name: "InspectorTests",
            dependencies: ["Inspector", "ProtocolKit", "FlowTracking", "PacketCapture", "TestSupport", "RuleEngine", "Detections"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
