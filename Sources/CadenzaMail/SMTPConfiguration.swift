import Foundation

/// Where mail goes: `smtp://user:pass@host:587` (STARTTLS whenever the server offers it, and
/// required before a password is sent) or `smtps://user:pass@host:465` (TLS from the first byte).
public struct SMTPConfiguration: Sendable, Equatable {
    public enum Security: Sendable, Equatable {
        /// STARTTLS when offered (`smtp://`).
        case startTLS
        /// TLS from the start (`smtps://`).
        case implicitTLS
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// PEM file of certificate authorities to trust instead of the system's (a private mail server).
    public var trustRootsFile: String?

    public init(host: String, port: Int, security: Security, username: String? = nil, password: String? = nil, trustRootsFile: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.trustRootsFile = trustRootsFile
    }

    /// Parses an `smtp://` or `smtps://` URL; the error says what is wrong with it (never the password).
    public init(url raw: String) throws(SMTPConfigurationError) {
        guard let components = URLComponents(string: raw), let scheme = components.scheme?.lowercased() else {
            throw SMTPConfigurationError("expected smtp://user:password@host:587 or smtps://user:password@host:465")
        }
        switch scheme {
        case "smtp": security = .startTLS
        case "smtps": security = .implicitTLS
        default: throw SMTPConfigurationError("the scheme must be smtp or smtps, not \(scheme)")
        }
        guard let host = components.host, !host.isEmpty else { throw SMTPConfigurationError("a host is needed") }
        self.host = host
        let port = components.port ?? (security == .implicitTLS ? 465 : 587)
        guard (1...65_535).contains(port) else { throw SMTPConfigurationError("the port must be 1...65535") }
        self.port = port
        // Decoded once, from the encoded parts (`user`/`password` are decoded already).
        username = components.percentEncodedUser?.removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 }
        password = components.percentEncodedPassword?.removingPercentEncoding
        if username != nil, password == nil { throw SMTPConfigurationError("a user is given without a password") }
        guard components.path.isEmpty || components.path == "/" else { throw SMTPConfigurationError("no path is expected after the port") }
        trustRootsFile = nil
    }
}

public struct SMTPConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
