import Foundation

/// Item-item similarity from co-listening: two items are alike when the same people play both.
/// Each person's plays of an item weigh `1 + ln(plays)` (a hundred plays are not a hundred
/// votes); similarity is the cosine of the items' listener vectors, shrunk towards 0 when few
/// people share them (`shared / (shared + shrink)`), so one person's odd pair does not outrank
/// what a crowd agrees on.
///
/// The cost is the sum over people of their items squared, so each person counts with at most
/// `perPersonCap` items (their most played); one item's candidates accumulate in a dense scratch
/// row, so memory stays linear in the number of items.
struct CoListening {
    struct Neighbour: Sendable, Equatable {
        var item: Int32
        var score: Float
    }

    var keep = 40
    var perPersonCap = 400
    var shrink: Float = 2

    /// `people[p]` = (item, plays) pairs of person p; items are 0..<itemCount.
    func neighbours(people: [[(item: Int32, plays: Int64)]], itemCount: Int) -> [[Neighbour]] {
        guard itemCount > 0 else { return [] }
        // Each person's weighted items, capped.
        var weighted: [[(item: Int32, weight: Float)]] = []
        weighted.reserveCapacity(people.count)
        for all in people {
            let plays = all.filter { $0.item >= 0 && Int($0.item) < itemCount }
            // Ties by item, so the same listens give the same model whatever order rows arrive in.
            let top =
                plays.count > perPersonCap
                ? Array(plays.sorted { $0.plays != $1.plays ? $0.plays > $1.plays : $0.item < $1.item }.prefix(perPersonCap)) : plays
            weighted.append(top.map { ($0.item, 1 + Float(log(Double(max($0.plays, 1))))) })
        }
        // Listeners of each item (inverted lists) and the items' norms.
        var listeners = [[(person: Int32, weight: Float)]](repeating: [], count: itemCount)
        var norms = [Float](repeating: 0, count: itemCount)
        for (person, items) in weighted.enumerated() {
            for (item, weight) in items {
                listeners[Int(item)].append((Int32(person), weight))
                norms[Int(item)] += weight * weight
            }
        }
        for index in norms.indices { norms[index] = norms[index].squareRoot() }
        var dot = [Float](repeating: 0, count: itemCount)
        var shared = [Int32](repeating: 0, count: itemCount)
        var touched: [Int32] = []
        var result = [[Neighbour]](repeating: [], count: itemCount)
        for item in 0..<itemCount where !listeners[item].isEmpty {
            for (person, weight) in listeners[item] {
                for (other, otherWeight) in weighted[Int(person)] where Int(other) != item {
                    if shared[Int(other)] == 0 { touched.append(other) }
                    dot[Int(other)] += weight * otherWeight
                    shared[Int(other)] += 1
                }
            }
            var candidates: [Neighbour] = []
            candidates.reserveCapacity(touched.count)
            for other in touched {
                let index = Int(other)
                let cosine = dot[index] / (norms[item] * norms[index])
                let support = Float(shared[index])
                candidates.append(Neighbour(item: other, score: cosine * support / (support + shrink)))
                dot[index] = 0
                shared[index] = 0
            }
            touched.removeAll(keepingCapacity: true)
            result[item] = Self.top(candidates, keep)
        }
        return result
    }

    /// The best `count`, best first (ties by item, so runs agree).
    static func top(_ candidates: [Neighbour], _ count: Int) -> [Neighbour] {
        let ordered: (Neighbour, Neighbour) -> Bool = { $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item }
        guard candidates.count > count else { return candidates.sorted(by: ordered) }
        // A bounded selection: most items have far more candidates than are kept.
        var best = Array(candidates.prefix(count)).sorted(by: ordered)
        for candidate in candidates.dropFirst(count) where ordered(candidate, best[best.count - 1]) {
            var at = best.count - 1
            while at > 0, ordered(candidate, best[at - 1]) { at -= 1 }
            best.insert(candidate, at: at)
            best.removeLast()
        }
        return best
    }
}
