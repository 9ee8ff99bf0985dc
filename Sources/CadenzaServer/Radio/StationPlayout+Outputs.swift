import CadenzaPlayout
import Foundation

extension StationPlayout {
    /// The HLS playlist as the encoder last wrote it, with its program date-times on the bus clock.
    func hlsPlaylist() async -> String? {
        let path = hlsDirectory + "/live.m3u8"
        guard let text = await runBlocking({ try? String(contentsOfFile: path, encoding: .utf8) }) else { return nil }
        guard let timelines = hlsEncoder?.hlsTimelines, !timelines.isEmpty else { return text }
        return HLSPlaylist.restamp(text, timelines: timelines, airsAt: wallMillis)
    }

    /// How far behind the bus a listener who connects to each output now is (see NowPlayingDTO.OutputDelay).
    func outputDelays(now: Int64) async -> [NowPlayingDTO.OutputDelay] {
        let slug = station.slug
        var delays: [NowPlayingDTO.OutputDelay] = []
        for output in station.outputs {
            let heard: Int64?
            if output == .hls {
                // Until the newest run's first segment is listed its stamps are ffmpeg's: no estimate.
                guard hlsEncoder?.hlsTimelines.last?.firstProgramDateMs != nil, let text = await hlsPlaylist() else { continue }
                heard = HLSPlaylist(text)?.joinSegment?.programDateMs
            } else {
                heard = mounts[output].map { wallMillis($0.burstStartFrame) }
            }
            guard let heard else { continue }
            delays.append(.init(output: output, path: output.path(slug: slug), delayMs: Int(max(0, min(now - heard, 600_000)))))
        }
        return delays
    }
}
