import Foundation
import SQLKit
import Vapor

/// OpenSubsonic `transcoding`: getTranscodeDecision compares a song's file with what the client
/// says it can play (POSTed ClientInfo) and answers direct play, a transcode, or why neither;
/// getTranscodeStream then streams by the sealed `transcodeParams` that decision returned.
enum SubsonicTranscoding {
    static let handlers: [String: SubsonicAPI.Handler] = [
        "getTranscodeDecision": { context in try await decision(context) },
        "getTranscodeStream": { context in try await stream(context) },
    ]

    /// How long a decision's transcodeParams may be used to stream.
    static let tokenLifetime: Int64 = 24 * 3600 * 1000

    struct Source {
        var container: String
        var codec: String
        var bitrate: Int  // kbps
        var sampleRate: Int
        var channels: Int
    }

    /// Container and codec names as OpenSubsonic clients spell them, from a file's format.
    static func source(_ file: FileDTO) -> Source {
        let format = (file.format ?? "").lowercased()
        let (container, codec): (String, String)
        switch format {
        case "mp3": (container, codec) = ("mp3", "mp3")
        case "flac": (container, codec) = ("flac", "flac")
        case "ogg", "oga": (container, codec) = ("ogg", "vorbis")
        case "opus": (container, codec) = ("ogg", "opus")
        case "m4a", "mp4", "m4b": (container, codec) = ("mp4", "aac")
        case "alac": (container, codec) = ("mp4", "alac")
        case "aac": (container, codec) = ("aac", "aac")
        case "wav": (container, codec) = ("wav", "pcm")
        case "aif", "aiff", "aifc": (container, codec) = ("aiff", "pcm")
        default: (container, codec) = (format, format)
        }
        return Source(
            container: container, codec: codec, bitrate: file.bitrate ?? 0, sampleRate: file.sampleRate ?? 0,
            channels: file.channels ?? 2)
    }

    /// Names that mean the same container to clients (an Opus file is "ogg" to some, "opus" to others).
    static func containerMatches(_ wanted: String, _ source: Source) -> Bool {
        let name = wanted.lowercased()
        if name == "*" || name == source.container { return true }
        switch source.container {
        case "ogg": return name == "oga" || name == source.codec
        case "mp4": return ["m4a", "m4b", "aac"].contains(name)
        case "aiff": return name == "aif"
        default: return false
        }
    }

    struct Params: Codable {
        var trackID: Int64
        var direct: Bool
        var format: String?
        var bitrate: Int?
        var expires: Int64
    }

    static func decision(_ context: SubsonicContext) async throws -> SubsonicResult {
        let mediaID = try context.params.require("mediaId")
        let mediaType = try context.params.require("mediaType")
        guard mediaType == "song" else { throw SubsonicError.invalid("mediaType \(mediaType) is not supported; only song.") }
        guard let trackID = SubsonicID.parse(mediaID, assumed: .track).flatMap({ $0.kind == .track ? $0.id : nil }),
            let fileID = try await CatalogQueries.primaryFileID(trackID: trackID, visible: context.visible, on: context.db),
            let found = try await CatalogQueries.streamableFile(id: fileID, visible: context.visible, on: context.db)
        else {
            throw SubsonicError.notFound("Song")
        }
        var info: [String: JSONValue] = [:]
        if let body = context.req.body.data, body.readableBytes > 0 {
            guard case .object(let object)? = try? JSONValue.parse(Array(body.readableBytesView)) else {
                throw SubsonicError.invalid("The body must be a ClientInfo JSON object.")
            }
            info = object
        }
        let source = source(found.file)
        let plan = TranscodePlanner.plan(source: source, client: info)
        var node = SubsonicNode("transcodeDecision")
        node.set("canDirectPlay", plan.direct)
        node.set("canTranscode", plan.target != nil)
        if !plan.reasons.isEmpty {
            node.add(list: "transcodeReason", plan.reasons.map { SubsonicNode.scalar("transcodeReason", .string($0)) })
        }
        if !plan.direct, plan.target == nil { node.set("errorReason", "No direct play or transcoding profile of the client fits this file.") }
        if plan.direct || plan.target != nil {
            let params = Params(
                trackID: trackID, direct: plan.direct, format: plan.target?.format.rawValue, bitrate: plan.target?.bitrate,
                expires: Clock.nowMillis() + tokenLifetime)
            let sealed = try context.req.application.secretBox.seal(try JSONValue.text(params))
            node.set(
                "transcodeParams",
                sealed.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                    .replacingOccurrences(of: "=", with: ""))
        }
        node.add(
            streamNode(
                "sourceStream", container: source.container, codec: source.codec, bitrate: source.bitrate,
                sampleRate: source.sampleRate, channels: source.channels))
        if let target = plan.target {
            node.add(
                streamNode(
                    "transcodeStream", container: target.container, codec: target.codec, bitrate: target.bitrate,
                    sampleRate: target.format == .opus ? 48_000 : min(source.sampleRate == 0 ? 44_100 : source.sampleRate, 48_000),
                    channels: target.channels))
        }
        return .node(node)
    }

    static func streamNode(_ name: String, container: String, codec: String, bitrate: Int, sampleRate: Int, channels: Int) -> SubsonicNode {
        var node = SubsonicNode(name)
        node.set("protocol", "http")
        node.set("container", container)
        node.set("codec", codec)
        node.set("audioChannels", channels)
        node.set("audioBitrate", bitrate * 1000)  // OpenSubsonic counts bits per second here
        node.set("audioSamplerate", sampleRate)
        node.set("audioBitdepth", 0)
        return node
    }

    static func stream(_ context: SubsonicContext) async throws -> SubsonicResult {
        let mediaID = try context.params.require("mediaId")
        let mediaType = try context.params.require("mediaType")
        let raw = try context.params.require("transcodeParams")
        guard mediaType == "song" else { throw SubsonicError.invalid("mediaType \(mediaType) is not supported; only song.") }
        var base64 = raw.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard raw.count <= 1024, let text = try context.req.application.secretBox.open(base64),
            let params = try? JSONDecoder().decode(Params.self, from: Data(text.utf8)), params.expires > Clock.nowMillis(),
            let trackID = SubsonicID.parse(mediaID, assumed: .track).flatMap({ $0.kind == .track ? $0.id : nil }),
            trackID == params.trackID
        else {
            throw SubsonicError.notFound("Transcode parameters")
        }
        guard let fileID = try await CatalogQueries.primaryFileID(trackID: trackID, visible: context.visible, on: context.db),
            let found = try await CatalogQueries.streamableFile(id: fileID, visible: context.visible, on: context.db)
        else {
            throw SubsonicError.notFound("Song")
        }
        let offset = Double(try context.params.int("offset", default: 0, range: 0...86_400))
        let format = params.direct ? nil : params.format.flatMap(Transcoder.Format.init(rawValue:))
        let options = StreamController.StreamOptions(format: format, maxBitRate: params.direct ? nil : params.bitrate, timeOffset: offset)
        return .response(try await StreamController.serve(file: found, options: options, req: context.req, estimatedLength: nil))
    }
}

/// The decision itself: direct play when a direct-play profile fits the file and its limits,
/// else the first transcoding profile Cadenza can produce over HTTP.
enum TranscodePlanner {
    struct Target {
        var format: Transcoder.Format
        var container: String
        var codec: String
        var bitrate: Int  // kbps
        var channels: Int
    }

    struct Plan {
        var direct: Bool
        var reasons: [String]
        var target: Target?
    }

    static func strings(_ value: JSONValue?) -> [String] {
        guard case .array(let items)? = value else {
            if case .string(let one)? = value { return one.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            return []
        }
        return items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
    }

    static func int(_ value: JSONValue?) -> Int? {
        switch value {
        case .number(let n)?: return n.isFinite && abs(n) < 1e12 ? Int(n) : nil
        case .string(let s)?: return Int(s)
        default: return nil
        }
    }

    static func objects(_ value: JSONValue?) -> [[String: JSONValue]] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap { if case .object(let o) = $0 { return o } else { return nil } }
    }

    static func plan(source: SubsonicTranscoding.Source, client: [String: JSONValue]) -> Plan {
        let maxBitrate = int(client["maxAudioBitrate"]).map { $0 / 1000 }.flatMap { $0 > 0 ? $0 : nil }
        let maxTranscodingBitrate = int(client["maxTranscodingAudioBitrate"]).map { $0 / 1000 }.flatMap { $0 > 0 ? $0 : nil }
        let limits = objects(client["codecProfiles"])
        var reasons: [String] = []

        // No ClientInfo at all: the client says nothing against the original.
        let directProfiles = objects(client["directPlayProfiles"])
        var direct = false
        if client["directPlayProfiles"] == nil && client.isEmpty {
            direct = true
        } else {
            for profile in directProfiles {
                let containers = strings(profile["containers"]), codecs = strings(profile["audioCodecs"]), protocols = strings(profile["protocols"])
                var fits = true
                if !containers.isEmpty, !containers.contains(where: { SubsonicTranscoding.containerMatches($0, source) }) {
                    fits = false; reasons.append("ContainerNotSupported")
                }
                if !codecs.isEmpty, !codecs.contains(where: { $0.lowercased() == source.codec || $0 == "*" }) {
                    fits = false; reasons.append("AudioCodecNotSupported")
                }
                if !protocols.isEmpty, !protocols.contains(where: { $0.lowercased() == "http" }) {
                    fits = false; reasons.append("ProtocolNotSupported")
                }
                if let channels = int(profile["maxAudioChannels"]), channels > 0, source.channels > channels {
                    fits = false; reasons.append("AudioChannelsNotSupported")
                }
                if fits { direct = true; break }
            }
            if directProfiles.isEmpty { reasons.append("ContainerNotSupported") }
        }
        if direct, let maxBitrate, source.bitrate > maxBitrate { direct = false; reasons.append("AudioBitrateNotSupported") }
        if direct, let failed = violatedLimitation(limits, codec: source.codec, source: source) { direct = false; reasons.append(failed) }
        if direct { return Plan(direct: true, reasons: [], target: nil) }

        var target: Target?
        for profile in objects(client["transcodingProfiles"]) {
            let container = (profile["container"].flatMap { if case .string(let s) = $0 { return s.lowercased() } else { return nil } }) ?? ""
            let codec = (profile["audioCodec"].flatMap { if case .string(let s) = $0 { return s.lowercased() } else { return nil } }) ?? ""
            let proto = (profile["protocol"].flatMap { if case .string(let s) = $0 { return s.lowercased() } else { return nil } }) ?? "http"
            guard proto == "http" else { continue }
            let format: Transcoder.Format
            switch (codec.isEmpty ? container : codec) {
            case "mp3": format = .mp3
            case "opus": format = .opus
            case "aac", "m4a", "adts": format = .aac
            default: continue
            }
            let channels = min(source.channels, int(profile["maxAudioChannels"]).flatMap { $0 > 0 ? $0 : nil } ?? 2)
            let cap = [maxTranscodingBitrate, maxBitrate].compactMap { $0 }.min()
            let preferred = format == .opus ? 128 : 192
            let bitrate = max(32, min(cap ?? preferred, 320))
            let containerName = format == .opus ? "ogg" : (format == .aac ? "aac" : "mp3")
            target = Target(
                format: format, container: container.isEmpty ? containerName : container, codec: format.rawValue,
                bitrate: bitrate, channels: channels)
            break
        }
        var seen = Set<String>()
        return Plan(direct: false, reasons: reasons.filter { seen.insert($0).inserted }, target: target)
    }

    /// The first required codec limitation the file breaks, as a transcode reason.
    static func violatedLimitation(_ profiles: [[String: JSONValue]], codec: String, source: SubsonicTranscoding.Source) -> String? {
        for profile in profiles {
            let name = (profile["name"].flatMap { if case .string(let s) = $0 { return s.lowercased() } else { return nil } }) ?? ""
            guard name == codec || name == "*" else { continue }
            for limitation in objects(profile["limitations"]) {
                guard case .string(let what)? = limitation["name"], case .string(let comparison)? = limitation["comparison"] else { continue }
                let values = strings(limitation["values"]).compactMap(Int.init)
                let actual: Int
                switch what {
                case "audioChannels": actual = source.channels
                case "audioBitrate": actual = source.bitrate * 1000
                case "audioSamplerate": actual = source.sampleRate
                default: continue
                }
                guard let first = values.first else { continue }
                let ok: Bool
                switch comparison {
                case "Equals": ok = values.contains(actual)
                case "NotEquals": ok = !values.contains(actual)
                case "LessThanEqual": ok = actual <= first
                case "GreaterThanEqual": ok = actual >= first
                default: ok = true
                }
                if !ok {
                    switch what {
                    case "audioChannels": return "AudioChannelsNotSupported"
                    case "audioBitrate": return "AudioBitrateNotSupported"
                    default: return "AudioSampleRateNotSupported"
                    }
                }
            }
        }
        return nil
    }
}
