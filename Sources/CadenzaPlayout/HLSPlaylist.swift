import CadenzaFormats
import Foundation

/// A live HLS playlist as the encoder writes it, restated on the bus clock.
///
/// ffmpeg stamps EXT-X-PROGRAM-DATE-TIME from its own start: the moment its muxer opened, about
/// a lead ahead of when that audio airs and off by however long ffmpeg took to start. The server
/// restates every stamp as the instant the segment's first sample airs on the bus (the clock
/// `playedAt` in now-playing uses), so a player that reads the stamps knows which item it plays.
public struct HLSPlaylist: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var sequence: Int64
        public var duration: Double
        /// Milliseconds since 1970, as the playlist states it.
        public var programDateMs: Int64?
    }

    public var targetDuration: Int
    public var segments: [Segment]

    /// The lines of `text`; nil when it is not a media playlist with a target duration.
    public init?(_ text: String) {
        var target: Int?
        var sequence: Int64 = 0
        var duration: Double?
        var programDate: Int64?
        var segments: [Segment] = []
        for line in text.split(whereSeparator: \.isNewline) {
            if let value = line.value(of: "#EXT-X-TARGETDURATION:") {
                target = Int(value)
            } else if let value = line.value(of: "#EXT-X-MEDIA-SEQUENCE:") {
                sequence = Int64(value).map { min(max($0, 0), Int64(Int32.max) * 1_000) } ?? 0
            } else if let value = line.value(of: "#EXTINF:") {
                duration = Double(value.prefix { $0 != "," })
            } else if let value = line.value(of: "#EXT-X-PROGRAM-DATE-TIME:") {
                programDate = Self.millis(fromDate: value)
            } else if !line.hasPrefix("#"), let length = duration, length.isFinite, length >= 0 {
                segments.append(Segment(sequence: sequence + Int64(segments.count), duration: length, programDateMs: programDate))
                duration = nil
                programDate = nil
            }
        }
        guard let target, target > 0 else { return nil }
        targetDuration = target
        self.segments = segments
    }

    /// Where a player joining now starts: RFC 8216 §6.3.3 keeps it at least three target
    /// durations from the playlist's end, and players start as late as that allows.
    public var joinSegment: Segment? {
        guard let last = segments.last else { return nil }
        var remaining = 0.0
        var candidate = segments.first
        for segment in segments.reversed() {
            remaining += segment.duration
            candidate = segment
            if remaining >= Double(targetDuration) * 3 { break }
        }
        return candidate ?? last
    }

    /// `text` with the program date-time of each segment restated as bus time by the timeline
    /// of the run that made it (`airsAt` gives the wall-clock milliseconds at which an encoder
    /// input frame airs); segments of a run not yet placed, or of none known, are left as they are.
    public static func restamp(_ text: String, timelines: [Encoder.HLSTimeline], airsAt: (Int64) -> Int64) -> String {
        // The AAC encoder's priming frame comes first: a segment's first sample is that much
        // older than its place in the stream.
        let origins = timelines.map { airsAt($0.firstFrame) - Encoder.primingMilliseconds }
        var out: [Substring] = []
        var pendingStamp: (index: Int, ms: Int64)?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let value = line.value(of: "#EXT-X-PROGRAM-DATE-TIME:"), let ms = millis(fromDate: value) {
                pendingStamp = (out.count, ms)
            } else if !line.hasPrefix("#"), !line.isEmpty {
                if let stamp = pendingStamp, let sequence = Encoder.segmentSequence(line),
                    let run = timelines.lastIndex(where: { $0.firstSequence <= sequence }), let firstStamp = timelines[run].firstProgramDateMs
                {
                    let (moved, overflow) = origins[run].addingReportingOverflow(stamp.ms &- firstStamp)
                    if !overflow { out[stamp.index] = Substring("#EXT-X-PROGRAM-DATE-TIME:" + date(fromMillis: moved)) }
                }
                pendingStamp = nil
            }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }

    /// `2026-12-06T16:21:54.047+0000` (ffmpeg), `…Z` or `…+01:00` as milliseconds since 1970.
    static func millis<S: StringProtocol>(fromDate text: S) -> Int64? {
        let chars = Array(text.utf8)
        guard chars.count >= 19, chars[4] == UInt8(ascii: "-"), chars[7] == UInt8(ascii: "-"), chars[10] == UInt8(ascii: "T"),
            chars[13] == UInt8(ascii: ":"), chars[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                guard index < chars.count, (48...57).contains(chars[index]) else { return nil }
                value = value * 10 + Int64(chars[index] - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19), (1...12).contains(month), (1...31).contains(day), hour < 24,
            minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if index < chars.count, chars[index] == UInt8(ascii: ".") {
            index += 1
            var scale: Int64 = 100
            while index < chars.count, (48...57).contains(chars[index]) {
                fraction += Int64(chars[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetMinutes: Int64 = 0
        if index < chars.count, chars[index] == UInt8(ascii: "+") || chars[index] == UInt8(ascii: "-") {
            let sign: Int64 = chars[index] == UInt8(ascii: "-") ? -1 : 1
            var digits = Array(chars[(index + 1)...])
            if digits.count == 5, digits[2] == UInt8(ascii: ":") { digits.remove(at: 2) }  // +01:00 as +0100
            guard digits.count == 4, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
            let value = digits.map { Int64($0 - 48) }
            offsetMinutes = sign * ((value[0] * 10 + value[1]) * 60 + value[2] * 10 + value[3])
        } else if !(index == chars.count || (index == chars.count - 1 && chars[index] == UInt8(ascii: "Z"))) {
            return nil
        }
        let days = CivilDate.dayNumber(year: year, month: month, day: day)
        let seconds = ((days * 24 + hour) * 60 + minute) * 60 + second - offsetMinutes * 60
        return seconds * 1000 + fraction
    }

    /// Milliseconds since 1970 as `2026-12-06T16:21:54.047Z`.
    static func date(fromMillis ms: Int64) -> String {
        let seconds = CivilDate.floorDiv(ms, 1000)
        let millis = ms - seconds * 1000
        let days = CivilDate.floorDiv(seconds, 86_400)
        let (year, month, day) = CivilDate.civil(days)
        let rest = seconds - days * 86_400
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(year)-\(two(month))-\(two(day))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)).\(fraction)Z"
    }
}

extension Substring {
    fileprivate func value(of prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }
}
