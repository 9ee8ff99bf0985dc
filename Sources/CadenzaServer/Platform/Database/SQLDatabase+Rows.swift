import SQLKit

extension SQLDatabase {
    /// Multi-row INSERT in chunks that stay under both databases' bind-parameter limits; `suffix`
    /// (`ON CONFLICT …`, `RETURNING …`) ends every statement. Returns the rows RETURNING produced.
    @discardableResult
    func insertRows(into target: String, rows: [[any SQLExpression]], suffix: String = "",
                    maxBinds: Int = 8000) async throws -> [any SQLRow] {
        guard let width = rows.first?.count, width > 0 else { return [] }
        var returned: [any SQLRow] = []
        for chunk in rows.chunked(max(1, maxBinds / width)) {
            let values = SQLList(chunk.map { SQLGroupExpression(SQLList($0)) })
            returned += try await raw("INSERT INTO \(unsafeRaw: target) VALUES \(values) \(unsafeRaw: suffix)").all()
        }
        return returned
    }
}
