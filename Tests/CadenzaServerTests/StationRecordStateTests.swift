import CadenzaPlayout
import Foundation
import Testing

@testable import CadenzaServer

/// A playout restarted while the database is away airs from its state file, which an older
/// version may have written: fields it lacks, or a value this version no longer takes, must not
/// make the whole file unreadable (the station could not resume what was scheduled).
@Suite struct StationRecordStateTests {
    static func decode(_ extra: String) throws -> StationRecord {
        try JSONDecoder().decode(StationRecord.self, from: Data(#"{"id": 7, "slug": "night", "name": "Night"\#(extra)}"#.utf8))
    }

    @Test func aStateFileFromBeforeBitratesAirsAtTheStandardRate() throws {
        let station = try Self.decode("")
        #expect(station.bitrate == .standard && station.bitrate.kbps == 128)
        #expect(station.outputs == [.mp3] && station.crossfadeMs == 0)
    }

    @Test func aStoredBitrateIsKeptAndAnUnknownOneIsNotFatal() throws {
        #expect(try Self.decode(#", "bitrate": 64"#).bitrate.kbps == 64)
        #expect(try Self.decode(#", "bitrate": 100"#).bitrate.kbps == 128)
        #expect(try Self.decode(#", "bitrate": "loud""#).bitrate.kbps == 128)
    }

    @Test func theRecordRoundTripsThroughItsStateFile() throws {
        var station = try Self.decode("")
        station.bitrate = try #require(Encoder.Bitrate(kbps: 192))
        let again = try JSONDecoder().decode(StationRecord.self, from: try JSONEncoder().encode(station))
        #expect(again == station)
        #expect(Encoder.Bitrate(kbps: 100) == nil && Encoder.Bitrate(kbps: 0) == nil && Encoder.Bitrate(kbps: Int.max) == nil)
    }
}
