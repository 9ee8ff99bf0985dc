@testable import CadenzaServer
import Foundation
import Testing

/// A running process lets go of the machine code it mapped, and nothing it wrote changes.
@Suite struct CodePagesTests {
    nonisolated(unsafe) static var written = [Int](repeating: 0, count: 4096)

    /// Resident kB of this process's executable code mappings.
    static func residentCode() -> Int {
        guard let smaps = try? String(contentsOfFile: "/proc/self/smaps", encoding: .utf8) else { return 0 }
        var code = false
        var total = 0
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if !first.hasSuffix(":") {
                code = fields.count >= 6 && fields[1] == "r-xp" && fields[5].hasPrefix("/")
            } else if first == "Rss:", code, fields.count >= 2 {
                total += Int(fields[1]) ?? 0
            }
        }
        return total
    }

    @Test func releasedCodeRunsAgainAndWrittenMemoryKeepsItsContents() throws {
        #if os(Linux)
            for i in Self.written.indices { Self.written[i] = i &* 31 }
            let text = String(repeating: "cadenza ", count: 1_000)
            let before = Self.residentCode()
            CodePages.release()
            let after = Self.residentCode()
            #expect(after < before, "resident code \(before) kB before, \(after) kB after")
            // The heap, globals and code all still work as before.
            #expect(Self.written.enumerated().allSatisfy { $0.element == $0.offset &* 31 })
            #expect(text.split(separator: " ").count == 1_000)
            #expect(try JSONDecoder().decode([String: Int].self, from: Data(#"{"a": 1}"#.utf8)) == ["a": 1])
        #endif
    }
}
