import Foundation
import Testing

@testable import CadenzaServer

/// Numbers from JSON bodies and stored rows: never a trap, never a non-finite value in a response.
@Suite struct HostileValueTests {
    @Test(arguments: ["1e999", "-1e999", "1E400", "[1, 2e308]", "{\"a\": 1e999}"])
    func nonFiniteNumbersAreRefusedByBothParsers(_ text: String) {
        #expect(throws: (any Error).self) { try JSONValue.parse(Array(text.utf8)) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
    }

    @Test func largeFiniteNumbersStillParse() throws {
        #expect(try JSONValue.parse(Array("1e300".utf8)) == .number(1e300))
        #expect(try JSONValue.text(JSONValue.array([.number(.infinity), .number(1)])) == "[null,1]")
    }

    @Test(arguments: [Int64.max, Int64.min, 0, -1, 253_402_300_799_999])
    func storedDatesAtAnyExtremeFormat(_ millis: Int64) {
        let text = SubsonicNode.iso8601(millis)
        #expect(text.count == 24 && text.hasSuffix("Z"))
    }

    @Test func datesAreClampedToYearsOneToNineThousandNineHundredNinetyNine() {
        #expect(SubsonicNode.iso8601(.max) == "9999-12-31T23:59:59.999Z")
        #expect(SubsonicNode.iso8601(.min) == "0001-01-01T00:00:00.000Z")
        #expect(SubsonicNode.iso8601(1_000) == "1970-01-01T00:00:01.000Z")
    }

    @Test(arguments: [Double.infinity, .nan, 1e300, -5])
    func transcodeEstimatesStayBounded(_ seconds: Double) {
        for format in Transcoder.Format.allCases {
            let bytes = format.estimatedBytes(seconds: seconds, kbps: 320)
            #expect(bytes > 0 && bytes < 10_000_000_000)
        }
    }
}
