import SQLKit

extension User {
    /// How many accounts there are, and how many signed in or used a token since each instant
    /// (NodeInfo's active users).
    static func counts(activeSince instants: [Int64], on db: any SQLDatabase) async throws -> (total: Int, active: [Int]) {
        let total = try await db.raw("SELECT COUNT(*) AS n FROM users").first()?.decode(column: "n", as: Int.self) ?? 0
        var active: [Int] = []
        for since in instants {
            let n =
                try await db.raw(
                    """
                    SELECT COUNT(*) AS n FROM users u WHERE EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id AND s.created_at >= \(bind: since))
                    OR EXISTS (SELECT 1 FROM api_tokens t WHERE t.user_id = u.id AND t.last_used_at >= \(bind: since))
                    """
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            active.append(n)
        }
        return (total, active)
    }
}
