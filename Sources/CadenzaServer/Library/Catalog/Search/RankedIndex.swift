import CadenzaTags

/// Names searched the way people type them: accent- and case-insensitive, ranked exact > starts
/// with > a word starts with > contains > within a few typos, the most played first within each
/// tier (then catalog order). Entries are kept in that popularity order, so every tier comes out
/// of one substring pass already sorted; the typo tier is looked up word by word in a
/// vocabulary only when the others leave the page short.
struct RankedIndex: Sendable {
    struct Entry: Sendable {
        var id: Int64
        var name: String
        var popularity: Int64
    }

    private var text = TextIndex()
    /// The names' matching keys unfolded, same order: for queries of punctuation alone.
    private var raw = TextIndex()
    private var vocabulary: [Word] = []

    private struct Word: Sendable {
        var scalars: [UInt32]
        var mask: UInt64
        var postings: [Int32]  // entry positions, ascending
    }

    /// `entries` in catalog order; ranked by popularity, ties keeping that order.
    init(_ entries: [Entry]) {
        let ranked = entries.enumerated().sorted {
            $0.element.popularity != $1.element.popularity ? $0.element.popularity > $1.element.popularity : $0.offset < $1.offset
        }
        var postings: [String: [Int32]] = [:]
        for (position, item) in ranked.enumerated() {
            let key = SearchText.fold(item.element.name)
            text.append(id: item.element.id, key: key)
            raw.append(id: item.element.id, key: NameKey.make(item.element.name))
            for word in Set(key.split(separator: " ")) { postings[String(word), default: []].append(Int32(position)) }
        }
        vocabulary = postings.map { word, positions in
            let scalars = word.unicodeScalars.map(\.value)
            return Word(scalars: scalars, mask: SearchText.mask(scalars), postings: positions)
        }
        vocabulary.sort { $0.scalars.lexicographicallyPrecedes($1.scalars) }
    }

    var count: Int { text.count }

    /// Ids of one page of the entries matching `query`, best first.
    func search(_ query: String, offset: Int, limit: Int) -> [Int64] {
        let (wanted, overflow) = offset.addingReportingOverflow(limit)
        guard limit > 0, offset >= 0, !overflow else { return [] }
        guard SearchText.hasWords(query) else {
            let key = NameKey.make(query)
            guard !key.isEmpty else { return [] }
            let needle = Array(key.utf8)
            var tiers: [[Int]] = [[], [], [], []]
            for position in raw.positions(containing: key) { tiers[raw.matchTier(of: position, needle)].append(position) }
            return raw.page(tiers.flatMap { $0 }, offset: offset, limit: limit)
        }
        return text.page(positions(matching: SearchText.fold(query), wanted: wanted), offset: offset, limit: limit)
    }

    /// Entry positions in rank order: every exact, prefix and substring match, then typo matches
    /// until `wanted` are found.
    func positions(matching folded: String, wanted: Int) -> [Int] {
        guard !folded.isEmpty else { return [] }
        let needle = Array(folded.utf8)
        var tiers: [[Int]] = [[], [], [], []]
        // A page needs at most `wanted` of each tier: a common word matches thousands.
        for position in text.positions(containing: folded) {
            let tier = text.matchTier(of: position, needle)
            if tiers[tier].count < wanted { tiers[tier].append(position) }
        }
        var found = tiers.flatMap { $0 }
        if found.count < wanted { found += typoMatches(folded, excluding: Set(found), wanted: wanted - found.count) }
        return found
    }

    private static let articles: Set<[UInt32]> = Set(["the", "a", "an"].map { $0.unicodeScalars.map(\.value) })

    /// Entries each of whose query words matches one of the entry's words (in any order): the
    /// same word, a word it begins, or a word within the typo limit (the last query word may also
    /// be a mistyped beginning).
    private func typoMatches(_ folded: String, excluding: Set<Int>, wanted: Int) -> [Int] {
        // A leading article need not be in the name ("the night band" finds "Night Band").
        var words = SearchText.words(folded)
        if words.count > 1, let first = words.first, Self.articles.contains(first) { words.removeFirst() }
        guard !words.isEmpty, words.count <= 8 else { return [] }
        var total: [Int32: Int]?
        for (index, word) in words.enumerated() {
            let matched = wordMatches(word, typing: index == words.count - 1)
            guard let sofar = total else {
                total = matched
                continue
            }
            var next: [Int32: Int] = [:]
            for (position, cost) in sofar { if let more = matched[position] { next[position] = cost + more } }
            total = next
            if next.isEmpty { break }
        }
        // Fewest edits, then the name with least besides the words sought ("nigt" finds "Night"
        // before "Night River"), then the most played.
        let ranked = (total ?? [:]).filter { !excluding.contains(Int($0.key)) }
            .map { (position: Int($0.key), cost: $0.value, length: text.keyLength(of: Int($0.key))) }
            .sorted { ($0.cost, $0.length, $0.position) < ($1.cost, $1.length, $1.position) }
        return ranked.prefix(wanted).map(\.position)
    }

    /// Entry position → cost for one query word: 0 the word itself, 1 a word it begins, 2 per
    /// edit (+1 when only the mistyped beginning of a longer word matches).
    private func wordMatches(_ word: [UInt32], typing: Bool) -> [Int32: Int] {
        let limit = SearchText.typoLimit(word.count)
        let mask = SearchText.mask(word)
        var costs: [Int32: Int] = [:]
        func add(_ entry: Word, _ cost: Int) {
            for position in entry.postings where (costs[position] ?? .max) > cost { costs[position] = cost }
        }
        for entry in vocabulary {
            if entry.scalars == word {
                add(entry, 0)
            } else if entry.scalars.starts(with: word) {
                if word.count >= 2 { add(entry, 1) }
            } else if limit > 0 {
                if (entry.mask ^ mask).nonzeroBitCount <= 2 * limit, let edits = EditDistance.osa(word, entry.scalars, limit: limit) {
                    add(entry, 2 * edits)
                } else if typing, word.count >= 4, entry.scalars.count > word.count,
                    (SearchText.mask(entry.scalars.prefix(word.count)) ^ mask).nonzeroBitCount <= 2,
                    let edits = EditDistance.osa(word, entry.scalars.prefix(word.count), limit: 1)
                {
                    add(entry, 2 * edits + 1)
                }
            }
        }
        return costs
    }
}
