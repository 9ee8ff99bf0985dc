/// The platform's own event types.
public enum SystemEvents {
    public struct Pong: Encodable, Sendable {
        public var jobId: String
        public var note: String?
        public var worker: String
    }

    /// A `system.ping` job ran: proves the queue end to end.
    public static let pong = EventType<Pong>("system.pong", visibility: .admin, subjectType: "job")

    public static let all: [EventDescriptor] = [pong.descriptor]
}
