#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Substring search over many short keys in memory: the keys sit end to end in one byte buffer
/// (NUL-separated), so one `memchr`/`memcmp` pass finds every entry containing the needle, in the order
/// the entries were added. This is what `LIKE '%…%'` over a catalog column did with a full scan.
struct TextIndex: Sendable {
    private(set) var ids: [Int64] = []
    private var starts: [Int] = []
    private var bytes: [UInt8] = []

    init() {}

    mutating func append(id: Int64, key: String) {
        ids.append(id)
        starts.append(bytes.count)
        bytes.append(contentsOf: key.utf8.lazy.map { $0 == 0 ? 0x20 : $0 })
        bytes.append(0)
    }

    var count: Int { ids.count }

    /// Positions (entry numbers, ascending) of the first `max` entries containing `needle`.
    func positions(containing needle: String, max: Int = .max) -> [Int] {
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty, !pattern.contains(0), max > 0 else { return pattern.isEmpty ? Array(ids.indices.prefix(max)) : [] }
        let pivot = Self.rarestByte(of: pattern)
        var found: [Int] = []
        bytes.withUnsafeBufferPointer { haystack in
            pattern.withUnsafeBufferPointer { needle in
                guard let base = haystack.baseAddress, let needleBase = needle.baseAddress else { return }
                var from = 0, entry = 0
                while found.count < max, from < haystack.count,
                    let offset = Self.find(needleBase, needle.count, pivot: pivot, in: base, from: from, count: haystack.count)
                {
                    entry = entryIndex(at: offset, notBefore: entry)
                    found.append(entry)
                    from = entry + 1 < starts.count ? starts[entry + 1] : haystack.count  // one hit per entry
                }
            }
        }
        return found
    }

    /// Where in the needle to look first: the byte least likely in names, so `memchr` stops rarely.
    private static func rarestByte(of pattern: [UInt8]) -> Int {
        let common = Array(" etaoinsrhldcumfpgwybvkxjqz".utf8)
        var best = 0, bestRank = -1
        for (index, byte) in pattern.enumerated() {
            let rank = common.firstIndex(of: byte) ?? common.count  // digits, punctuation, non-ASCII: rare
            if rank > bestRank { best = index; bestRank = rank }
        }
        return best
    }

    /// The first offset >= `from` where the needle starts (`memmem` is a GNU extension Glibc's module does not export).
    private static func find(
        _ needle: UnsafePointer<UInt8>, _ length: Int, pivot: Int, in base: UnsafePointer<UInt8>,
        from: Int, count: Int
    ) -> Int? {
        var at = from + pivot  // candidates for the pivot byte
        let byte = Int32(needle[pivot])
        let lastPivot = count - length + pivot
        while at <= lastPivot {
            guard let hit = memchr(base + at, byte, lastPivot - at + 1) else { return nil }
            let start = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) - pivot
            if memcmp(base + start, needle, length) == 0 { return start }
            at = start + pivot + 1
        }
        return nil
    }

    /// The entry holding byte `offset`, which is `low` or a later one: hits come in ascending
    /// order and a common word's are close together, so the search gallops from the last hit
    /// (a step, two, four, …) before it halves.
    private func entryIndex(at offset: Int, notBefore low: Int) -> Int {
        var low = low, high = low + 1, step = 1
        while high < starts.count, starts[high] <= offset {
            low = high
            high += step
            step *= 2
        }
        high = Swift.min(high, starts.count)
        while high - low > 1 {
            let mid = (low + high) / 2
            if starts[mid] <= offset { low = mid } else { high = mid }
        }
        return low
    }

    /// The length in bytes of entry `entry`'s key.
    func keyLength(of entry: Int) -> Int {
        (entry + 1 < starts.count ? starts[entry + 1] - 1 : bytes.count - 1) - starts[entry]
    }

    /// How entry `entry` holds `needle` (which it must contain): the whole key (0), at its start
    /// (1), at the start of a later word (2) or inside a word (3) — the search's rank tiers.
    func matchTier(of entry: Int, _ needle: [UInt8]) -> Int {
        let start = starts[entry]
        let end = entry + 1 < starts.count ? starts[entry + 1] - 1 : bytes.count - 1
        let length = end - start
        return bytes.withUnsafeBufferPointer { haystack in
            needle.withUnsafeBufferPointer { pattern in
                guard let base = haystack.baseAddress, let needleBase = pattern.baseAddress, pattern.count <= length else { return 3 }
                if memcmp(base + start, needleBase, pattern.count) == 0 { return pattern.count == length ? 0 : 1 }
                var at = start + 1
                while at + pattern.count <= end {
                    if base[at - 1] == 0x20, memcmp(base + at, needleBase, pattern.count) == 0 { return 2 }
                    at += 1
                }
                return 3
            }
        }
    }

    /// Ids for one page of positions.
    func page(_ positions: [Int], offset: Int, limit: Int) -> [Int64] {
        guard offset < positions.count, limit > 0 else { return [] }
        return positions[offset..<min(positions.count, offset + limit)].map { ids[$0] }
    }
}
