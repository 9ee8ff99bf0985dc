import CadenzaPlayout
import Vapor
import Testing

@testable import CadenzaServer

/// A station's relays as an administrator types them: what each server is sent, what is stored
/// and what is shown back.
@Suite struct PushTargetTests {
    @Test func icecastAndShoutcastRelaysParseToWhatTheServersAreSent() throws {
        let icecast = try PushTarget(parsing: "icecast://source:p%40ss@radio.example:8000/live.aac?format=aac")
        #expect(icecast.kind == .icecast && icecast.user == "source" && icecast.password == "p@ss" && icecast.format == .aac)
        #expect(icecast.sourcePort == 8000 && icecast.mount == "/live.aac")
        let shoutcast = try PushTarget(parsing: "shoutcast://:secret@[::1]:8000/2")
        #expect(shoutcast.kind == .shoutcast && shoutcast.password == "secret" && shoutcast.host == "::1")
        // SHOUTcast takes its source on the port above the listeners'.
        #expect(shoutcast.sourcePort == 8001 && shoutcast.streamID == 2 && shoutcast.authority == "[::1]:8000")
        #expect(try PushTarget(parsing: "shoutcast://secret@host:8000").password == "secret")
        #expect(try PushTarget(parsing: "shoutcast://:secret@host:8000/").streamID == nil)
        #expect(try PushTarget(parsing: "shoutcast://:secret@host:8000/002").redacted == "shoutcast://:***@host:8000/2")
    }

    @Test func storedRelaysReadBackTheSameAndAreShownWithoutPasswords() throws {
        let urls = ["icecast://source:p%40ss:w@radio.example:8000/live.mp3", "shoutcast://:s3cret@127.0.0.1:9000/3?format=aac"]
        let targets = try PushTarget.list(parsing: urls)
        #expect(PushTarget.list(stored: PushTarget.stored(targets)) == targets)
        #expect(targets.map(\.redacted) == ["icecast://source:***@radio.example:8000/live.mp3", "shoutcast://:***@127.0.0.1:9000/3?format=aac"])
        #expect(PushTarget.stored([]) == nil && PushTarget.list(stored: nil).isEmpty)
    }

    @Test func relaysThatCannotWorkAreRefused() {
        for bad in [
            "http://a:b@host:8000/m.mp3", "icecast://host:8000/m.mp3", "icecast://a:b@host/m.mp3", "icecast://a:b@host:8000/../m",
            "icecast://a:b@host:8000", "icecast://a:b@host:70000/m", "icecast://a:b@host:8000/m?format=ogg", "icecast://a:b@host:8000/m?x=1",
            "shoutcast://host:8000", "shoutcast://:p@host:65535", "shoutcast://:p@host:8000/stream", "shoutcast://:p@host:8000/0",
            "shoutcast://:p@host:8000/1000", "shoutcast://:p%0D%0Aicy-name:x@host:8000", "icecast://a:b@ho st:8000/m",
            "icecast://a:b@[]:8000/m", "icecast://a:b@host:8000/" + String(repeating: "m", count: 600), "icecast://so%3Aurce:pw@host:8000/m",
        ] {
            #expect(throws: APIError.self, "\(bad)") { try PushTarget(parsing: bad) }
        }
        let one = "icecast://s:p@host:8000/a.mp3"
        #expect(throws: APIError.self) { try PushTarget.list(parsing: [one, "icecast://other:pw@host:8000/a.mp3"]) }
        #expect(throws: APIError.self) { try PushTarget.list(parsing: (1...5).map { "icecast://s:p@host:8000/m\($0)" }) }
        #expect(throws: APIError.self) { try PushTarget.list(parsing: ["shoutcast://:a@host:8000/1", "shoutcast://:b@host:8000/01"]) }
    }

    @Test func theServersAreGreetedAsTheirSourceProtocolsAsk() throws {
        let client = { (url: String) in
            SourceClient(
                target: try PushTarget(parsing: url), station: "night", name: { "Night\r\nX-Injected: 1" }, bitrate: .standard,
                group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"), onConnect: {})
        }
        // Icecast: an HTTP PUT to the mount with the source credentials; a name cannot add a header.
        let icecast = try client("icecast://source:pw@host:8000/night.aac?format=aac").greeting
        #expect(icecast.hasPrefix("PUT /night.aac HTTP/1.1\r\nHost: host:8000\r\nAuthorization: Basic c291cmNlOnB3\r\n"))
        #expect(icecast.contains("\r\nContent-Type: audio/aac\r\n") && icecast.contains("\r\nIce-Name: Night  X-Injected: 1\r\n"))
        #expect(icecast.hasSuffix("\r\n\r\n") && !icecast.contains("\r\nX-Injected"))
        // SHOUTcast: the password line (a v2 server's stream as password:#N), then the stream's headers.
        #expect(try client("shoutcast://:pw@host:8000").greeting == "pw\r\n")
        let v2 = try client("shoutcast://:pw@host:8000/2")
        #expect(v2.greeting == "pw:#2\r\n")
        #expect(v2.shoutcastHeaders == "icy-name:Night  X-Injected: 1\r\nicy-pub:0\r\nicy-br:128\r\ncontent-type:audio/mpeg\r\n\r\n")
        #expect(SourceClient.accepted("OK2", kind: .shoutcast) && !SourceClient.accepted("invalid password", kind: .shoutcast))
        #expect(SourceClient.accepted("HTTP/1.1 100 Continue", kind: .icecast) && SourceClient.accepted("HTTP/1.0 200 OK", kind: .icecast))
        #expect(!SourceClient.accepted("HTTP/1.0 401 Authentication Required", kind: .icecast))
    }
}
