@testable import CadenzaServer
import Foundation
import Testing

/// A running process lets go of the machine code it mapped, and nothing it wrote changes.
@Suite struct CodePagesTests {
    nonisolated(unsafe) static var written = [Int](repeating: 0, count: 4096)

    /// Resident kB of this process's executable code mappings.
    static func residentCode() -> Int {
        guard let smaps = CodePages.procFile("/proc/self/smaps") else { return 0 }
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

    /// The whole of smaps is read (Foundation stopped at 4 KB: the libraries' code was never released).
    @Test func smapsIsReadToItsEnd() throws {
        #if os(Linux)
            let smaps = try #require(CodePages.procFile("/proc/self/smaps"))
            #expect(smaps.utf8.count > 16_384)
            #expect(smaps.contains("[stack]"))
            #expect(smaps.contains("libswiftCore.so"))
        #endif
    }

    /// A code mapping with a page written to (a private copy: a debugger's breakpoint, a JIT's
    /// patch) is left alone: released, that page would go back to the file's contents.
    @Test func aWrittenCodeMappingKeepsItsPrivateCopy() throws {
        #if os(Linux)
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("codepages-\(UUID().uuidString)")
            try Data(repeating: 0xAB, count: 2 * page).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let fd = open(file.path, O_RDONLY)
            try #require(fd >= 0)
            defer { close(fd) }
            let mapped = mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
            try #require(mapped != MAP_FAILED)
            let base = try #require(mapped)
            defer { munmap(base, 2 * page) }
            base.storeBytes(of: 0x5A, toByteOffset: 10, as: UInt8.self)
            // (A file system mounted noexec refuses executable mappings: nothing to check there.)
            guard mprotect(base, 2 * page, PROT_READ | PROT_EXEC) == 0 else { return }
            CodePages.release()
            #expect(base.load(fromByteOffset: 10, as: UInt8.self) == 0x5A)
            #expect(base.load(fromByteOffset: page + 10, as: UInt8.self) == 0xAB)
        #endif
    }
}
