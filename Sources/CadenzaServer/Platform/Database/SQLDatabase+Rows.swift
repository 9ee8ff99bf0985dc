import SQLKit

extension SQLDatabase {
    /// Multi-row INSERT in chunks that stay under both databases' bind-parameter limits; `suffix`
    /// (`ON CONFLICT …`, `RETURNING …`) ends every statement. Returns the rows RETURNING produced.
    @discardableResult
    func insertRows(
        into target: String, rows: [[any SQLExpression]], suffix: String = "",
        maxBinds: Int = 8000
    ) async throws -> [any SQLRow] {
        guard let width = rows.first?.count, width > 0 else { return [] }
        var returned: [any SQLRow] = []
        for chunk in rows.chunked(max(1, maxBinds / width)) {
            let values = SQLList(chunk.map { SQLGroupExpression(SQLList($0)) })
            returned += try await raw("INSERT INTO \(unsafeRaw: target) VALUES \(values) \(unsafeRaw: suffix)").all()
        }
        return returned
    }
}

extension SQLDatabase {
    /// Multi-row INSERT of integers written as SQL literals: for rollups computed by the server
    /// itself (never user input), where binding tens of thousands of parameters would cost more
    /// than the statement.
    func insertIntegerRows(into target: String, rows: [[Int64]], suffix: String = "", rowsPerStatement: Int = 2000) async throws {
        for chunk in rows.chunked(rowsPerStatement) where !chunk.isEmpty {
            var values = ""
            values.reserveCapacity(chunk.count * 32)
            for (index, row) in chunk.enumerated() {
                if index > 0 { values += "," }
                values += "("
                for (column, value) in row.enumerated() {
                    if column > 0 { values += "," }
                    values += String(value)
                }
                values += ")"
            }
            try await raw("INSERT INTO \(unsafeRaw: target) VALUES \(unsafeRaw: values) \(unsafeRaw: suffix)").run()
        }
    }
}
