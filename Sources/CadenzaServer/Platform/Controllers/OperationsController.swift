import NIOConcurrencyHelpers
import CoreMetrics
import Fluent
import Prometheus
import SQLKit
import Vapor

/// Liveness, readiness and metrics for operators and orchestrators.
enum OperationsController {
    struct Health: Content {
        var status: String
        var checks: [String: String]?
    }

    @Sendable static func healthz(req: Request) async throws -> Health {
        Health(status: "ok", checks: nil)
    }

    /// Ready when the database answers and every known migration has been applied.
    @Sendable static func readyz(req: Request) async throws -> Response {
        var checks: [String: String] = [:]
        var ready = true
        do {
            _ = try await req.sql.raw("SELECT 1 AS one").first()
            checks["database"] = "ok"
            let applied =
                try await req.sql.raw("SELECT COUNT(*) AS n FROM _fluent_migrations").first()?
                .decode(column: "n", as: Int.self) ?? 0
            let known = try req.application.cadenza.migrationCount
            if applied >= known {
                checks["migrations"] = "ok"
            } else {
                checks["migrations"] = "\(applied) of \(known) applied"
                ready = false
            }
        } catch {
            checks["database"] = "unreachable"
            ready = false
        }
        let response = Response(status: ready ? .ok : .serviceUnavailable)
        try response.content.encode(Health(status: ready ? "ok" : "unavailable", checks: checks))
        return response
    }

    /// A Prometheus on this host may scrape directly; anyone else (or anything that came through a
    /// proxy) needs `CADENZA_METRICS_TOKEN` as a bearer token. Job counts and subscriber numbers are
    /// an operator's business, not the public's.
    static func mayReadMetrics(_ req: Request) throws -> Bool {
        if let token = try req.application.settings.metricsToken, let header = req.headers.bearerAuthorization?.token {
            return Secrets.equal(Secrets.hash(header), Secrets.hash(token))
        }
        let peer = req.remoteAddress?.ipAddress ?? ""
        let local = peer == "127.0.0.1" || peer == "::1" || peer.hasPrefix("::ffff:127.")
        return local && req.headers[.xForwardedFor].isEmpty && req.headers.first(name: "Forwarded") == nil
    }

    @Sendable static func metrics(req: Request) async throws -> Response {
        guard try mayReadMetrics(req) else {
            throw APIError(status: .unauthorized, code: "metrics_token_required", message: "Send the metrics token as a bearer token.")
        }
        Metrics.registry.makeGauge(name: "cadenza_event_subscribers")
            .set(Double(try req.application.cadenza.hub.subscriberCount))
        // The queue gauges come from the database. While it is away the node still answers with
        // what it knows (requests, dead air), or every node would look down at once.
        let features = try req.application.cadenza.features
        let sql = req.sql
        let reached: Bool
        do {
            reached = try await withDeadline(.seconds(3)) {
                let counts = try await JobQueue.countsByState(on: sql)
                for (state, count) in counts {
                    Metrics.registry.makeGauge(name: "cadenza_jobs", labels: [("state", state.rawValue)]).set(Double(count))
                }
                Metrics.registry.makeGauge(name: "cadenza_jobs_oldest_queued_seconds").set(try await JobQueue.oldestDueAge(on: sql))
                for feature in features {
                    for gauge in try await feature.queueGauges(on: sql) {
                        Metrics.registry.makeGauge(name: gauge.name, labels: gauge.labels).set(gauge.value)
                    }
                }
                return true
            }
        } catch {
            req.logger.warning("metrics: the database did not answer", metadata: ["error": .string("\(error)")])
            reached = false
        }
        Metrics.registry.makeGauge(name: "cadenza_database_up").set(Double(reached ? 1 : 0))
        let response = Response(status: .ok, body: .init(string: Metrics.registry.emitToString()))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        return response
    }
}

/// The process-wide Prometheus registry behind swift-metrics (one per process, like the
/// metrics system itself).
public enum Metrics {
    public static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = NIOLockedValueBox(false)

    /// Installs Prometheus as the swift-metrics backend; Vapor then reports request counts and
    /// latency by route on its own. Safe to call more than once.
    public static func bootstrap() {
        let first = bootstrapped.withLockedValue { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        MetricsSystem.bootstrap(factory)
    }
}
