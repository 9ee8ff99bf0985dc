import Fluent
import Foundation
import SQLKit

/// Usernames people cannot tell apart are refused: a fullwidth "ａｄｍｉｎ", a Cyrillic "аdmin"
/// or a Greek "αdmin" would otherwise pass for "admin" in a share, a follow or a jukebox room.
extension User {
    enum Script { case latin, greek, cyrillic, other }

    static func script(of scalar: Unicode.Scalar) -> Script {
        switch scalar.value {
        case 0x41...0x5A, 0x61...0x7A, 0xC0...0x24F, 0x1E00...0x1EFF: return .latin
        case 0x370...0x3FF, 0x1F00...0x1FFF: return .greek
        case 0x400...0x52F, 0x1C80...0x1C8F, 0x2DE0...0x2DFF, 0xA640...0xA69F: return .cyrillic
        default: return .other
        }
    }

    /// Why a name is refused, or nil: it must be in its plain (NFKC) form, and must not mix the
    /// Latin, Greek and Cyrillic alphabets, whose look-alike letters are the usual disguise.
    static func lookAlikeProblem(_ username: String) -> String? {
        if username.precomposedStringWithCompatibilityMapping != username {
            return "Use the plain form of the username (no fullwidth or styled letters)."
        }
        let scripts = Set(username.unicodeScalars.map(script(of:))).subtracting([.other])
        if scripts.count > 1 { return "A username cannot mix Latin, Greek and Cyrillic letters." }
        return nil
    }

    /// What a name looks like: compatibility-folded, lower-cased, with Greek and Cyrillic letters
    /// that look Latin replaced by the Latin ones. Two names with one skeleton are one name.
    static func skeleton(_ username: String) -> String {
        let folded = username.precomposedStringWithCompatibilityMapping.lowercased()
        return String(String.UnicodeScalarView(folded.unicodeScalars.map { homoglyphs[$0] ?? $0 }))
    }

    private static let homoglyphs: [Unicode.Scalar: Unicode.Scalar] = {
        let pairs: [(String, String)] = [
            // Cyrillic
            ("а", "a"), ("в", "b"), ("е", "e"), ("ё", "e"), ("һ", "h"), ("і", "i"), ("ї", "i"), ("ј", "j"), ("к", "k"),
            ("ӏ", "l"), ("м", "m"), ("н", "h"), ("о", "o"), ("р", "p"), ("с", "c"), ("т", "t"), ("у", "y"), ("х", "x"),
            ("ѕ", "s"), ("ԁ", "d"), ("ԛ", "q"), ("ԝ", "w"), ("ɡ", "g"),
            // Greek
            ("α", "a"), ("β", "b"), ("ε", "e"), ("η", "n"), ("ι", "i"), ("κ", "k"), ("ν", "v"), ("ο", "o"), ("ρ", "p"),
            ("τ", "t"), ("υ", "u"), ("χ", "x"), ("γ", "y"), ("ω", "w"),
        ]
        var map: [Unicode.Scalar: Unicode.Scalar] = [:]
        for (from, to) in pairs {
            if let f = from.unicodeScalars.first, let t = to.unicodeScalars.first { map[f] = t }
        }
        return map
    }()

    /// The existing username `username` would be mistaken for (itself, in any case or form), if any.
    static func lookAlike(of username: String, on db: any SQLDatabase) async throws -> String? {
        let wanted = skeleton(username)
        for row in try await db.raw("SELECT username FROM users").all() {
            let existing = try row.decode(column: "username", as: String.self)
            if skeleton(existing) == wanted { return existing }
        }
        return nil
    }

    /// 409 when the name is taken or looks like a taken one.
    static func requireAvailable(_ username: String, on db: any SQLDatabase) async throws {
        if let existing = try await lookAlike(of: username, on: db) {
            let message =
                existing == username ? "The username '\(username)' is taken." : "The username '\(username)' looks like the existing '\(existing)'."
            throw APIError.conflict(message)
        }
    }
}
