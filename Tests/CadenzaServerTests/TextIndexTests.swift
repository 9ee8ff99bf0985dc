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

@Suite struct RankedIndexTests {
    func index(_ names: [String], plays: [Int64]? = nil) -> RankedIndex {
        RankedIndex(names.enumerated().map { .init(id: Int64($0.offset), name: $0.element, popularity: plays?[$0.offset] ?? 0) })
    }

    func names(_ names: [String], _ query: String, plays: [Int64]? = nil, limit: Int = 20) -> [String] {
        index(names, plays: plays).search(query, offset: 0, limit: limit).map { names[Int($0)] }
    }

    @Test func ranksExactThenPrefixThenWordStartThenInsideThenTypos() {
        let catalog = ["Midnight", "Night Moves", "Night", "Into the Night", "Knight Rider", "Nihgt Shift"]
        #expect(names(catalog, "night") == ["Night", "Night Moves", "Into the Night", "Midnight", "Knight Rider", "Nihgt Shift"])
    }

    @Test func popularityBreaksTiesWithinATierButNeverCrossesOne() {
        let catalog = ["Blue Train", "Blue Monday", "Blue", "True Blue"]
        #expect(names(catalog, "blue", plays: [1, 50, 0, 900]) == ["Blue", "Blue Monday", "Blue Train", "True Blue"])
    }

    @Test func foldsCaseAccentsAndPunctuation() {
        let catalog = ["Beyoncé", "AC/DC", "Don't Stop Me Now", "Sigur Rós"]
        #expect(names(catalog, "BEYONCE") == ["Beyoncé"])
        #expect(names(catalog, "beyoncé") == ["Beyoncé"])
        #expect(names(catalog, "ac dc") == ["AC/DC"])
        #expect(names(catalog, "dont stop") == ["Don't Stop Me Now"])
        #expect(names(catalog, "sigur ros") == ["Sigur Rós"])
        // Punctuation alone is matched as written.
        #expect(names(["!!!", "100% Pure", "Pure"], "%") == ["100% Pure"])
        #expect(names(["!!!", "100% Pure", "Pure"], "!!!") == ["!!!"])
        #expect(names(["!!!", "100% Pure"], "  ") == [])
    }

    @Test func findsOneAndTwoEditsAndWordsInAnyOrder() {
        let catalog = ["Bohemian Rhapsody", "Stairway to Heaven", "Hotel California", "Smells Like Teen Spirit"]
        #expect(names(catalog, "bohemian rhapsdy") == ["Bohemian Rhapsody"])  // one deletion
        #expect(names(catalog, "stariway heavne") == ["Stairway to Heaven"])  // two swaps
        #expect(names(catalog, "califronia hotel") == ["Hotel California"])
        #expect(names(catalog, "smels like teen spiri") == ["Smells Like Teen Spirit"])  // a typo, then still typing
        #expect(names(catalog, "xylophone") == [])
        #expect(names(catalog, "he").isEmpty == false)
    }

    @Test func pagesAreStableAndHostilePagingIsEmpty() {
        let catalog = (0..<30).map { "Song \($0)" }
        let idx = index(catalog)
        let all = idx.search("song", offset: 0, limit: 30)
        #expect(all.count == 30)
        #expect(idx.search("song", offset: 10, limit: 5) == Array(all[10..<15]))
        #expect(idx.search("song", offset: .max, limit: 5) == [])
        #expect(idx.search("song", offset: 0, limit: 0) == [])
        #expect(idx.search("", offset: 0, limit: 5) == [])
    }

    @Test func editDistanceCountsSwapsAsOneEdit() {
        func d(_ a: String, _ b: String, _ limit: Int = 3) -> Int? {
            EditDistance.osa(a.unicodeScalars.map(\.value), b.unicodeScalars.map(\.value), limit: limit)
        }
        #expect(d("teh", "the") == 1)
        #expect(d("kitten", "sitting") == 3)
        #expect(d("kitten", "sitting", 2) == nil)
        #expect(d("", "ab") == 2)
        #expect(d("café", "cafe") == 1)
    }
}

@Suite struct RankedIndexArticleTests {
    @Test func aLeadingArticleNeedNotBeInTheName() {
        let index = RankedIndex([.init(id: 1, name: "Night Band 3", popularity: 0), .init(id: 2, name: "The Band", popularity: 0)])
        #expect(index.search("the night band 3", offset: 0, limit: 5) == [1])
        #expect(index.search("the band", offset: 0, limit: 5) == [2, 1])
    }
}
