/// The request (its `X-Request-ID`) that the work running in this task serves: set by the HTTP
/// middleware and by the job worker for a job that a request queued. Jobs queued and events
/// written meanwhile record it, and the worker logs a job's lines under it.
public enum TraceContext {
    @TaskLocal public static var id: String?
}
