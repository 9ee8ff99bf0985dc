@testable import CadenzaServer
import Foundation
import Testing
import Vapor
import VaporTesting

@Suite struct OperationsTests {
    @Test func everyRegisteredAPIRouteIsInTheOpenAPIDocument() async throws {
        try await withApp { app in
            let document = try JSONDecoder().decode(JSONValue.self, from: Data(try app.cadenza.apiDocument.utf8))
            guard case .object(let root) = document, case .object(let paths)? = root["paths"] else {
                Issue.record("no paths in the OpenAPI document")
                return
            }
            var missing: [String] = []
            for route in app.routes.all {
                let parts = route.path.map(\.description)
                guard parts.count > 2, parts[0] == "api", parts[1] == "v1" else { continue }
                let path = "/" + parts.dropFirst(2).map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : $0 }.joined(separator: "/")
                guard case .object(let operations)? = paths[path], operations[route.method.rawValue.lowercased()] != nil else {
                    missing.append("\(route.method.rawValue) \(path)")
                    continue
                }
            }
            #expect(missing.isEmpty, "undocumented routes: \(missing)")
            try await app.testing().test(.GET, "api/v1/openapi.json") { res async throws in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("\"openapi\": \"3.0.3\""))
            }
        }
    }

    @Test func healthReadinessAndMetricsAnswer() async throws {
        Metrics.bootstrap()
        try await withApp(settings: ["CADENZA_METRICS_TOKEN": "scrape-1"]) { app in
            try await app.testing().test(.GET, "healthz") { res async throws in #expect(res.status == .ok) }
            try await app.testing().test(.GET, "readyz") { res async throws in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("\"migrations\":\"ok\""))
            }
            // In-memory requests have no peer address: only the token lets them in.
            try await app.testing().test(.GET, "metrics") { res async throws in #expect(res.status == .unauthorized) }
            try await app.testing().test(.GET, "metrics", headers: ["Authorization": "Bearer scrape-1"]) { res async throws in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("cadenza_jobs{state=\"queued\"}"))
            }
        }
    }
}

@Suite struct SubsonicEncodingTests {
    @Test func datesAreISO8601InUTCWithMilliseconds() {
        #expect(SubsonicNode.iso8601(0) == "1970-01-01T00:00:00.000Z")
        #expect(SubsonicNode.iso8601(1_795_449_731_064) == "2026-11-23T16:02:11.064Z")
        #expect(SubsonicNode.iso8601(-1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func xmlAndJSONComeFromOneModel() {
        var album = SubsonicNode("album")
        album.set("id", "al-1")
        album.set("songCount", 1)
        album.set("name", "A & B <\"live\">")
        var song = SubsonicNode("song")
        song.set("id", "tr-1")
        album.add(list: "song", [song])
        album.add(list: "genres", [])
        var xmlBytes: [UInt8] = []
        album.xml(into: &xmlBytes)
        let xml = String(decoding: xmlBytes, as: UTF8.self)
        #expect(xml == #"<album id="al-1" songCount="1" name="A &amp; B &lt;&quot;live&quot;&gt;"><song id="tr-1"/></album>"#)
        var jsonBytes: [UInt8] = []
        album.jsonObject(into: &jsonBytes)
        let json = String(decoding: jsonBytes, as: UTF8.self)
        #expect(json == #"{"id":"al-1","songCount":1,"name":"A & B <\"live\">","song":[{"id":"tr-1"}],"genres":[]}"#)
    }

    @Test func escapingKeepsMultiByteTextAndHandlesControlCharacters() throws {
        var json: [UInt8] = []
        UTF8Text.jsonQuote("Sigur Rós \u{1F3B5} \"Ágætis\"\\\n\t\u{01}", into: &json)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text == #""Sigur Rós 🎵 \"Ágætis\"\\\n\t\u0001""#)
        // What was written is JSON that decodes back to the original string.
        let decoded = try JSONDecoder().decode(String.self, from: Data(json))
        #expect(decoded == "Sigur Rós \u{1F3B5} \"Ágætis\"\\\n\t\u{01}")
        #expect(XMLText.escape("Björk & <Sugarcubes>\u{02}'\"\r") == "Björk &amp; &lt;Sugarcubes&gt;&apos;&quot;&#13;")
        #expect(XMLText.escape("") == "" && XMLText.escape("plain") == "plain")
        #expect(UTF8Text.hex([0x00, 0x0F, 0xA5, 0xFF]) == "000fa5ff")
        #expect(
            JSONValue.object(["b": .array([.number(1), .number(1.5), .null]), "a": .string("x\"y")]).serialized
                == #"{"a":"x\"y","b":[1,1.5,null]}"#)
    }
}
