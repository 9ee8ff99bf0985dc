#if !FUZZING
    import Foundation

    /// Without the fuzzer, `cadenza-fuzz FILE|DIR...` runs every input through the harness once:
    /// the committed seeds and every crash ever found (Fuzz/regressions) stay regression tests.
    @main
    struct Replay {
        static func main() {
            var count = 0
            for argument in CommandLine.arguments.dropFirst() {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                    FileHandle.standardError.write(Data("no such file: \(argument)\n".utf8))
                    exit(2)
                }
                let paths =
                    isDirectory.boolValue
                    ? ((try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []).sorted().map { argument + "/" + $0 }
                    : [argument]
                for path in paths where !path.hasSuffix("/README.md") {
                    guard let data = FileManager.default.contents(atPath: path) else { continue }
                    Harness.run(Array(data))
                    count += 1
                }
            }
            print("replayed \(count) inputs without a crash")
        }
    }
#endif
