import SQLKit

/// One value of a row for ``SQLDatabase/insertRows(into:values:suffix:maxBinds:)``. Typed, so a
/// statement of thousands of values is written without an existential per value: integers (the
/// server's own numbers) and NULL go into the text, only text and reals are bound.
enum SQLRowValue: Sendable, Equatable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null

    init(_ value: Int64?) { self = value.map(Self.integer) ?? .null }
    init(_ value: Int?) { self = value.map { .integer(Int64($0)) } ?? .null }
    init(_ value: Double?) { self = value.map(Self.real) ?? .null }
    init(_ value: String?) { self = value.map(Self.text) ?? .null }
}

/// `(…),(…)` for a multi-row INSERT's VALUES.
struct SQLValueRows: SQLExpression {
    let rows: ArraySlice<[SQLRowValue]>

    func serialize(to serializer: inout SQLSerializer) {
        // Placeholders written here as the two dialects write them: SQLKit's general path (an
        // expression per placeholder, an existential and casts per value) was ~5 % of a scan's CPU.
        let style = serializer.dialect.name
        for (index, row) in rows.enumerated() {
            serializer.sql += index == 0 ? "(" : ",("
            for (column, value) in row.enumerated() {
                if column > 0 { serializer.sql += "," }
                switch value {
                case .null: serializer.sql += "NULL"
                case .integer(let number): serializer.sql += String(number)
                case .real(let number): Self.bind(number, style: style, to: &serializer)
                case .text(let text): Self.bind(text, style: style, to: &serializer)
                }
            }
            serializer.sql += ")"
        }
    }

    private static func bind(_ value: some Encodable & Sendable, style: String, to serializer: inout SQLSerializer) {
        switch style {
        case "sqlite":
            serializer.binds.append(value)
            serializer.sql += "?"
        case "postgresql":
            serializer.binds.append(value)
            serializer.sql += "$" + String(serializer.binds.count)
        default:
            serializer.write(bind: value)
        }
    }
}

extension SQLDatabase {
    /// ``insertRows(into:rows:suffix:maxBinds:)`` for typed values, for the scanner's thousands of rows.
    @discardableResult
    func insertRows(
        into target: String, values rows: [[SQLRowValue]], suffix: String = "", maxBinds: Int = 8000
    ) async throws -> [any SQLRow] {
        guard let width = rows.first?.count, width > 0 else { return [] }
        var returned: [any SQLRow] = []
        for chunk in rows.chunked(max(1, maxBinds / width)) {
            returned += try await raw("INSERT INTO \(unsafeRaw: target) VALUES \(SQLValueRows(rows: chunk)) \(unsafeRaw: suffix)").all()
        }
        return returned
    }
}
