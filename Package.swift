// swift-tools-version: 6.1
import PackageDescription

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
        .target(name: "PacketCapture", dependencies: ["CPcap"]),
        .target(name: "FlowTracking", dependencies: ["PacketCapture"]),
        .target(name: "ProtocolKit", dependencies: ["FlowTracking"]),
        .target(name: "EventOutput", dependencies: ["ProtocolKit"]),
        .target(name: "Inspector", dependencies: ["PacketCapture", "FlowTracking", "ProtocolKit", "EventOutput"]),
        .executableTarget(
            name: "tapsentry",
            dependencies: [
                "Inspector",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["PacketCapture", "FlowTracking", "ProtocolKit", "EventOutput", "Inspector"]),
        .executableTarget(name: "capgen", dependencies: ["TestSupport"]),
        .testTarget(name: "PacketCaptureTests", dependencies: ["PacketCapture", "TestSupport"]),
        .testTarget(name: "FlowTrackingTests", dependencies: ["FlowTracking", "TestSupport"]),
        .testTarget(name: "ProtocolKitTests", dependencies: ["ProtocolKit", "TestSupport"]),
        .testTarget(name: "EventOutputTests", dependencies: ["EventOutput", "TestSupport"]),
        .testTarget(
            name: "InspectorTests",
            dependencies: ["Inspector", "TestSupport"],
            resources: []
        ),
    ],
    swiftLanguageModes: [.v6]
)
