/// A random sample without asking the kernel for randomness per element (SystemRandomNumberGenerator
/// calls getrandom each time: that was 7% of a random album list in the profile).
enum Sampling {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// `count` distinct elements in random order (a partial Fisher–Yates shuffle).
    static func pick<T>(_ count: Int, from items: [T]) -> [T] {
        var pool = items
        var rng = SplitMix64(state: UInt64.random(in: 0 ... .max))
        let n = min(count, pool.count)
        for i in 0..<n {
            pool.swapAt(i, Int.random(in: i..<pool.count, using: &rng))
        }
        return Array(pool.prefix(n))
    }
}
