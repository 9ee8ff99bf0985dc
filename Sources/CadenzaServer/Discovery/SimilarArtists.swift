import SQLKit

/// Artists alike by co-listening (who plays A also plays B), topped up with artists sharing
/// genres when listens are too few to say; and an artist's top tracks by how many people here
/// play them.
enum SimilarArtists {
    static func ids(to artistID: Int64, visible: [Int64], limit: Int, on db: any SQLDatabase) async throws -> [Int64] {
        guard limit > 0 else { return [] }
        let neighbours = try await DiscoveryModel.neighbours(.artist, of: [artistID], on: db)[artistID] ?? []
        let seen = try await CatalogQueries.visibleArtistIDs(neighbours.map(\.id), visible: visible, on: db)
        var result = neighbours.map(\.id).filter { seen.contains($0) && $0 != artistID }
        if result.count < limit {
            let byGenre = try await CatalogQueries.similarArtistIDs(to: artistID, visible: visible, limit: limit + result.count, on: db)
            let have = Set(result)
            result += byGenre.filter { !have.contains($0) }
        }
        return Array(result.prefix(limit))
    }

    /// An artist's tracks (named as Subsonic's getTopSongs names them), most listeners first,
    /// then most plays.
    static func topTracks(artistName: String, visible: [Int64], limit: Int, on db: any SQLDatabase) async throws -> [Int64] {
        guard limit > 0 else { return [] }
        let byPlays = try await CatalogQueries.topTrackIDs(artistName: artistName, visible: visible, limit: 500, on: db)
        let listeners = try await DiscoveryModel.listeners(of: byPlays, on: db)
        let rank = Dictionary(uniqueKeysWithValues: byPlays.enumerated().map { ($1, $0) })
        return Array(
            byPlays.sorted {
                let (a, b) = (listeners[$0] ?? 0, listeners[$1] ?? 0)
                return a != b ? a > b : rank[$0, default: 0] < rank[$1, default: 0]
            }.prefix(limit))
    }
}
