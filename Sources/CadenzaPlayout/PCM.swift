import Foundation

/// The bus format every decoder produces and every encoder takes: signed 16-bit little-endian,
/// 44.1 kHz, stereo. One frame is one sample per channel.
public enum PCM {
    public static let sampleRate = 44_100
    public static let channels = 2
    public static let bytesPerFrame = 4
    public static let bytesPerSecond = sampleRate * bytesPerFrame

    /// Frames in `milliseconds`, for durations read from the catalog (non-negative, bounded);
    /// rounded up, so that `milliseconds(frames:)` gives the same milliseconds back.
    public static func frames(milliseconds: Int) -> Int64 {
        (Int64(max(0, min(milliseconds, 86_400_000))) * Int64(sampleRate) + 999) / 1000
    }

    public static func milliseconds(frames: Int64) -> Int64 {
        frames * 1000 / Int64(sampleRate)
    }
}
