/// A JSON document as parsed by `JSONValue.parse(_:maxDepth:)`.
///
/// Numbers keep their literal text, so that integers of any size convert exactly later (a
/// checkpoint offset above 2^53 must not silently round through a Double). Objects keep their
/// members in document order; the parser guarantees their keys are unique.
///
///     let value = try JSONValue.parse(Array(#"{"shape": [2, 3]}"#.utf8))
///     value["shape"]                              // .array([.number("2"), .number("3")])
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number as written, validated against the JSON grammar (e.g. "-12", "0.5", "1e9").
    case number(String)
    case string(String)
    case array([JSONValue])
    /// The members in document order, with unique keys.
    case object([JSONMember])

    /// The value of member `key` when `self` is an object that has it.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The kind of value with an article, for error messages: "a string", "an array", …
    public var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// One `"key": value` pair of a JSON object.
public struct JSONMember: Equatable, Sendable {
    public let key: String
    public let value: JSONValue

    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}
