import Fluent
import FluentPostgresDriver
import PostgresNIO
import SQLKit
import Vapor

/// What every Subsonic request reads first, in one statement: the account, its sealed Subsonic
/// password, its recent failures and the versions the caches check. On PostgreSQL it is a named
/// prepared statement (planned once per connection: planning cost more than running it).
struct SubsonicCredentials {
    var userID: Int64
    var username: String
    var role: String
    var annotationsVersion: Int64
    var sealedSecret: String?
    var catalogVersion: String?
    var failures: Int

    /// `failures` is the larger of the failures from this address and a tenth of the account's
    /// failures from everywhere: one budget check covers both limits.
    static func load(
        usernameKey: String, bucket: String, addressBucket: String, windowStart: Int64, on req: Request
    ) async throws -> SubsonicCredentials? {
        if let postgres = req.db as? any PostgresDatabase {
            let statement = Statement(bucket: bucket, windowStart: windowStart, usernameKey: usernameKey, addressBucket: addressBucket)
            let logger = req.logger
            return try await postgres.withConnection { connection in
                connection.eventLoop.makeFutureWithTask {
                    for try await row in try await connection.execute(statement, logger: logger) { return row }
                    return nil
                }
            }.get()
        }
        guard
            let row = try await req.sql.raw(
                """
                SELECT u.id, u.username, u.role, u.annotations_version, c.secret,
                       (SELECT s.value FROM server_state s WHERE s.key = \(bind: CatalogCache.versionKey)) AS catalog_version,
                       MAX(COALESCE((SELECT r.count FROM rate_limits r WHERE r.bucket = \(bind: addressBucket) AND r.window_start = \(bind: windowStart)), 0),
                           COALESCE((SELECT r.count FROM rate_limits r WHERE r.bucket = \(bind: bucket) AND r.window_start = \(bind: windowStart)), 0) / 10) AS failures
                FROM users u LEFT JOIN subsonic_credentials c ON c.user_id = u.id WHERE u.username_key = \(bind: usernameKey)
                """
            ).first()
        else { return nil }
        return SubsonicCredentials(
            userID: try row.decode(column: "id", as: Int64.self), username: try row.decode(column: "username", as: String.self),
            role: try row.decode(column: "role", as: String.self), annotationsVersion: try row.decode(column: "annotations_version", as: Int64.self),
            sealedSecret: try row.decode(column: "secret", as: String?.self),
            catalogVersion: try row.decode(column: "catalog_version", as: String?.self),
            failures: try row.decode(column: "failures", as: Int?.self) ?? 0)
    }

    private struct Statement: PostgresPreparedStatement {
        static let sql = """
            SELECT u.id, u.username, u.role, u.annotations_version, c.secret,
                   (SELECT s.value FROM server_state s WHERE s.key = '\(CatalogCache.versionKey)') AS catalog_version,
                   GREATEST(COALESCE((SELECT r.count FROM rate_limits r WHERE r.bucket = $4 AND r.window_start = $2), 0),
                       COALESCE((SELECT r.count FROM rate_limits r WHERE r.bucket = $1 AND r.window_start = $2), 0) / 10) AS failures
            FROM users u LEFT JOIN subsonic_credentials c ON c.user_id = u.id WHERE u.username_key = $3
            """
        typealias Row = SubsonicCredentials

        var bucket: String
        var windowStart: Int64
        var usernameKey: String
        var addressBucket: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(bucket)
            bindings.append(windowStart)
            bindings.append(usernameKey)
            bindings.append(addressBucket)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> SubsonicCredentials {
            let (id, username, role, version, secret, catalog, failures) =
                try row.decode((Int64, String, String, Int64, String?, String?, Int?).self)
            return SubsonicCredentials(
                userID: id, username: username, role: role, annotationsVersion: version, sealedSecret: secret,
                catalogVersion: catalog, failures: failures ?? 0)
        }
    }
}
