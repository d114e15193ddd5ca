// swift-tools-version: 6.1
import PackageDescription

/// The hot-path modules drop Swift's run-time exclusivity checks in release builds: every class
/// property access on the per-packet path otherwise costs a lookup in a thread-local access set
/// (about 14 % of `analyze` in a profile). The compile-time checks stay on; debug builds and tests keep
/// the run-time checks too.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "TapSentry",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tapsentry", targets: ["tapsentry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .target(name: "PacketCapture", dependencies: ["CPcap"], swiftSettings: hotPath),
        .target(name: "FlowTracking", dependencies: ["PacketCapture"], swiftSettings: hotPath),
        .target(name: "ProtocolKit", dependencies: ["FlowTracking"], swiftSettings: hotPath),
        .target(name: "FIXProtocol", dependencies: ["ProtocolKit", "CZlib"], swiftSettings: hotPath),
        .target(name: "EventOutput", dependencies: ["ProtocolKit"], swiftSettings: hotPath),
        .target(name: "Inspector", dependencies: ["PacketCapture", "FlowTracking", "ProtocolKit", "EventOutput", "FIXProtocol"], swiftSettings: hotPath),
        .executableTarget(
            name: "tapsentry",
            dependencies: [
                "Inspector",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["PacketCapture", "FlowTracking", "ProtocolKit", "EventOutput", "Inspector", "CZlib"]),
        .executableTarget(name: "capgen", dependencies: ["TestSupport"]),
        .testTarget(name: "PacketCaptureTests", dependencies: ["PacketCapture", "TestSupport"]),
        .testTarget(name: "FlowTrackingTests", dependencies: ["FlowTracking", "TestSupport"]),
        .testTarget(name: "ProtocolKitTests", dependencies: ["ProtocolKit", "TestSupport"]),
        .testTarget(name: "FIXProtocolTests", dependencies: ["FIXProtocol", "TestSupport", "CZlib"]),
        .testTarget(name: "EventOutputTests", dependencies: ["EventOutput", "TestSupport"]),
        .testTarget(name: "InspectorTests", dependencies: ["Inspector", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
