/// An error the engine reports instead of trapping: bad shapes, bad values, bad files, bad text.
///
/// The C ABI maps `kind` to an `attn_status` and `message` to `attn_last_error()`.
public struct AttentionError: Error, CustomStringConvertible, Equatable {
    /// The class of failure; each maps to one `attn_status` of the C ABI.
    public enum Kind: Sendable, Equatable {
        case nullPointer, invalidArgument, shape, outOfMemory, io, format, utf8, `internal`
    }

    /// The class of failure.
    public let kind: Kind
    /// What went wrong, naming the function, layer, shape or byte offset involved.
    public let message: String

    /// An error of `kind` explained by `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// Shorthand for the most common failure: sizes that do not fit together.
    public static func shape(_ message: String) -> AttentionError { AttentionError(.shape, message) }

    /// Shorthand for a value outside its allowed range.
    public static func invalid(_ message: String) -> AttentionError {
        AttentionError(.invalidArgument, message)
    }
}
