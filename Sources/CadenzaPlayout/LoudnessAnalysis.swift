import Foundation

/// What one pass of ffmpeg's `ebur128` and `silencedetect` filters says about a file: its
/// integrated loudness (EBU R128), its sample peak, and where its audio really begins and ends
/// (leading and trailing silence trimmed), so a station airs every track at one loudness with
/// no dead air between them.
public struct LoudnessAnalysis: Sendable, Equatable {
    /// Integrated loudness in LUFS; nil for a file with nothing above the gate (silence).
    public var integratedLUFS: Double?
    /// Sample peak in dBFS; nil when the file is silent.
    public var peakDBFS: Double?
    /// Where the audio starts (after leading silence), in milliseconds.
    public var cueInMs: Int
    /// Where the audio ends (before trailing silence); nil when it runs to the end of the file.
    public var cueOutMs: Int?

    public init(integratedLUFS: Double?, peakDBFS: Double?, cueInMs: Int, cueOutMs: Int?) {
        self.integratedLUFS = integratedLUFS
        self.peakDBFS = peakDBFS
        self.cueInMs = cueInMs
        self.cueOutMs = cueOutMs
    }

    /// Quieter than this (dBFS) for `silenceSeconds` counts as silence at a track's ends.
    public static let silenceThreshold = -50
    public static let silenceSeconds = 0.15
    /// Gain is never raised or lowered by more than this, and never above a peak of -1 dBFS.
    public static let maximumGainDB = 12.0
    public static let peakCeilingDBFS = -1.0

    /// The ffmpeg arguments for one analysis pass over `path` (decoded once, nothing written).
    public static func arguments(path: String) -> [String] {
        [
            "-hide_banner", "-nostats", "-nostdin", "-loglevel", "info", "-i", path, "-vn", "-af",
            "silencedetect=noise=\(silenceThreshold)dB:duration=\(silenceSeconds),ebur128=peak=sample:framelog=verbose", "-f", "null", "-",
        ]
    }

    /// Reads ffmpeg's report (its standard error). `durationMs` is the decoded length when the
    /// report does not say it. Nil when the report has no loudness summary (the file could not
    /// be decoded).
    public static func parse(_ report: String, durationMs: Int) -> LoudnessAnalysis? {
        var integrated: Double?
        var peak: Double?
        var sawSummary = false
        var silences: [(start: Double, end: Double?)] = []
        var decodedSeconds: Double?
        for line in report.split(whereSeparator: \.isNewline) {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasSuffix("Summary:") {
                sawSummary = true
            } else if sawSummary, text.hasPrefix("I:"), text.hasSuffix("LUFS") {
                integrated = number(in: text, after: "I:")
            } else if sawSummary, text.hasPrefix("Peak:") {
                peak = number(in: text, after: "Peak:")
            } else if let range = text.range(of: "silence_start: ") {
                if let start = Double(text[range.upperBound...].prefix { !$0.isWhitespace }), start.isFinite {
                    silences.append((max(0, start), nil))
                }
            } else if let range = text.range(of: "silence_end: ") {
                if let end = Double(text[range.upperBound...].prefix { !$0.isWhitespace }), end.isFinite, !silences.isEmpty {
                    silences[silences.count - 1].end = end
                }
            } else if let range = text.range(of: "time=") {
                decodedSeconds = seconds(clock: text[range.upperBound...].prefix { !$0.isWhitespace }) ?? decodedSeconds
            }
        }
        guard sawSummary else { return nil }
        // ebur128 reports -70 LUFS (its absolute gate) or lower, and a -inf peak, for silence.
        if let value = integrated, !value.isFinite || value <= -70 { integrated = nil }
        if let value = peak, !value.isFinite || value < -200 { peak = nil }
        let total = decodedSeconds.map { Int(($0 * 1000).rounded()) } ?? max(0, durationMs)
        var cueIn = 0
        var cueOut: Int?
        if integrated != nil {
            if let first = silences.first, first.start <= 0.05, let end = first.end {
                cueIn = millis(end)
            }
            // A silence running to the end: the last one either ends at the end of the file or never ends.
            if let last = silences.last, millis(last.start) > cueIn, last.end.map({ millis($0) >= total - 50 }) ?? true {
                cueOut = millis(last.start)
            }
            // What is left must be audio worth airing; otherwise leave the file whole.
            if let out = cueOut, out - cueIn < 1_000 {
                cueIn = 0
                cueOut = nil
            } else if cueOut == nil, total > 0, total - cueIn < 1_000 {
                cueIn = 0
            }
        }
        return LoudnessAnalysis(integratedLUFS: integrated, peakDBFS: peak, cueInMs: cueIn, cueOutMs: cueOut)
    }

    /// The gain (dB) that brings the file to `targetLUFS`: bounded, and lowered so its peak stays
    /// under the ceiling. Zero for a silent file.
    public func gainDB(targetLUFS: Double) -> Double {
        guard let integrated = integratedLUFS, targetLUFS.isFinite else { return 0 }
        var gain = max(-Self.maximumGainDB, min(Self.maximumGainDB, targetLUFS - integrated))
        if let peak = peakDBFS, gain > 0 { gain = min(gain, max(0, Self.peakCeilingDBFS - peak)) }
        return (gain * 10).rounded() / 10
    }

    /// Runs the analysis (blocking: call it off the event loops): nil when the file gives no
    /// audio, an error when ffmpeg cannot be started. The report read is bounded, so a file with
    /// endless silences cannot grow it without limit, and ffmpeg is stopped after `timeout`
    /// seconds (by default a minute plus twice the file's length: it decodes hundreds of times
    /// faster than real time).
    public static func analyse(
        path: String, durationMs: Int, ffmpeg: String = "/usr/bin/ffmpeg", reportLimit: Int = 1 << 20, timeout: Double? = nil
    ) throws -> LoudnessAnalysis? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = arguments(path: path)
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let limit = timeout ?? (60 + 2 * Double(max(0, min(durationMs, 86_400_000))) / 1000)
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: watchdog)
        defer { watchdog.cancel() }
        let handle = pipe.fileHandleForReading
        var head = Data()
        var tail = Data()
        // The summary comes last: keep the first part (silences at the start) and the last part.
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            if head.count < reportLimit / 2 {
                head.append(chunk)
            } else {
                tail.append(chunk)
                if tail.count > reportLimit / 2 { tail = tail.suffix(reportLimit / 4) }
            }
        }
        process.waitUntilExit()
        guard process.terminationReason == .exit else { return nil }
        let report = String(decoding: head, as: UTF8.self) + "\n" + String(decoding: tail, as: UTF8.self)
        return parse(report, durationMs: durationMs)
    }

    private static func number(in text: String, after prefix: String) -> Double? {
        let rest = text.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        let token = rest.prefix { !$0.isWhitespace }
        if token == "-inf" { return -.infinity }
        return Double(token)
    }

    /// "00:03:25.43" as seconds.
    private static func seconds(clock: Substring) -> Double? {
        let parts = clock.split(separator: ":")
        guard parts.count == 3, let h = Double(parts[0]), let m = Double(parts[1]), let s = Double(parts[2]) else { return nil }
        let total = h * 3600 + m * 60 + s
        return total.isFinite && total >= 0 && total < 86_400 * 7 ? total : nil
    }

    private static func millis(_ seconds: Double) -> Int {
        Int(max(0, min(seconds, 86_400 * 7)) * 1000)
    }
}
