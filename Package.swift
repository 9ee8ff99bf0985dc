// swift-tools-version:6.1
import PackageDescription

// Versions are the ones in the build machines' package mirror; Package.resolved stays out of git.
let package = Package(
    name: "cadenza",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cadenza", targets: ["cadenza"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Already in the graph through postgres-nio; named here for the ServiceGroup that runs every service.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Already in the graph through Vapor: named for the mail client, which uses them alone.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Already in the graph through Vapor: named for webhooks, sent with redirects off.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Already in the graph through Vapor: named for RSA (federation's HTTP Signatures).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // OpenTelemetry traces over OTLP/HTTP only: the gRPC exporter would add gRPC to the build.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // Command-line parsing only; everything else lives in CadenzaServer.
        .executableTarget(
            name: "cadenza",
            dependencies: [
                "CadenzaServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Pkg-config flags for TagLib (Debian: libtag1-dev); Swift never imports this module.
        .systemLibrary(name: "CTagLibSystem", pkgConfig: "taglib", providers: [.apt(["libtag1-dev"])]),
        // libqrencode (Debian: libqrencode-dev), for the QR codes the server draws as SVG.
        .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        // stat(2) for the scanner and bounded reads (see its header for why it is in C).
        .target(name: "CFileStat"),
        // A C API over TagLib's C++ one, so Swift needs no C++ interoperability.
        .target(name: "CTagLib", dependencies: ["CTagLibSystem"]),
        // Tag reading and content sniffing: no Vapor, builds and tests alone.
        .target(name: "CadenzaTags", dependencies: ["CTagLib"], swiftSettings: swiftSettings),
        // The hand-written parsers of untrusted text (JSON, CSV, forms, byte ranges): Foundation
        // only, so they build alone, and the fuzzer (Fuzz/) links them without the server.
        .target(name: "CadenzaFormats", swiftSettings: swiftSettings),
        // The radio playout engine: ffmpeg decoders, the paced PCM bus, encoders and mounts.
        // Foundation (and the wire formats) only, so `cadenza playout` and its tests need no web stack.
        .target(name: "CadenzaPlayout", dependencies: ["CadenzaFormats"], swiftSettings: swiftSettings),
        .target(
            name: "CadenzaMail",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CadenzaServer",
            dependencies: [
                "CadenzaTags",
                "CadenzaFormats",
                "CadenzaPlayout",
                "CadenzaMail",
                "CQRencode",
                "CFileStat",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // RSA keys and signatures for ActivityPub (HTTP Signatures).
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            // The web app's static files (no build step: native ES modules).
            resources: [.copy("Web/Public")],
            swiftSettings: swiftSettings
        ),
        // libFuzzer harness over the leaf parsers (scripts/fuzz.sh builds it with -sanitize=fuzzer);
        // built normally, it replays the seed corpus and past crashes (Fuzz/corpus, Fuzz/regressions).
        .executableTarget(name: "cadenza-fuzz", dependencies: ["CadenzaFormats", "CadenzaTags"], path: "Fuzz/Sources", swiftSettings: swiftSettings),
        .target(name: "CadenzaTestSupport", path: "Tests/CadenzaTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "CadenzaTagsTests", dependencies: ["CadenzaTags", "CadenzaTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CadenzaPlayoutTests", dependencies: ["CadenzaPlayout", "CadenzaTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CadenzaMailTests", dependencies: ["CadenzaMail"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CadenzaServerTests",
            dependencies: [
                "CadenzaServer",
                "CadenzaTestSupport",
                .product(name: "Fluent", package: "fluent"),
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    cxxLanguageStandard: .cxx17
)

// Computed, not a constant: SwiftPM evaluates a stored global once per target list otherwise.
var swiftSettings: [SwiftSetting] {
    [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ]
}
