/// What notifications say about stations.
extension RadioEvents {
    private static func station(_ event: EventRecord) -> [EventReference] {
        event.subjectID.map { [.object("station", $0)] } ?? []
    }

    static let notifiable = [
        NotifiableEvent(type: deadAir.name, severity: .error, references: station) { event, _ in
            guard let change = event.decodedPayload(as: Change.self) else { return nil }
            return EventNotice(
                title: "\(change.name) went silent", body: "Nothing could be aired, so the station plays its fallback.",
                link: "/#/radio/\(change.slug)")
        },
        NotifiableEvent(
            type: showStarting.name, expiresAfterMs: ShowReminders.leadMillis,
            references: { event in
                station(event) + (event.decodedPayload(as: ShowReminders.Starting.self)?.hostIds.map { EventReference.owner($0) } ?? [])
            }
        ) { event, _ in
            guard let starting = event.decodedPayload(as: ShowReminders.Starting.self) else { return nil }
            let minutes = max(1, (starting.startsAt - Clock.nowMillis() + 30_000) / 60_000)
            return EventNotice(
                title: "\(starting.title) starts in \(minutes) minute\(minutes == 1 ? "" : "s")", body: "On \(starting.station)",
                link: "/#/radio/\(starting.slug)")
        },
        NotifiableEvent(type: created.name, references: station) { event, _ in
            guard let change = event.decodedPayload(as: Change.self) else { return nil }
            return EventNotice(title: "New station: \(change.name)", link: "/#/radio/\(change.slug)")
        },
    ]

    private struct Change: Decodable {
        var slug: String
        var name: String
    }
}
