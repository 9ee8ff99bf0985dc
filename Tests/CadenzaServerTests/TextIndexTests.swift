@testable import CadenzaServer
import Testing

@Suite struct TextIndexTests {
    func index(_ keys: [String]) -> TextIndex {
        var index = TextIndex()
        for (i, key) in keys.enumerated() { index.append(id: Int64(100 + i), key: key) }
        return index
    }

    /// The reference: what `LIKE '%needle%'` over the keys returns, in order.
    func naive(_ keys: [String], _ needle: String) -> [Int] {
        keys.indices.filter { keys[$0].contains(needle) }
    }

    @Test func findsEveryEntryContainingTheNeedleOnceAndInOrder() {
        let keys = ["night river", "midnight", "nightnight", "knight errant", "day", "", "ni", "the night owl", "nigh", "zz night"]
        let idx = index(keys)
        for needle in ["night", "n", "ight", "t", "zz", "nigh", "night owl", "river midnight", "x", "ni", "owl", "y"] {
            #expect(idx.positions(containing: needle) == naive(keys, needle), "needle \(needle)")
        }
        #expect(idx.page(idx.positions(containing: "night"), offset: 1, limit: 2) == [101, 102])
    }

    @Test func stopsAfterTheRequestedNumberAndNeverMatchesAcrossEntries() {
        let keys = ["abc", "def", "abcabc", "cab", "xabcx"]
        let idx = index(keys)
        #expect(idx.positions(containing: "abc", max: 2) == [0, 2])
        #expect(idx.positions(containing: "abc", max: 0) == [])
        #expect(idx.positions(containing: "cde") == [])  // "abc" + "def" must not join
        #expect(idx.positions(containing: "c\u{0}d") == [])  // a NUL never matches the separator
        #expect(idx.positions(containing: "é") == [])
        var accented = TextIndex()
        accented.append(id: 1, key: "café noir")
        #expect(accented.positions(containing: "é n") == [0])
    }
}
