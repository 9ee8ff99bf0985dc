@testable import CadenzaServer
import Foundation
import Testing

/// A running process lets go of the machine code it mapped, and nothing it wrote changes.
@Suite struct CodePagesTests {
    nonisolated(unsafe) static var written = [Int](repeating: 0, count: 4096)

    /// Resident kB of the mapping that starts at `address` (nil if there is none).
    static func resident(at address: UnsafeMutableRawPointer) -> Int? {
        guard let smaps = CodePages.procFile("/proc/self/smaps") else { return nil }
        let start = String(UInt(bitPattern: address), radix: 16)
        var inMapping = false
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if !first.hasSuffix(":") {
                inMapping = first.split(separator: "-").first.map { $0.drop { $0 == "0" } == start } ?? false
            } else if inMapping, first == "Rss:", fields.count >= 2 {
                return Int(fields[1])
            }
        }
        return nil
    }

    /// Checked on a code mapping of its own: the process's own code is faulted back in at any
    /// moment by the tests running beside this one.
    @Test func releasedCodeRunsAgainAndWrittenMemoryKeepsItsContents() throws {
        #if os(Linux)
            for i in Self.written.indices { Self.written[i] = i &* 31 }
            let text = String(repeating: "cadenza ", count: 1_000)
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("codepages-\(UUID().uuidString)")
            try Data((0..<(4 * page)).map { UInt8(truncatingIfNeeded: $0 / page + 1) }).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let fd = open(file.path, O_RDONLY)
            try #require(fd >= 0)
            defer { close(fd) }
            let mapped = mmap(nil, 4 * page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0)
            // (A file system mounted noexec refuses executable mappings: nothing to check there.)
            guard mapped != MAP_FAILED, let base = mapped else { return }
            defer { munmap(base, 4 * page) }
            let contents = { (0..<4).map { base.load(fromByteOffset: $0 * page, as: UInt8.self) } }
            #expect(contents() == [1, 2, 3, 4])
            #expect((Self.resident(at: base) ?? 0) >= 4 * page / 1024)
            CodePages.release()
            #expect(Self.resident(at: base) == 0)
            #expect(contents() == [1, 2, 3, 4])
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
