@testable import CadenzaServer
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

@Suite struct JSONLogHandlerTests {
    /// Whatever a message or a value holds (quotes, newlines, control bytes, emoji), each log
    /// line is one JSON object a collector can parse, with numbers kept numbers.
    @Test func everyLineIsOneParsableObject() throws {
        let lines = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "test") { label in
            JSONLogHandler(label: label) { line in lines.withLockedValue { $0.append(line) } }
        }
        logger[metadataKey: "request-id"] = "r-1"
        let hostile = "a \"quoted\" \\ path\nnext line\t\u{01}\u{1F} 🎵"
        logger.warning(
            "\(hostile)",
            metadata: ["status": .stringConvertible(404), "ms": .stringConvertible(1.5), "nested": ["k": ["x", .string(hostile)]]])
        let written = lines.withLockedValue { $0 }
        #expect(written.count == 1 && written[0].hasSuffix("}\n") && written[0].filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(written[0].utf8)) as? [String: Any])
        #expect(object["msg"] as? String == hostile)
        #expect(object["level"] as? String == "warning")
        #expect(object["request-id"] as? String == "r-1")
        #expect(object["status"] as? Int == 404)
        #expect(object["ms"] as? Double == 1.5)
        #expect(((object["nested"] as? [String: Any])?["k"] as? [Any])?.last as? String == hostile)
    }

    @Test func anUnknownFormatIsAProblemAtStart() {
        #expect(throws: SettingsError.self) { try Settings.load(environment: ["CADENZA_LOG_FORMAT": "xml"]) }
        #expect((try? Settings.load(environment: ["CADENZA_LOG_FORMAT": "JSON"]))?.logFormat == .json)
    }
}
