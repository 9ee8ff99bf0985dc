import Fluent

/// Someone went private or opted out: the model is rebuilt without their listens now (a build
/// job queued in the consumer's transaction), so they stop shaping others' recommendations
/// within one build rather than at the next nightly one.
enum SharingWithdrawals {
    static let consumerName = "discovery.sharing-withdrawn"

    static var consumer: EventConsumer {
        EventConsumer(name: consumerName, types: [ListensEvents.sharingWithdrawn.name], start: .latest, batchSize: 100) { _, tx in
            _ = try await DiscoveryModel.enqueueBuild(on: tx.sql)
        }
    }
}
