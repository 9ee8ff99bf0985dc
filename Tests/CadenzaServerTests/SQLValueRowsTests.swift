import Foundation
import SQLKit
import Testing

@testable import CadenzaServer

/// The scanner's rows are written as text it builds itself (integers and NULL inline, the rest
/// bound): every value must come back as it went in, on both databases.
@Suite struct SQLValueRowsTests {
    @Test func valuesComeBackAsWrittenAcrossStatements() async throws {
        try await withApp { app in
            let db = app.sql
            try await db.raw("CREATE TABLE value_rows_probe (n BIGINT, r DOUBLE PRECISION, t TEXT, position BIGINT NOT NULL)").run()
            let samples: [(Int64?, Double?, String?)] = [
                (Int64.min, -0.5, "it's \"quoted\"; DROP TABLE users; --"), (Int64.max, 1e-300, "ünïcode ✓"), (0, nil, nil),
                (-1, 3.25, ""), (nil, -1.5e10, "?"), (42, 0, "$1"),
            ]
            // A small bind budget splits the rows over several statements, as the scanner's 900 do.
            let rows = (0..<30).map { index -> [SQLRowValue] in
                let sample = samples[index % samples.count]
                return [.init(sample.0), .init(sample.1), .init(sample.2), .integer(Int64(index))]
            }
            try await db.insertRows(into: "value_rows_probe (n, r, t, position)", values: rows, maxBinds: 7)
            let back = try await db.raw("SELECT n, r, t FROM value_rows_probe ORDER BY position").all()
            #expect(back.count == rows.count)
            for (index, row) in back.enumerated() {
                let sample = samples[index % samples.count]
                #expect(try row.decode(column: "n", as: Int64?.self) == sample.0, "row \(index)")
                #expect(try row.decode(column: "r", as: Double?.self) == sample.1, "row \(index)")
                #expect(try row.decode(column: "t", as: String?.self) == sample.2, "row \(index)")
            }
        }
    }
}
