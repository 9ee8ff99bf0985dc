import Foundation

/// One element of a Subsonic response, rendered as XML or as OpenSubsonic's JSON mapping:
/// attributes keep their types (numbers stay numbers), elements declared as lists are JSON
/// arrays even with one or no member, and text content becomes `"value"`.
struct SubsonicNode: Sendable {
    enum Value: Sendable {
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)
    }

    var name: String
    var attributes: [(String, Value)] = []
    /// Child groups in order; `isList` groups are arrays in JSON.
    var children: [(name: String, nodes: [SubsonicNode], isList: Bool)] = []
    var text: String?
    /// A bare value: `<versions>1</versions>` in XML, `1` in a JSON array.
    var scalar: Value?

    init(_ name: String) {
        self.name = name
    }

    static func scalar(_ name: String, _ value: Value) -> SubsonicNode {
        var node = SubsonicNode(name)
        node.text = value.text
        node.scalar = value
        return node
    }

    // MARK: building

    mutating func set(_ key: String, _ value: String?) {
        if let value { attributes.append((key, .string(value))) }
    }
    mutating func set(_ key: String, _ value: Int?) {
        if let value { attributes.append((key, .int(Int64(value)))) }
    }
    mutating func set(_ key: String, _ value: Int64?) {
        if let value { attributes.append((key, .int(value))) }
    }
    mutating func set(_ key: String, _ value: Double?) {
        if let value { attributes.append((key, .double(value))) }
    }
    mutating func set(_ key: String, _ value: Bool?) {
        if let value { attributes.append((key, .bool(value))) }
    }
    mutating func set(date key: String, millis: Int64?) {
        if let millis { attributes.append((key, .string(SubsonicNode.iso8601(millis)))) }
    }

    mutating func add(_ node: SubsonicNode) {
        children.append((node.name, [node], false))
    }

    /// A repeated element: `<song/><song/>` in XML, `"song": [...]` in JSON.
    mutating func add(list name: String, _ nodes: [SubsonicNode]) {
        children.append((name, nodes, true))
    }

    /// `2026-11-23T14:02:11.064Z`. Formatted by hand: Foundation's ISO8601DateFormatter costs more
    /// to create than a whole album row, and a list response writes hundreds of dates.
    /// Stored values outside years 1–9999 (rows written before input was bounded) show as the
    /// nearest end of that range rather than overflowing.
    static func iso8601(_ stored: Int64) -> String {
        let millis = min(max(stored, -62_135_596_800_000), Int64(SubsonicParams.maxMillis))
        var seconds = time_t(millis >= 0 ? millis / 1000 : (millis - 999) / 1000)
        let fraction = Int((millis % 1000 + 1000) % 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(fraction), 3))Z"
    }

    // MARK: XML

    func xml(into out: inout [UInt8], namespace: Bool = false) {
        out.append(UInt8(ascii: "<"))
        out += name.utf8
        if namespace { out += #" xmlns="http://subsonic.org/restapi""#.utf8 }
        for (key, value) in attributes {
            out.append(UInt8(ascii: " "))
            out += key.utf8
            out += #"=""#.utf8
            switch value {
            case .string(let s): UTF8Text.xmlEscape(s, into: &out)
            default: out += value.text.utf8
            }
            out.append(UInt8(ascii: "\""))
        }
        let hasChildren = children.contains { !$0.nodes.isEmpty }
        if !hasChildren && text == nil {
            out += "/>".utf8
            return
        }
        out.append(UInt8(ascii: ">"))
        if let text { UTF8Text.xmlEscape(text, into: &out) }
        for group in children {
            for node in group.nodes { node.xml(into: &out) }
        }
        out += "</".utf8
        out += name.utf8
        out.append(UInt8(ascii: ">"))
    }

    static func escapeXML(_ s: String) -> String {
        XMLText.escape(s)
    }

    // MARK: JSON

    func jsonObject(into out: inout [UInt8]) {
        if let scalar {
            Self.json(scalar, into: &out)
            return
        }
        out.append(UInt8(ascii: "{"))
        var first = true
        func key(_ k: String) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            UTF8Text.jsonQuote(k, into: &out)
            out.append(UInt8(ascii: ":"))
        }
        for (k, value) in attributes {
            key(k)
            Self.json(value, into: &out)
        }
        if let text {
            key("value")
            UTF8Text.jsonQuote(text, into: &out)
        }
        for group in children {
            key(group.name)
            if group.isList {
                out.append(UInt8(ascii: "["))
                for (index, node) in group.nodes.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    node.jsonObject(into: &out)
                }
                out.append(UInt8(ascii: "]"))
            } else if let node = group.nodes.first {
                node.jsonObject(into: &out)
            } else {
                out += "{}".utf8
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    static func json(_ value: Value, into out: inout [UInt8]) {
        switch value {
        case .string(let s): UTF8Text.jsonQuote(s, into: &out)
        case .int(let i): out += String(i).utf8
        case .double(let d): out += (d.isFinite ? String(d) : "0").utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        }
    }
}

extension SubsonicNode.Value {
    var text: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        }
    }
}

/// A Subsonic error: HTTP 200 with `status="failed"` and one of the protocol's codes.
struct SubsonicError: Error, Sendable {
    var code: Int
    var message: String

    static func missing(_ parameter: String) -> SubsonicError {
        .init(code: 10, message: "Required parameter is missing: \(parameter)")
    }
    static let wrongCredentials = SubsonicError(code: 40, message: "Wrong username or password.")
    static func notAuthorized(_ what: String = "You are not allowed to do this.") -> SubsonicError {
        .init(code: 50, message: what)
    }
    static func notFound(_ what: String) -> SubsonicError {
        .init(code: 70, message: "\(what) not found.")
    }
    static func invalid(_ message: String) -> SubsonicError {
        .init(code: 0, message: message)
    }
    static let notSupported = SubsonicError(code: 0, message: "Not supported by this server.")
}
