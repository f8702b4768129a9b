#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pretrained BERT-family sentence encoder (e.g. all-MiniLM-L6-v2): text in, one vector per
/// text out, as sentence-transformers computes it.
///
/// embedding = mean over the text's tokens (`[CLS]` … `[SEP]`, padding excluded) of the last
/// layer's hidden states, then L2-normalized (x / max(‖x‖, 1e-12)) when `normalize` is set.
/// Texts are tokenized by `tokenizer`, truncated to `maxLength` tokens, sorted by length and run
/// in batches of `batchSize`, so little padding is computed; every embedding is bitwise the
/// same whatever the other texts, the batch size or the thread count. The empty string embeds
/// `[CLS][SEP]`, as the reference does.
///
/// Immutable: one instance may embed from many threads at once.
///
///     let encoder = try SentenceEncoder(folder: "all-MiniLM-L6-v2")
///     let vectors = try encoder.embed(["A man is eating food.", "Someone eats."])  // (2, 384)
///     let cosine = zip(vectors[0..<384], vectors[384...]).map(*).reduce(0, +)
public final class SentenceEncoder: Sendable {
    /// How the token vectors become one sentence vector (`1_Pooling/config.json`).
    public enum Pooling: String, Sendable {
        /// Mean over the non-padding tokens (sentence-transformers' `pooling_mode_mean_tokens`).
        case mean
        /// The `[CLS]` token's vector (`pooling_mode_cls_token`).
        case classifierToken = "cls"
    }

    public let tokenizer: WordPieceTokenizer
    /// Longest token sequence embedded, `[CLS]` and `[SEP]` included; longer texts are truncated.
    public let maxLength: Int
    public let pooling: Pooling
    let encoder: BertEncoder

    /// The model's hyperparameters.
    public var config: BertConfig { encoder.config }
    /// Length of every embedding (the hidden size C).
    public var dimension: Int { encoder.config.hiddenSize }
    /// Parameters of the model (floats).
    public var parameterCount: Int { encoder.weights.parameterCount }
    /// How the layers' matrices are stored: nil for FP32; BF16 or Q8 after `quantized(to:)` or
    /// when loaded from a folder that `attn quantize` wrote.
    public var weightFormat: WeightFormat? { encoder.weights.weightFormat }

    init(tokenizer: WordPieceTokenizer, weights: BertWeights, maxLength: Int, pooling: Pooling) {
        self.tokenizer = tokenizer
        self.encoder = BertEncoder(weights: weights)
        self.maxLength = maxLength
        self.pooling = pooling
    }

    /// A copy of this encoder for inference with the word embeddings and the six matrices of
    /// every layer (query, key, value, attention output, intermediate, output) narrowed to
    /// `format` and not kept in FP32; position and token-type embeddings, biases and LayerNorms
    /// stay FP32. Throws when the encoder is narrowed already,
    /// or (Q8) a dimension is not a multiple of 32.
    public func quantized(to format: WeightFormat) throws -> SentenceEncoder {
        SentenceEncoder(tokenizer: tokenizer, weights: try encoder.weights.narrowed(to: format), maxLength: maxLength,
                        pooling: pooling)
    }

    /// An encoder running `model` (e.g. from the model-kind registry or a "bert" checkpoint; its
    /// weights are copied) with `tokenizer`, whose vocabulary must have the model's `vocab_size`.
    /// `maxLength` (2...positions; nil: all positions) is where texts are truncated.
    public convenience init(model: BertModel, tokenizer: WordPieceTokenizer, maxLength: Int? = nil,
                            pooling: Pooling = .mean) throws {
        guard tokenizer.vocabulary.count == model.config.vocabSize else {
            throw AttentionError.invalid("SentenceEncoder: the tokenizer has \(tokenizer.vocabulary.count) tokens, the model's vocab_size is \(model.config.vocabSize)")
        }
        let length = maxLength ?? model.config.maxPositions
        guard length >= 2 && length <= model.config.maxPositions else {
            throw AttentionError.invalid("SentenceEncoder: max length \(length) must be from 2 to the model's \(model.config.maxPositions) positions")
        }
        self.init(tokenizer: tokenizer, weights: try BertWeights(model: model), maxLength: length, pooling: pooling)
    }

    /// The ids the model reads for `text`: `[CLS]`, its WordPiece ids truncated to
    /// `maxLength - 2`, `[SEP]`.
    public func tokenize(_ text: String) -> [Int32] {
        tokenizer.encode(text, maxLength: maxLength)
    }

    /// Whether `text` has more tokens than `maxLength` (and is therefore truncated).
    public func isTruncated(_ text: String) -> Bool {
        tokenizer.tokenIds(text).count + 2 > maxLength
    }

    /// The embeddings of `texts`, (N, C) row-major in the order of `texts`; N = 0 gives [].
    ///
    /// - batchSize: texts per forward pass (≥ 1); it changes speed and memory, not results.
    /// - normalize: divide each vector by its L2 norm (what sentence-transformers'
    ///   `Normalize` module does; cosine similarity is then a dot product).
    /// - progress: called after each batch with the number of texts embedded so far.
    public func embed(_ texts: [String], batchSize: Int = 32, normalize: Bool = true,
                      progress: ((_ done: Int) -> Void)? = nil) throws -> [Float] {
        try embed(tokenized: texts.map(tokenize), batchSize: batchSize, normalize: normalize, progress: progress)
    }

    /// As `embed(_:)` on sequences from `tokenize` (each 2...maxLength ids in the vocabulary,
    /// else `AttentionError(.invalidArgument)` naming the sequence).
    public func embed(tokenized sequences: [[Int32]], batchSize: Int = 32, normalize: Bool = true,
                      progress: ((_ done: Int) -> Void)? = nil) throws -> [Float] {
        guard batchSize >= 1 else { throw AttentionError.invalid("embed: batch size \(batchSize) must be >= 1") }
        let C = dimension
        for (index, ids) in sequences.enumerated() {
            guard ids.count >= 1 && ids.count <= maxLength else {
                throw AttentionError.invalid("embed: sequence \(index) has \(ids.count) tokens, must be 1...\(maxLength)")
            }
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
                throw AttentionError.invalid("embed: sequence \(index) holds id \(bad), outside the vocabulary 0..<\(config.vocabSize)")
            }
        }
        var result = [Float](repeating: 0, count: sequences.count * C)
        // Shortest first, ties in input order: batches of similar lengths need little padding.
        let order = sequences.indices.sorted { (sequences[$0].count, $0) < (sequences[$1].count, $1) }
        var done = 0
        try result.withUnsafeMutableBufferPointer { result in
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let members = Array(order[start..<min(start + batchSize, order.count)])
                let batch = members.map { sequences[$0] }
                let hidden = try runBatch(batch)
                defer { hidden.states.deallocate() }
                for (slot, index) in members.enumerated() {
                    pool(out: result.baseAddress! + index * C, states: hidden.states + slot * hidden.time * C,
                         length: batch[slot].count, normalize: normalize)
                }
                done += members.count
                progress?(done)
            }
        }
        return result
    }

    /// What every layer and head attends to when the model reads `text`: its tokens and one
    /// map per layer (NH, T, T) of bidirectional attention probabilities.
    public func attention(_ text: String) throws -> (tokens: [Int32], maps: [AttentionMap]) {
        let ids = tokenize(text)
        let (T, NH) = (ids.count, config.headCount)
        var maps: [AttentionMap] = []
        let states = UnsafeMutablePointer<Float>.allocate(capacity: T * dimension)
        defer { states.deallocate() }
        var failure: Error?
        ids.withUnsafeBufferPointer { tokens in
            encoder.forward(out: states, tokens: tokens.baseAddress!, lengths: [T], time: T) { layer, probs in
                do {
                    let weights = try Tensor(shape: [1, NH, T, T], values: Array(UnsafeBufferPointer(start: probs, count: NH * T * T)))
                    maps.append(try AttentionMap(kind: .encoderSelfAttention, layer: layer, batchWeights: weights))
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw failure }
        return (ids, maps)
    }

    /// Runs one padded batch; returns the hidden states (B,T,C), owned by the caller.
    private func runBatch(_ batch: [[Int32]]) throws -> (states: UnsafeMutablePointer<Float>, time: Int) {
        let T = batch.map(\.count).max() ?? 1
        let C = dimension
        try requireWorkspace(batch: batch.count, time: T)
        var tokens = [Int32](repeating: tokenizer.padding, count: batch.count * T)  // (B,T)
        for (b, ids) in batch.enumerated() {
            for (t, id) in ids.enumerated() { tokens[b * T + t] = id }
        }
        let states = UnsafeMutablePointer<Float>.allocate(capacity: batch.count * T * C)
        tokens.withUnsafeBufferPointer {
            encoder.forward(out: states, tokens: $0.baseAddress!, lengths: batch.map(\.count), time: T)
        }
        return (states, T)
    }

    /// Refuses a batch whose scratch would not fit in memory instead of letting an
    /// allocation fail.
    private func requireWorkspace(batch: Int, time: Int) throws {
        let bytes = encoder.workspaceBytes(batch: batch, time: time)
        let physicalMemory = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
        if bytes > physicalMemory / 2 {
            throw AttentionError(.outOfMemory, "embed: a batch of \(batch) × \(time) tokens needs \(Int(bytes / 1e6)) MB of scratch; use a smaller batch size")
        }
    }

    /// out (C) = pooled (and normalized) vector of states (T,C) over the first `length` rows,
    /// summed in token order in Double.
    private func pool(out: UnsafeMutablePointer<Float>, states: UnsafePointer<Float>, length: Int, normalize: Bool) {
        let C = dimension
        var sum = [Double](repeating: 0, count: C)
        switch pooling {
        case .mean:
            for t in 0..<length {
                for c in 0..<C { sum[c] += Double(states[t * C + c]) }
            }
            for c in 0..<C { sum[c] /= Double(length) }
        case .classifierToken:
            for c in 0..<C { sum[c] = Double(states[c]) }
        }
        var scale = 1.0
        if normalize {
            let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
            scale = 1 / max(norm, 1e-12)
        }
        for c in 0..<C { out[c] = Float(sum[c] * scale) }
    }
}
