import CadenzaFormats
import CadenzaTags
import Foundation
import Testing
import _CryptoExtras

@testable import CadenzaServer

/// HTTP signatures and the parsing around them, against fixed inputs: what peers send must parse
/// the same way on every run, and what we sign must verify with the same rules we apply to them.
@Suite struct FederationSignatureTests {
    @Test func aMastodonStyleHeaderParses() throws {
        let header =
            #"keyId="https://mastodon.example/users/alice#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="c2lnbmF0dXJl""#
        let parsed = try #require(HTTPSignature.parse(header))
        #expect(parsed.keyID == "https://mastodon.example/users/alice#main-key")
        #expect(parsed.algorithm == "rsa-sha256")
        #expect(parsed.headers == ["(request-target)", "host", "date", "digest", "content-type"])
        #expect(parsed.signature == Array("signature".utf8))
    }

    @Test func malformedHeadersAreRefusedNotTrapped() {
        for header in [
            "", "keyId=", #"keyId="a""#, #"signature="c2ln""#, #"keyId="a",signature="not base64!""#,
            #"keyId="a",keyId="b",signature="c2ln""#, #"keyId="a,signature="c2ln""#, #"keyId="a",signature="c2ln",created="-5""#,
            #"keyId="a",signature="c2ln",headers="""#, String(repeating: "x", count: 9000),
        ] {
            #expect(HTTPSignature.parse(header) == nil, "\(header.prefix(40))")
        }
        // Without `headers`, only the date is covered (draft-cavage's default).
        #expect(HTTPSignature.parse(#"keyId="a",signature="c2ln""#)?.headers == ["date"])
    }

    @Test func theSigningStringIsTheDraftsShape() {
        let text = HTTPSignature.signingString(
            headers: ["(request-target)", "host", "date"], method: "POST", target: "/inbox?x=1",
            value: ["host": "example.org", "date": "Sat, 05 Dec 2026 17:19:27 GMT"].get)
        #expect(text == "(request-target): post /inbox?x=1\nhost: example.org\ndate: Sat, 05 Dec 2026 17:19:27 GMT")
        #expect(HTTPSignature.signingString(headers: ["digest"], method: "GET", target: "/", value: { _ in nil }) == nil)
    }

    @Test func theDigestHeaderIsReadByItsSHA256Entry() {
        #expect(HTTPSignature.sha256Digest(fromHeader: "SHA-512=abc, sha-256=c2ln") == Array("sig".utf8))
        #expect(HTTPSignature.sha256Digest(fromHeader: "MD5=abc") == nil)
    }

    @Test func whatWeSignVerifiesAndATamperedRequestDoesNot() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let url = try #require(URL(string: "http://127.0.0.1:8082/federation/inbox"))
        let body = Array(#"{"type":"Follow"}"#.utf8)
        let headers = try RequestSigner.headers(method: "POST", url: url, body: body, keyID: "k", key: key)
        var values = Dictionary(headers, uniquingKeysWith: { a, _ in a })
        #expect(values["host"] == "127.0.0.1:8082")  // the port is part of what is signed
        let signatureHeader = try #require(values["signature"])
        let parsed = try #require(HTTPSignature.parse(signatureHeader))
        #expect(parsed.headers == ["(request-target)", "host", "date", "digest", "content-type"])
        let signedText = HTTPSignature.signingString(headers: parsed.headers, method: "POST", target: "/federation/inbox", value: { values[$0] })
        let signed = try #require(signedText)
        #expect(SignatureVerifier.isValid(parsed, over: signed, pem: key.publicKey.pemRepresentation))
        values["host"] = "127.0.0.1:8083"
        let movedText = HTTPSignature.signingString(headers: parsed.headers, method: "POST", target: "/federation/inbox", value: { values[$0] })
        let moved = try #require(movedText)
        #expect(!SignatureVerifier.isValid(parsed, over: moved, pem: key.publicKey.pemRepresentation))
        #expect(!SignatureVerifier.isValid(parsed, over: signed, pem: try _RSA.Signing.PrivateKey(keySize: .bits2048).publicKey.pemRepresentation))
    }

    @Test func httpDatesRoundTrip() throws {
        let date = Date(timeIntervalSince1970: 1_796_491_808)
        let text = RequestSigner.httpDate(date)
        #expect(text == "Sat, 05 Dec 2026 17:30:08 GMT")
        #expect(RequestSigner.parseHTTPDate(text) == date)
        #expect(RequestSigner.parseHTTPDate("yesterday") == nil)
    }

    @Test func domainsAreNamedOneWay() {
        #expect(OutboundAddress.authority(of: "https://Evil.COM:443/x") == "evil.com")
        #expect(OutboundAddress.authority(of: "https://evil.com./x") == "evil.com")
        #expect(OutboundAddress.authority(of: "http://127.0.0.1:8081/a") == "127.0.0.1:8081")
        #expect(OutboundAddress.authority(of: "http://[::1]:8081/a") == "[::1]:8081")
        #expect(OutboundAddress.authority(of: "ftp://evil.com/") == nil)
        #expect(DomainPolicies.coveringNames("a.b.evil.com:8443") == ["a.b.evil.com:8443", "a.b.evil.com", "b.evil.com", "evil.com", "com"])
        #expect(DomainPolicies.coveringNames("127.0.0.1:8081") == ["127.0.0.1:8081", "127.0.0.1"])
    }

    @Test func hostileAudioObjectsAreBoundedOrRefused() throws {
        let authority = "a.example"
        func parse(_ json: String) throws -> RemoteAudio? {
            RemoteAudioParser.parse(try JSONValue.parse(Array(json.utf8)), authority: authority)?.audio
        }
        let parsedGood = try parse(
            #"{"type":"Audio","id":"https://a.example/audio/1","url":{"href":"https://a.example/audio/1/stream","mediaType":"text/html"},"duration":999999999,"size":-5,"bitrate":1e300,"track":{"name":"T","position":99999999,"artists":[{"name":"A"}],"album":{"name":"B","released":"20x6"}}}"#
        )
        let good = try #require(parsedGood)
        #expect(good.mediaType == "audio/mpeg")  // never a type we did not name
        #expect(good.tags.durationMs == 86_400_000)  // a day at most
        #expect(good.size == 0 && good.tags.bitrateKbps == 0)  // negative and absurd numbers count as unknown
        #expect(good.tags.trackNumber == nil && good.tags.year == nil)
        // Audio or its bytes on another domain, or no audio at all, are refused.
        #expect(try parse(#"{"type":"Audio","id":"https://b.example/audio/1","url":"https://a.example/s"}"#) == nil)
        #expect(try parse(#"{"type":"Audio","id":"https://a.example/audio/1","url":"https://b.example/s"}"#) == nil)
        #expect(try parse(#"{"type":"Note","id":"https://a.example/n/1","url":"https://a.example/s"}"#) == nil)
    }
}

extension Dictionary where Key == String, Value == String {
    fileprivate func get(_ key: String) -> String? { self[key] }
}
