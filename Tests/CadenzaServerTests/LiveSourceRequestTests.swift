import Foundation
import Testing

@testable import CadenzaServer

/// The heads Icecast source clients send, read by hand (and whatever else arrives on the port).
@Suite struct LiveSourceRequestTests {
    let basic = "Authorization: Basic " + Data("dj:pass:word".utf8).base64EncodedString()

    @Test func readsSourceAndPutHeads() {
        let legacy = LiveSourceRequest(head: "SOURCE /live/club HTTP/1.0\r\n\(basic)\r\nContent-Type: audio/mpeg")
        #expect(legacy?.kind == .source(slug: "club") && legacy?.username == "dj" && legacy?.password == "pass:word")
        #expect(legacy?.expectsContinue == false)
        let put = LiveSourceRequest(head: "PUT /club HTTP/1.1\r\nHost: x\r\nexpect: 100-continue\r\n\(basic)")
        #expect(put?.kind == .source(slug: "club") && put?.expectsContinue == true)
    }

    @Test func readsMetadataUpdatesEitherEncoding() {
        let plus = LiveSourceRequest(head: "GET /admin/metadata?mode=updinfo&mount=%2Flive%2Fclub&song=A+b%20c HTTP/1.0\r\n\(basic)")
        #expect(plus?.kind == .metadata(slug: "club", title: "A b c"))
    }

    @Test func refusesWhatIsNotASourceWithCredentials() {
        let heads = [
            "", "\r\n\r\n", "SOURCE /live/club HTTP/1.0", "SOURCE /live/club HTTP/1.0\r\nAuthorization: Basic !!!",
            "SOURCE /live/club HTTP/1.0\r\nAuthorization: Basic " + Data("nocolon".utf8).base64EncodedString(),
            "DELETE /live/club HTTP/1.0\r\n\(basic)", "SOURCE /live/../etc HTTP/1.0\r\n\(basic)", "SOURCE /live/Club! HTTP/1.0\r\n\(basic)",
            "GET /admin/metadata?mode=updinfo&mount=%2Flive%2Fclub HTTP/1.0\r\n\(basic)", "GET /admin/metadata?%zz=&= HTTP/1.0\r\n\(basic)",
            "SOURCE /live/club FTP/1.0\r\n\(basic)", String(repeating: "A", count: 10_000),
        ]
        for head in heads { #expect(LiveSourceRequest(head: head) == nil, "\(head.prefix(60))") }
    }
}
