@testable import CadenzaServer
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@Suite struct AuthTests {
    @Test func wrongPasswordIsRefusedWithTheErrorFormat() async throws {
        try await withApp { app in
            _ = try await app.makeUser("ann", password: "right-password")
            try await app.testing().test(
                .POST, "api/v1/auth/login", headers: ["Content-Type": "application/json"],
                body: ByteBuffer(string: #"{"username":"ann","password":"wrong-password"}"#)
            ) { res async throws in
                #expect(res.status == .unauthorized)
                #expect(try res.content.decode(ErrorBody.self).error.code == "invalid_credentials")
                #expect(res.headers.setCookie?[SessionStore.cookieName] == nil)
            }
        }
    }

    @Test func loginSetsAHardenedCookieAndCSRFIsRequiredForUnsafeMethods() async throws {
        try await withApp { app in
            _ = try await app.makeUser("ann", password: "right-password")
            var cookie = "", csrf = ""
            try await app.testing().test(
                .POST, "api/v1/auth/login", headers: ["Content-Type": "application/json"],
                body: ByteBuffer(string: #"{"username":"ANN","password":"right-password"}"#)
            ) { res async throws in
                #expect(res.status == .ok)
                let session = try #require(res.headers.setCookie?[SessionStore.cookieName])
                #expect(session.isHTTPOnly)
                #expect(session.sameSite == .lax)
                cookie = session.string
                csrf = try res.content.decode(AuthController.SessionResponse.self).csrfToken ?? ""
            }
            let cookieHeader: HTTPHeaders = ["Cookie": "\(SessionStore.cookieName)=\(cookie)", "Content-Type": "application/json"]
            // Reading needs no CSRF token.
            try await app.testing().test(.GET, "api/v1/me", headers: cookieHeader) { res async throws in
                #expect(res.status == .ok)
            }
            // Writing without it is refused, with it allowed.
            try await app.testing().test(.POST, "api/v1/tokens", headers: cookieHeader, body: ByteBuffer(string: #"{"name":"cli"}"#)) {
                res async throws in
                #expect(res.status == .forbidden)
                #expect(try res.content.decode(ErrorBody.self).error.code == "csrf_failed")
            }
            var withCSRF = cookieHeader
            withCSRF.add(name: SessionStore.csrfHeader, value: "not-the-token")
            try await app.testing().test(.POST, "api/v1/tokens", headers: withCSRF, body: ByteBuffer(string: #"{"name":"cli"}"#)) {
                res async throws in
                #expect(res.status == .forbidden)
            }
            withCSRF.replaceOrAdd(name: SessionStore.csrfHeader, value: csrf)
            try await app.testing().test(.POST, "api/v1/tokens", headers: withCSRF, body: ByteBuffer(string: #"{"name":"cli"}"#)) {
                res async throws in
                #expect(res.status == .created)
            }
            // Logging out ends the session server-side, not just in the browser.
            try await app.testing().test(.POST, "api/v1/auth/logout", headers: withCSRF) { res async throws in
                #expect(res.status == .noContent)
            }
            try await app.testing().test(.GET, "api/v1/me", headers: cookieHeader) { res async throws in
                #expect(res.status == .unauthorized)
            }
        }
    }

    @Test func revokedAndExpiredTokensAreRefused() async throws {
        try await withApp { app in
            let (userID, token) = try await app.makeUser("ann")
            try await app.testing().test(.GET, "api/v1/me", headers: .bearer(token)) { res async throws in
                #expect(res.status == .ok)
            }
            // The token is stored hashed, never in clear.
            let stored = try await app.sql.raw("SELECT token_hash FROM api_tokens").all()
            #expect(try stored.allSatisfy { try $0.decode(column: "token_hash", as: String.self) != token })

            let tokens = try await APITokenStore.list(userID: userID, on: app.sql)
            try await app.testing().test(.DELETE, "api/v1/tokens/\(tokens[0].id)", headers: .bearer(token)) { res async throws in
                #expect(res.status == .noContent)
            }
            try await app.testing().test(.GET, "api/v1/me", headers: .bearer(token)) { res async throws in
                #expect(res.status == .unauthorized)
            }

            let expiring = try await APITokenStore.create(userID: userID, name: "short", expiresAt: Clock.nowMillis() - 1, on: app.sql)
            try await app.testing().test(.GET, "api/v1/me", headers: .bearer(expiring.token ?? "")) { res async throws in
                #expect(res.status == .unauthorized)
                #expect(try res.content.decode(ErrorBody.self).error.code == "unauthorized")
            }
            try await app.testing().test(.GET, "api/v1/me", headers: ["Authorization": "Basic YTpi"]) { res async throws in
                #expect(res.status == .unauthorized)
            }
        }
    }

    @Test func tokensOfOneUserCannotBeRevokedByAnother() async throws {
        try await withApp { app in
            let (annID, annToken) = try await app.makeUser("ann")
            let (_, bobToken) = try await app.makeUser("bob")
            let annTokens = try await APITokenStore.list(userID: annID, on: app.sql)
            try await app.testing().test(.DELETE, "api/v1/tokens/\(annTokens[0].id)", headers: .bearer(bobToken)) { res async throws in
                #expect(res.status == .notFound)
            }
            try await app.testing().test(.GET, "api/v1/me", headers: .bearer(annToken)) { res async throws in
                #expect(res.status == .ok)
            }
        }
    }

    @Test func loginIsRateLimitedPerAccountWithRetryAfter() async throws {
        try await withApp(settings: ["CADENZA_LOGIN_LIMIT_PER_ACCOUNT": "3", "CADENZA_RATE_WINDOW_SECONDS": "600"]) { app in
            _ = try await app.makeUser("ann", password: "right-password")
            let wrong = ByteBuffer(string: #"{"username":"ann","password":"wrong-password"}"#)
            for _ in 0..<3 {
                try await app.testing().test(.POST, "api/v1/auth/login", headers: ["Content-Type": "application/json"], body: wrong) {
                    res async throws in
                    #expect(res.status == .unauthorized)
                }
            }
            // Now even the right password waits: that is what stops guessing.
            try await app.testing().test(
                .POST, "api/v1/auth/login", headers: ["Content-Type": "application/json"],
                body: ByteBuffer(string: #"{"username":"ann","password":"right-password"}"#)
            ) { res async throws in
                #expect(res.status == .tooManyRequests)
                let retry = try #require(res.headers.first(name: "Retry-After").flatMap(Int.init))
                #expect(retry > 0 && retry <= 600)
                #expect(try res.content.decode(ErrorBody.self).error.code == "rate_limited")
            }
        }
    }

    @Test func loginIsRateLimitedPerIP() async throws {
        try await withApp(settings: ["CADENZA_LOGIN_LIMIT_PER_IP": "2", "CADENZA_RATE_WINDOW_SECONDS": "86400"]) { app in
            for name in ["a1", "a2", "a3"] {
                try await app.testing().test(
                    .POST, "api/v1/auth/login", headers: ["Content-Type": "application/json"],
                    body: ByteBuffer(string: #"{"username":"\#(name)","password":"whatever1"}"#)
                ) { res async throws in
                    #expect(res.status == (name == "a3" ? .tooManyRequests : .unauthorized))
                }
            }
        }
    }

    @Test func nonAdminsGet403OnAdminRoutesAndAnonymous401() async throws {
        try await withApp { app in
            let (_, token) = try await app.makeUser("bob")
            for (method, path) in [
                (HTTPMethod.GET, "api/v1/users"), (.GET, "api/v1/jobs"), (.POST, "api/v1/jobs/ping"),
                (.DELETE, "api/v1/users/1"), (.POST, "api/v1/jobs/1/retry"),
            ] {
                try await app.testing().test(method, path, headers: .bearer(token), body: ByteBuffer(string: "{}")) { res async throws in
                    #expect(res.status == .forbidden, "\(method) \(path)")
                    #expect(try res.content.decode(ErrorBody.self).error.code == "forbidden")
                }
                try await app.testing().test(method, path, headers: ["Content-Type": "application/json"], body: ByteBuffer(string: "{}")) {
                    res async throws in
                    #expect(res.status == .unauthorized, "\(method) \(path)")
                }
            }
        }
    }

    @Test func adminsManageUsersButNotThemselvesAway() async throws {
        try await withApp { app in
            let (adminID, admin) = try await app.makeUser("root", role: .admin)
            try await app.testing().test(
                .POST, "api/v1/users", headers: .bearer(admin),
                body: ByteBuffer(string: #"{"username":"carol","password":"password99"}"#)
            ) { res async throws in
                #expect(res.status == .created)
                #expect(try res.content.decode(UserDTO.self).role == .user)
            }
            try await app.testing().test(
                .POST, "api/v1/users", headers: .bearer(admin),
                body: ByteBuffer(string: #"{"username":"Carol","password":"password99"}"#)
            ) { res async throws in
                #expect(res.status == .conflict)
            }
            try await app.testing().test(.DELETE, "api/v1/users/\(adminID)", headers: .bearer(admin)) { res async throws in
                #expect(res.status == .conflict)
            }
            let carol = try #require(try await User.find(username: "carol", on: app.db))
            try await app.testing().test(.DELETE, "api/v1/users/\(try carol.requireID())", headers: .bearer(admin)) { res async throws in
                #expect(res.status == .noContent)
            }
            #expect(try await User.find(username: "carol", on: app.db) == nil)
        }
    }

    @Test func firstRunSetupCreatesOneAdminOnce() async throws {
        try await withApp { app in
            try await Setup.announceIfNeeded(app)
            // The printed token is not recoverable from the database; plant a known one the same way.
            let token = "known-setup-token"
            try await app.sql.raw(
                """
                UPDATE server_state SET value = \(bind: "\(Secrets.hash(token)):\(Clock.nowMillis() + 60_000)") WHERE key = 'setup_token'
                """
            ).run()
            try await app.testing().test(
                .POST, "api/v1/setup", headers: ["Content-Type": "application/json"],
                body: ByteBuffer(string: #"{"token":"wrong","username":"root","password":"password1"}"#)
            ) { res async throws in
                #expect(res.status == .forbidden)
            }
            try await app.testing().test(
                .POST, "api/v1/setup", headers: ["Content-Type": "application/json"],
                body: ByteBuffer(string: #"{"token":"\#(token)","username":"root","password":"password1"}"#)
            ) { res async throws in
                #expect(res.status == .created)
                #expect(try res.content.decode(AuthController.SessionResponse.self).user.role == .admin)
            }
            try await app.testing().test(
                .POST, "api/v1/setup", headers: ["Content-Type": "application/json"],
                body: ByteBuffer(string: #"{"token":"\#(token)","username":"evil","password":"password1"}"#)
            ) { res async throws in
                #expect(res.status == .conflict)
            }
            #expect(try await User.query(on: app.db).count() == 1)
        }
    }
}
