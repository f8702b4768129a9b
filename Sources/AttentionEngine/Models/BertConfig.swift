/// The hyperparameters of a BERT encoder, read from a Hugging Face `config.json`.
///
/// Letters used with it: V vocab, C hidden size, NH heads, HS = C / NH, F intermediate (FFN)
/// size, P positions, TT token types, L layers.
///
/// Only what this engine computes is accepted: `model_type` "bert", absolute position
/// embeddings, `hidden_act` "gelu" (exact, erf) or "gelu_new"/"gelu_pytorch_tanh" (tanh
/// approximation). Anything else is an `AttentionError(.format)` naming the key and the value.
///
///     let config = try BertConfig(json: Array(try String(contentsOfFile: path).utf8))
///     config.hiddenSize                 // 384 for all-MiniLM-L6-v2
public struct BertConfig: Equatable, Sendable {
    /// How the FFN's activation is computed.
    public enum Activation: String, Sendable {
        /// 0.5·x·(1 + erf(x/√2)), BERT's "gelu".
        case geluErf
        /// The tanh approximation ("gelu_new", "gelu_pytorch_tanh").
        case geluTanh
    }

    /// V: rows of the word embedding.
    public var vocabSize: Int
    /// C: width of every token's vector.
    public var hiddenSize: Int
    /// L: transformer layers.
    public var layerCount: Int
    /// NH: attention heads per layer (divides C).
    public var headCount: Int
    /// F: width of the feed-forward layer.
    public var intermediateSize: Int
    /// P: longest sequence the position embedding covers.
    public var maxPositions: Int
    /// TT: rows of the token-type embedding (≥ 1; single sentences use type 0).
    public var typeVocabSize: Int
    /// Epsilon of every LayerNorm.
    public var layerNormEps: Float
    public var activation: Activation

    /// Upper bound on every size, far above any published BERT: keeps buffer sizes computed
    /// from a hostile config.json from overflowing.
    public static let maximumDimension = 1 << 20

    /// A configuration given directly; call `validate()` before use.
    public init(vocabSize: Int, hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int,
                maxPositions: Int, typeVocabSize: Int, layerNormEps: Float, activation: Activation = .geluErf) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.activation = activation
    }

    /// HS: the size of one head.
    public var headSize: Int { hiddenSize / headCount }

    /// Parses and validates the bytes of a `config.json`.
    public init(json bytes: [UInt8]) throws {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes)
        } catch let error as AttentionError {
            throw AttentionError(.format, "config.json: \(error.message)")
        }
        guard case .object = document else {
            throw AttentionError(.format, "config.json: the document is \(document.kindDescription), not an object")
        }
        let fields = JSONFields(document, file: "config.json")
        let modelType = try fields.string("model_type")
        guard modelType == "bert" else {
            throw AttentionError(.format, "config.json: model_type '\(modelType)' is not supported (only 'bert')")
        }
        let positionType = try fields.string("position_embedding_type", default: "absolute")
        guard positionType == "absolute" else {
            throw AttentionError(.format, "config.json: position_embedding_type '\(positionType)' is not supported (only 'absolute')")
        }
        let act = try fields.string("hidden_act")
        let activation: Activation
        switch act {
        case "gelu": activation = .geluErf
        case "gelu_new", "gelu_pytorch_tanh": activation = .geluTanh
        default:
            throw AttentionError(.format, "config.json: hidden_act '\(act)' is not supported ('gelu', 'gelu_new', 'gelu_pytorch_tanh')")
        }
        self.init(vocabSize: try fields.integer("vocab_size"),
                  hiddenSize: try fields.integer("hidden_size"),
                  layerCount: try fields.integer("num_hidden_layers"),
                  headCount: try fields.integer("num_attention_heads"),
                  intermediateSize: try fields.integer("intermediate_size"),
                  maxPositions: try fields.integer("max_position_embeddings"),
                  typeVocabSize: try fields.integer("type_vocab_size", default: 2),
                  layerNormEps: try fields.float("layer_norm_eps", default: 1e-12),
                  activation: activation)
        try validate()
    }

    /// Checks every size is in 1...maximumDimension (layers may be 0), NH divides C, and eps is
    /// finite and ≥ 0; throws `.format` naming the config key.
    public func validate() throws {
        let sizes = [("vocab_size", vocabSize), ("hidden_size", hiddenSize),
                     ("num_attention_heads", headCount), ("intermediate_size", intermediateSize),
                     ("max_position_embeddings", maxPositions), ("type_vocab_size", typeVocabSize)]
        for (key, value) in sizes where value < 1 || value > Self.maximumDimension {
            throw AttentionError(.format, "config.json: \(key) \(value) must be from 1 to \(Self.maximumDimension)")
        }
        guard layerCount >= 0 && layerCount <= 1024 else {
            throw AttentionError(.format, "config.json: num_hidden_layers \(layerCount) must be from 0 to 1024")
        }
        guard hiddenSize % headCount == 0 else {
            throw AttentionError(.format, "config.json: hidden_size \(hiddenSize) is not divisible by num_attention_heads \(headCount)")
        }
        guard headSize <= AttentionShape.maximumHeadSize else {
            throw AttentionError(.format, "config.json: head size \(headSize) exceeds \(AttentionShape.maximumHeadSize)")
        }
        guard layerNormEps.isFinite && layerNormEps >= 0 else {
            throw AttentionError(.format, "config.json: layer_norm_eps \(layerNormEps) must be finite and >= 0")
        }
    }
}

/// Typed access to the members of a JSON object, with errors naming the file and the key.
struct JSONFields {
    let value: JSONValue
    let file: String

    init(_ value: JSONValue, file: String) {
        self.value = value
        self.file = file
    }

    func has(_ key: String) -> Bool {
        if let member = value[key], member != .null { return true }
        return false
    }

    private func member(_ key: String) throws -> JSONValue {
        guard let member = value[key] else { throw AttentionError(.format, "\(file): '\(key)' is missing") }
        return member
    }

    func string(_ key: String, default fallback: String? = nil) throws -> String {
        if let fallback, !has(key) { return fallback }
        let member = try member(key)
        guard case .string(let text) = member else {
            throw AttentionError(.format, "\(file): '\(key)' is \(member.kindDescription), not a string")
        }
        return text
    }

    func integer(_ key: String, default fallback: Int? = nil) throws -> Int {
        if let fallback, !has(key) { return fallback }
        let member = try member(key)
        guard case .number(let literal) = member, let number = Int(literal) else {
            throw AttentionError(.format, "\(file): '\(key)' is \(Self.describe(member)), not an integer")
        }
        return number
    }

    func float(_ key: String, default fallback: Float? = nil) throws -> Float {
        if let fallback, !has(key) { return fallback }
        let member = try member(key)
        guard case .number(let literal) = member, let number = Double(literal) else {
            throw AttentionError(.format, "\(file): '\(key)' is \(member.kindDescription), not a number")
        }
        return Float(number)
    }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard has(key) else { return fallback }
        let member = try member(key)
        guard case .bool(let flag) = member else {
            throw AttentionError(.format, "\(file): '\(key)' is \(member.kindDescription), not a boolean")
        }
        return flag
    }

    /// "the number 1.5" for a non-integer number, else the kind.
    private static func describe(_ value: JSONValue) -> String {
        if case .number(let literal) = value { return "the number \(literal)" }
        return value.kindDescription
    }
}
