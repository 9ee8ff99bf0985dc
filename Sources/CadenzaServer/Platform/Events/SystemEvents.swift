/// The platform's own event types.
public enum SystemEvents {
    public struct Pong: Encodable, Sendable {
        public var jobId: String
        public var note: String?
        public var worker: String
    }

    /// A `system.ping` job ran: proves the queue end to end.
    public static let pong = EventType<Pong>("system.pong", visibility: .admin, subjectType: "job")

    public struct JobFailed: Codable, Sendable {
        public var jobId: String
        public var kind: String
        public var error: String
    }

    /// A job ran out of attempts and was parked as failed (administrators retry or cancel it).
    public static let jobFailed = EventType<JobFailed>("job.failed", visibility: .admin, subjectType: "job")

    public static let all: [EventDescriptor] = [pong.descriptor, jobFailed.descriptor]

    /// Administrators hear of failed jobs (their default "Server problems" rule).
    public static let notifiable = [
        NotifiableEvent(type: jobFailed.name, severity: .error) { event, _ in
            guard let failed = event.decodedPayload(as: JobFailed.self) else { return nil }
            return EventNotice(title: "A job failed: \(failed.kind)", body: failed.error, link: "/#/admin")
        }
    ]
}
