import Foundation
import Logging
import NIOConcurrencyHelpers
import OTel
import ServiceContextModule
import ServiceLifecycle
import Tracing

/// OpenTelemetry traces, exported over OTLP/HTTP when `CADENZA_OTLP_ENDPOINT` names a collector.
///
/// A request's span is the parent of the jobs it queues and of the events it writes; a job's span
/// is the parent of what it queues and writes in turn, and an event consumer's span continues the
/// trace of the events it reads. The parent travels in the rows (`trace_parent`, a W3C
/// traceparent), so the trace follows the work to whichever process picks it up.
public enum CadenzaTracing {
    private static let bootstrapped = NIOLockedValueBox(false)

    /// Sets the process's tracer, once, and returns the service that batches and exports spans
    /// (run it with the others: it flushes what is left when the process stops). `nil` without an
    /// endpoint: spans are then no-ops.
    public static func bootstrap(_ settings: Settings) throws -> (any Service)? {
        guard let endpoint = settings.otlpEndpoint else { return nil }
        let first = bootstrapped.withLockedValue { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return nil }
        var config = OTel.Configuration.default
        config.serviceName = "cadenza"
        config.resourceAttributes["service.instance.id"] = "\(ProcessInfo.processInfo.hostName):\(settings.port)"
        config.resourceAttributes["cadenza.roles"] = settings.roles.map(\.rawValue).sorted().joined(separator: ",")
        config.logs.enabled = false
        config.metrics.enabled = false
        config.traces.exporter = .otlp
        config.traces.otlpExporter.protocol = .httpProtobuf
        config.traces.otlpExporter.endpoint = endpoint + "/v1/traces"
        config.diagnosticLogLevel = .warning
        let backend = try OTel.makeTracingBackend(configuration: config)
        InstrumentationSystem.bootstrap(backend.factory)
        return backend.service
    }

    /// Adds `trace_id` and `span_id` of the current span to every log line.
    static var loggingMetadataProvider: Logger.MetadataProvider { OTel.makeLoggingMetadataProvider() }

    /// The current span as a W3C `traceparent`, to store with a job or an event; `nil` when
    /// tracing is off or no span is current.
    static var currentParent: String? {
        // Every job and event insert asks: without a tracer there is nothing to find.
        guard bootstrapped.withLockedValue({ $0 }), let context = ServiceContextModule.ServiceContext.current else { return nil }
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: DictionaryInjector())
        return carrier["traceparent"]
    }

    /// The trace id (32 hex digits) of the current span, if any.
    static var currentTraceID: String? {
        guard let parent = currentParent else { return nil }
        let parts = parent.split(separator: "-")
        return parts.count == 4 ? String(parts[1]) : nil
    }

    /// A context whose parent is the stored `traceparent`; top level when there is none.
    static func context(parent: String?) -> ServiceContextModule.ServiceContext {
        var context = ServiceContextModule.ServiceContext.topLevel
        if let parent { InstrumentationSystem.instrument.extract(["traceparent": parent], into: &context, using: DictionaryExtractor()) }
        return context
    }

    private struct DictionaryInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    }

    private struct DictionaryExtractor: Extractor {
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }
}
