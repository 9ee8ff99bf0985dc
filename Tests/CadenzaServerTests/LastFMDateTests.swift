import Foundation
import Testing

@testable import CadenzaServer

/// Last.fm export dates are read by hand (Foundation's DateFormatter trapped on a fuzzed one).
@Suite struct LastFMDateTests {
    @Test func readsLastFMExportDates() {
        #expect(ListenImportMapping.lastfmDate("31 Jan 2021 14:05") == 1_612_101_900)
        #expect(ListenImportMapping.lastfmDate("29 Feb 2024 23:59") == 1_709_251_140)
        #expect(ListenImportMapping.lastfmDate("1 jan 1970 0:00") == 0)
        for bad in ["29 Feb 2021 10:00", "32 Jan 2021 10:00", "31 Foo 2021 10:00", "31 Jan 2021 24:00", "31 Jan 21 10:00", "00 Jan 99", ""] {
            #expect(ListenImportMapping.lastfmDate(bad) == nil, "\(bad)")
        }
    }

    /// The input that made DateFormatter trap, as a whole CSV: rows are skipped, nothing traps.
    @Test func theFuzzedCSVIsReadWithoutATrap() {
        let text = "uts,utc-TPme,artibd5\\nucu\\m_mcharacterLabelk_/zoneinfo/00000,\"1\u{34D}ack,\n/,\"00 Jan 99\u{1C}C,\n"
        let entries = ListenImportMapping.lastfmCSV(text, now: 1_800_000_000)
        #expect(entries.allSatisfy { if case .skipped = $0 { true } else { false } })
    }
}
