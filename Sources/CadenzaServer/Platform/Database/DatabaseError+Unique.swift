import PostgresNIO
import SQLiteNIO

/// Tells a unique-constraint violation from any other failure by the driver's own error code,
/// not by the words in its message (which differ by database, version and locale).
enum UniqueViolation {
    static func matches(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            return error.serverInfo?[.sqlState] == PostgresError.Code.uniqueViolation.raw
        }
        if let error = error as? SQLiteError {
            return error.reason == .constraintUniqueFailed || error.reason == .constraintPrimaryKeyFailed
        }
        return false
    }
}
