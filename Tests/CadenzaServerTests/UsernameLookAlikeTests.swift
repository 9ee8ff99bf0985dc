import Testing

@testable import CadenzaServer

@Suite struct UsernameLookAlikeTests {
    @Test(arguments: ["ａｄｍｉｎ", "аdmin", "αdmin", "admіn", "ℌans"])
    func disguisedNamesAreRefused(_ name: String) {
        #expect(User.lookAlikeProblem(name) != nil || User.skeleton(name) == User.skeleton(name.lowercased()))
        #expect(throws: APIError.self) { try User.validate(username: name) }
    }

    @Test(arguments: ["admin", "Zoë", "Ολυμπία", "Дмитрий", "山田", "dj.kat-99"])
    func plainNamesInOneAlphabetAreFine(_ name: String) throws {
        try User.validate(username: name)
    }

    @Test func wholeScriptLookAlikesShareASkeleton() {
        #expect(User.skeleton("аре") == User.skeleton("ape"))  // all Cyrillic
        #expect(User.skeleton("ΑΡΕ") == User.skeleton("ape"))  // all Greek capitals
        #expect(User.skeleton("Admin") == User.skeleton("admin"))
        #expect(User.skeleton("adm1n") != User.skeleton("admin"))
    }
}
