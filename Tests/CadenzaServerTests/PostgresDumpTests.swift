@testable import CadenzaServer
import Foundation
import Testing

@Suite struct PostgresDumpTests {
    /// A backup dumps the database the server uses: the URL's own, or (without one) the user's,
    /// as the server and libpq default to; the password only in the environment.
    @Test func aTCPURLGivesHostPortUserAndTheServersDatabase() throws {
        let named = try PostgresDump.connection("postgres://cadenza:s%40cret@db.example:6543/music?sslmode=require")
        #expect(named.arguments == ["--host", "db.example", "--port", "6543", "--username", "cadenza", "--dbname", "music", "--no-password"])
        #expect(named.environment["PGPASSWORD"] == "s@cret" && named.environment["PGSSLMODE"] == "require")
        #expect(!named.arguments.contains("s@cret"))
        let unnamed = try PostgresDump.connection("postgresql://radio@db.example")
        #expect(unnamed.arguments == ["--host", "db.example", "--port", "5432", "--username", "radio", "--dbname", "radio", "--no-password"])
    }

    /// The server reaches PostgreSQL over a Unix socket with `postgres+uds://…/.s.PGSQL.PORT#db`;
    /// pg_dump is given the socket's directory and port.
    @Test func aSocketURLGivesTheSocketsDirectoryAndPort() throws {
        let c = try PostgresDump.connection("postgres+uds://cadenza@localhost/var/run/postgresql/.s.PGSQL.5433#music")
        #expect(c.arguments == ["--host", "/var/run/postgresql", "--port", "5433", "--username", "cadenza", "--dbname", "music", "--no-password"])
        let unnamed = try PostgresDump.connection("postgresql+uds://cadenza@/run/pg/.s.PGSQL.5432")
        #expect(unnamed.arguments == ["--host", "/run/pg", "--port", "5432", "--username", "cadenza", "--dbname", "cadenza", "--no-password"])
        #expect(PostgresDump.describe("postgres+uds://cadenza:pw@localhost/run/pg/.s.PGSQL.5432#music") == "cadenza@/run/pg/.s.PGSQL.5432#music")
        for bad in [
            "postgres+uds://cadenza@localhost/run/pg", "postgres+uds://cadenza@localhost/run/pg/.s.PGSQL.99999", "postgres://cadenza@/db",
            "not a url",
        ] {
            #expect(throws: Backup.Failure.self, "\(bad)") { try PostgresDump.connection(bad) }
        }
    }
}
