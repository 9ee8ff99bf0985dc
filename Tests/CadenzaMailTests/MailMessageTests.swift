import Foundation
import Testing

@testable import CadenzaMail

@Suite struct MailMessageTests {
    var sample: MailMessage {
        get throws {
            MailMessage(
                from: try MailAddress(parsing: "Cadenza <cadenza@example.org>"), to: [try MailAddress(address: "ann@example.org")],
                subject: "Neues Album von Ärzte — 12 Titel, und ein sehr langer Betreff, der gefaltet werden muss",
                text: "Hallo Ann,\n.hidden line\n..two dots\nLänge: 3:45 = gut   \n" + String(repeating: "x", count: 200),
                html: "<p>Hallo</p>", headers: [("List-Unsubscribe", "<https://example.org/u/1>\r\nBcc: evil@example.org")])
        }
    }

    /// Every line is 7-bit and at most 78 characters (RFC 5322 §2.1.1), and a value with a line
    /// break can never add a header of its own.
    @Test func theMessageIsSevenBitWithShortLinesAndNoInjectedHeaders() throws {
        let text = String(decoding: try sample.rendered(), as: UTF8.self)
        #expect(text.utf8.allSatisfy { $0 < 0x80 })
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 78 }, "\(lines.filter { $0.utf8.count > 78 })")
        #expect(!lines.contains { $0.hasPrefix("Bcc:") })
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        let subject = try #require(lines.firstIndex { $0.hasPrefix("Subject: ") })
        #expect(lines[subject].hasPrefix("Subject: =?UTF-8?B?") && lines[subject + 1].hasPrefix(" =?UTF-8?B?"), "folded encoded words")
    }

    /// The subject's encoded words decode back to the subject.
    @Test func theSubjectRoundTrips() throws {
        let message = try sample
        let words = MailHeader.unstructured(message.subject).components(separatedBy: "\r\n ")
        let decoded = words.map { word -> [UInt8] in
            let body = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return Array(Data(base64Encoded: String(body)) ?? Data())
        }
        #expect(String(decoding: decoded.flatMap { $0 }, as: UTF8.self) == message.subject)
        #expect(words.allSatisfy { $0.utf8.count <= 75 })
    }

    @Test func quotedPrintableKeepsDotsAndMarksTrailingSpace() {
        let lines = QuotedPrintable.encode(".a\nb = c \nü")
        #expect(lines == [".a", "b =3D c=20", "=C3=BC"])
        let long = QuotedPrintable.encode(String(repeating: "é", count: 40))
        #expect(long.count == 4 && long.dropLast().allSatisfy { $0.hasSuffix("=") && $0.count <= 76 })
    }

    /// A line starting with a dot gets a second; the data ends with CRLF and a lone dot.
    @Test func dataIsDotStuffed() {
        let out = String(decoding: SMTPData.stuffed(Array(".a\r\nb\r\n.\r\n..c".utf8)), as: UTF8.self)
        #expect(out == "..a\r\nb\r\n..\r\n...c\r\n.\r\n")
    }

    @Test func addressesThatCouldBreakACommandAreRefused() {
        for bad in ["", "a", "a@b", "a b@c.org", "a@b.org>\r\nRCPT TO:<x@y.org", "<a@b.org>", "a@@b.org", "a@.org", "a@b.", "ä@b.org"] {
            #expect(throws: MailAddressError.self, "\(bad)") { try MailAddress(address: bad) }
        }
        #expect((try? MailAddress(parsing: "\"Ann \\\"A\\\"\" <ann+tag@mail.example.org>"))?.address == "ann+tag@mail.example.org")
    }

    @Test func repliesAreParsedLineByLine() throws {
        var reply: SMTPReply?
        #expect(try !SMTPReply.parse(line: "250-mail.example.org", into: &reply))
        #expect(try !SMTPReply.parse(line: "250-STARTTLS", into: &reply))
        #expect(try SMTPReply.parse(line: "250 AUTH PLAIN LOGIN", into: &reply))
        let ehlo = try #require(reply)
        #expect(SMTPClient.offers("STARTTLS", in: ehlo) && SMTPClient.authMechanisms(in: ehlo) == ["PLAIN", "LOGIN"])
        var bad: SMTPReply?
        #expect(throws: SMTPError.self) { try SMTPReply.parse(line: "hello", into: &bad) }
        #expect(SMTPReply(code: 450, lines: []).isTransient && SMTPReply(code: 550, lines: []).isPermanent)
    }

    @Test func configurationURLs() throws {
        let plain = try SMTPConfiguration(url: "smtp://me%40x.org:p%3Ass@mail.example.org")
        #expect(plain.security == .startTLS && plain.port == 587 && plain.username == "me@x.org" && plain.password == "p:ss")
        let tls = try SMTPConfiguration(url: "smtps://mail.example.org")
        #expect(tls.security == .implicitTLS && tls.port == 465 && tls.username == nil)
        #expect(try SMTPConfiguration(url: "smtp://u:50%2525off@x.org").password == "50%25off", "decoded once")
        for bad in ["http://x.org", "smtp://", "smtp://u@x.org", "smtp://x.org:0", "smtp://x.org/path"] {
            #expect(throws: SMTPConfigurationError.self, "\(bad)") { try SMTPConfiguration(url: bad) }
        }
    }

    @Test func theEHLONameIsAHostNameOrAnAddressLiteral() {
        #expect(SMTPClient.ehloName("radio.example.org") == "radio.example.org")
        #expect(SMTPClient.ehloName("10.0.0.5") == "[10.0.0.5]" && SMTPClient.ehloName("::1") == "[IPv6:::1]")
        #expect(SMTPClient.ehloName("x\r\nMAIL FROM:<a@b.org>") == "localhost" && SMTPClient.ehloName("") == "localhost")
    }

    /// Long plain subjects are folded, never left to pass the line limits; headers the message
    /// sets itself cannot be added twice.
    @Test func longSubjectsFoldAndReservedHeadersAreDropped() throws {
        let long = (1...40).map { "word\($0)" }.joined(separator: " ") + " " + String(repeating: "y", count: 100)
        let message = MailMessage(
            from: try MailAddress(address: "a@b.org"), to: [try MailAddress(address: "c@d.org")], subject: long, text: "x",
            headers: [("Bcc", "spy@x.org"), ("Content-Type", "text/html"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")])
        let lines = String(decoding: message.rendered(), as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(!lines.contains { $0.hasPrefix("Bcc:") } && lines.filter { $0.hasPrefix("Content-Type:") }.count == 1)
        #expect(lines.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
    }

    /// A mail client reads List-Unsubscribe's URL as it is: a long one is never made an encoded word.
    @Test func structuredHeadersKeepLongURLs() throws {
        let url = "<https://music.example.org/notifications/unsubscribe?d=12&t=" + String(repeating: "A", count: 43) + ">"
        let message = MailMessage(
            from: try MailAddress(address: "a@b.org"), to: [try MailAddress(address: "c@d.org")], subject: "s", text: "x",
            headers: [("List-Unsubscribe", url), ("X-Note", "café")])
        let lines = String(decoding: message.rendered(), as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.contains("List-Unsubscribe: " + url))
        #expect(lines.contains { $0.hasPrefix("X-Note: =?UTF-8?B?") })
    }
}
