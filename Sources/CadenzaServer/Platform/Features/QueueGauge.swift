import SQLKit

/// One Prometheus gauge sample a feature reports about its queue.
public struct QueueGauge: Sendable {
    public var name: String
    public var labels: [(String, String)]
    public var value: Double

    public init(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }

    /// Waiting rows by status and the age of the oldest waiting one, for a table of deliveries.
    static func deliveries(
        _ kind: String, table: String, statuses: [String], waiting: String, since column: String, on db: any SQLDatabase
    ) async throws -> [QueueGauge] {
        // Every status reported, 0 when none is left: a gauge not set again would keep its last value.
        var gauges = statuses.map { QueueGauge("cadenza_deliveries", [("kind", kind), ("status", $0)], 0) }
        for row in try await db.raw("SELECT status, COUNT(*) AS n FROM \(unsafeRaw: table) GROUP BY status").all() {
            gauges.append(
                QueueGauge(
                    "cadenza_deliveries", [("kind", kind), ("status", try row.decode(column: "status", as: String.self))],
                    Double(try row.decode(column: "n", as: Int64.self))))
        }
        let oldest = try await db.raw(
            "SELECT MIN(\(unsafeRaw: column)) AS t FROM \(unsafeRaw: table) WHERE status = \(bind: waiting)"
        ).first()?.decode(column: "t", as: Int64?.self)
        let age = oldest.map { max(0, Double(Clock.nowMillis() - $0) / 1000) } ?? 0
        gauges.append(QueueGauge("cadenza_deliveries_oldest_waiting_seconds", [("kind", kind)], age))
        return gauges
    }
}
