import AsyncKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import NIOCore
import Vapor

/// Errors that are the server's circumstances, not a fault in the request or in the code: the
/// database cannot be reached (503, try again in a few seconds) or the disk is full (507). Every
/// protocol answers them in its own error format with that status and a `Retry-After`, so a
/// client backs off and retries instead of seeing an "internal error".
enum ServerTrouble: Sendable {
    case databaseUnavailable
    case diskFull

    init?(_ error: any Error) {
        switch error {
        case let psql as PSQLError:
            switch psql.code {
            case .serverClosedConnection, .clientClosedConnection, .connectionError, .poolClosed, .uncleanShutdown:
                self = .databaseUnavailable
                return
            default: break
            }
            // 08: connection exceptions (but 08P01, a protocol violation, is a bug), 57P0x: the server is
            // shutting down or starting, 53300: too many connections; 53100: disk full.
            guard let state = psql.serverInfo?[.sqlState] else { return nil }
            if state == "53100" {
                self = .diskFull
            } else if (state.hasPrefix("08") && state != "08P01") || state.hasPrefix("57P") || state == "53300" {
                self = .databaseUnavailable
            } else {
                return nil
            }
        case is ConnectionPoolTimeoutError, is ConnectionPoolError, is DeadlineExceeded:
            self = .databaseUnavailable
        case let sqlite as SQLiteError where sqlite.reason == .full:
            self = .diskFull
        case let io as IOError where io.errnoCode == ENOSPC:
            self = .diskFull
        case let cocoa as CocoaError where cocoa.code == .fileWriteOutOfSpace:
            self = .diskFull
        default:
            let ns = error as NSError
            guard ns.domain == NSPOSIXErrorDomain, ns.code == Int(ENOSPC) else { return nil }
            self = .diskFull
        }
    }

    var status: HTTPResponseStatus {
        switch self {
        case .databaseUnavailable: .serviceUnavailable
        case .diskFull: .insufficientStorage
        }
    }

    var code: String {
        switch self {
        case .databaseUnavailable: "database_unavailable"
        case .diskFull: "insufficient_storage"
        }
    }

    var message: String {
        switch self {
        case .databaseUnavailable: "The server cannot reach its database just now; try again in a few seconds."
        case .diskFull: "The server's disk is full; nothing was stored. Try again later."
        }
    }

    var retryAfter: Int {
        switch self {
        case .databaseUnavailable: 5
        case .diskFull: 60
        }
    }

    var headers: HTTPHeaders { ["Retry-After": String(retryAfter)] }
}
