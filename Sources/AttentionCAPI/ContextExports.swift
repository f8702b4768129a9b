import AttentionEngine
import CAttention

// attn_context_*: generation, seq2seq answers and attention maps for one thread, over a shared
// model (see include/attention.h).

/// A buffer the context hands out by pointer: it lives until the next call on the context
/// replaces it, or until the context is freed.
private final class HostBuffer<Element> {
    let pointer: UnsafeMutablePointer<Element>
    let count: Int

    init(_ elements: [Element]) {
        count = elements.count
        pointer = .allocate(capacity: max(count, 1))
        for (index, element) in elements.enumerated() { (pointer + index).initialize(to: element) }
    }

    deinit {
        pointer.deinitialize(count: count)
        pointer.deallocate()
    }
}

/// The Swift object behind an attn_context_t: the model it decodes with (kept alive) and the
/// results of its last call. Every generation starts a fresh decoding state (KV cache).
final class ContextHandle {
    let model: ModelHandle
    /// attn_context_set_strict_vocabulary: refuse text with characters outside the vocabulary
    /// instead of reading them as UNK.
    var strictVocabulary = false
    /// attn_context_get_unknown_count: characters of the last call's text read as UNK.
    var unknownCount: Int64 = 0
    private var text: HostBuffer<CChar>?
    private var tokens: HostBuffer<Int32>?
    private var maps: HostBuffer<attn_attention_map>?
    private var weights: [HostBuffer<Float>] = []

    init(model: ModelHandle) { self.model = model }

    /// Keeps `value` as NUL-terminated UTF-8 and returns its address and byte length.
    func keep(text value: String) -> (UnsafePointer<CChar>, Int) {
        let bytes = value.utf8.map { CChar(bitPattern: $0) }
        text = HostBuffer(bytes + [0])
        return (UnsafePointer(text!.pointer), bytes.count)
    }

    /// Keeps `ids` and returns their address.
    func keep(tokens ids: [Int32]) -> UnsafePointer<Int32> {
        tokens = HostBuffer(ids)
        return UnsafePointer(tokens!.pointer)
    }

    /// Keeps the maps (and their weights) and returns the address of the first.
    func keep(maps attention: [AttentionMap]) -> UnsafePointer<attn_attention_map> {
        weights = attention.map { HostBuffer($0.weights.scalars) }
        maps = HostBuffer(zip(attention, weights).map { map, values in
            attn_attention_map(kind: Int32(attentionKind(map.kind).rawValue), layer: Int64(map.layer), heads: Int64(map.heads),
                               query_len: Int64(map.queryLength), key_len: Int64(map.keyLength),
                               weights: UnsafePointer(values.pointer))
        })
        return UnsafePointer(maps!.pointer)
    }
}

private func attentionKind(_ kind: AttentionMap.Kind) -> attn_attention_kind {
    switch kind {
    case .selfAttention: return ATTN_ATTENTION_SELF
    case .encoderSelfAttention: return ATTN_ATTENTION_ENCODER
    case .crossAttention: return ATTN_ATTENTION_CROSS
    }
}

func contextHandle(_ handle: OpaquePointer?, _ function: String) throws -> ContextHandle {
    try resolveHandle(handle, .context, as: ContextHandle.self, function)
}

extension ContextHandle {
    /// The ids of `text`, which must be non-empty and at most `limit` characters. Characters
    /// outside the vocabulary are read as UNK and added to `unknownCount`, or refused when the
    /// context is strict.
    fileprivate func tokens(of text: String, _ tokenizer: CharTokenizer, _ name: String, limit: Int?,
                            _ function: String) throws -> [Int32] {
        guard !text.isEmpty else { throw AttentionError.invalid("\(function): the \(name) is empty") }
        let encoded = try naming(function) {
            try tokenizer.encode(text, unknown: strictVocabulary ? .refuse : .readAsUnknown, naming: name)
        }
        unknownCount += Int64(encoded.unknownCount)
        if let limit, encoded.ids.count > limit {
            throw AttentionError.invalid("\(function): the \(name) has \(encoded.ids.count) characters; the model takes at most \(limit)")
        }
        return encoded.ids
    }
}

/// The token callback of `config` as the engine's `onToken`: it skips EOS when generation stops
/// there (EOS is not part of the result) and passes each token's text.
private func tokenStream(_ config: attn_generate_config, _ tokenizer: CharTokenizer?) -> ((Int32) throws -> Bool)? {
    guard let callback = config.on_token else { return nil }
    let stopsAtEOS = config.stop_at_eos != 0, userData = config.user_data
    return { token in
        if stopsAtEOS && token == CharTokenizer.eos { return true }
        // NUL-terminated and never NULL, even when empty, for hosts that print it as a C string.
        let piece = ((try? tokenizer?.decode([token])) ?? "").utf8CString
        return piece.withUnsafeBufferPointer { callback(token, $0.baseAddress, $0.count - 1, userData) == 0 }
    }
}

/// The generated ids without the EOS that ended them.
private func withoutFinalEOS(_ result: GenerationResult) -> [Int32] {
    result.stoppedAtEOS ? Array(result.tokens.dropLast()) : result.tokens
}

/// Stores the context-owned text in the caller's out-parameters.
private func returnText(_ context: ContextHandle, _ value: String, _ text: UnsafeMutablePointer<UnsafePointer<CChar>?>,
                        _ length: UnsafeMutablePointer<Int>?) {
    let (pointer, count) = context.keep(text: value)
    text.pointee = pointer
    length?.pointee = count
}

@c @implementation
public func attn_generate_config_default(_ config: UnsafeMutablePointer<attn_generate_config>?) -> attn_status {
    guarded { try writeGrowableStruct(defaultGenerateConfig(), to: config, "config", "attn_generate_config_default") }
}

@c @implementation
public func attn_context_init(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> attn_status {
    creatingHandle(out, .context, "attn_context_init") {
        ContextHandle(model: try modelHandle(model, "attn_context_init"))
    }
}

@c @implementation
public func attn_context_free(_ context: OpaquePointer?) {
    freeHandle(context, .context)
}

@c @implementation
public func attn_context_generate(_ context: OpaquePointer?, _ prompt: UnsafePointer<CChar>?, _ length: Int,
                                  _ config: UnsafePointer<attn_generate_config>?,
                                  _ text: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                  _ textLength: UnsafeMutablePointer<Int>?) -> attn_status {
    text?.pointee = nil
    return guarded {
        let function = "attn_context_generate"
        let handle = try contextHandle(context, function)
        let text = try nonNull(text, "text", function)
        let model = try handle.model.languageModel(function)
        let tokenizer = try handle.model.requireTokenizer(function)
        let c = try readGrowableStruct(config, "config", function)
        let options = try generationOptions(c, function)
        handle.unknownCount = 0
        let ids = try handle.tokens(of: try utf8Argument(prompt, length, "prompt", function), tokenizer, "prompt",
                                    limit: nil, function)
        let result = try naming(function) {
            try generate(model: model, prompt: ids, options: options, onToken: tokenStream(c, tokenizer))
        }
        returnText(handle, try tokenizer.decode(withoutFinalEOS(result)), text, textLength)
    }
}

@c @implementation
public func attn_context_generate_tokens(_ context: OpaquePointer?, _ prompt: UnsafePointer<Int32>?, _ promptCount: Int64,
                                         _ config: UnsafePointer<attn_generate_config>?,
                                         _ tokens: UnsafeMutablePointer<UnsafePointer<Int32>?>?,
                                         _ tokenCount: UnsafeMutablePointer<Int64>?) -> attn_status {
    tokens?.pointee = nil
    return guarded {
        let function = "attn_context_generate_tokens"
        let handle = try contextHandle(context, function)
        let tokens = try nonNull(tokens, "tokens", function), tokenCount = try nonNull(tokenCount, "token_count", function)
        let model = try handle.model.languageModel(function)
        let c = try readGrowableStruct(config, "config", function)
        let options = try generationOptions(c, function)
        handle.unknownCount = 0
        let ids = try tokenArgument(prompt, promptCount, vocabularySize: model.vocabularySize, "prompt", function)
        guard !ids.isEmpty else { throw AttentionError.invalid("\(function): the prompt is empty") }
        let result = try naming(function) {
            try generate(model: model, prompt: ids, options: options, onToken: tokenStream(c, handle.model.tokenizer))
        }
        let generated = withoutFinalEOS(result)
        tokens.pointee = handle.keep(tokens: generated)
        tokenCount.pointee = Int64(generated.count)
    }
}

@c @implementation
public func attn_context_answer(_ context: OpaquePointer?, _ question: UnsafePointer<CChar>?, _ length: Int,
                                _ config: UnsafePointer<attn_generate_config>?,
                                _ text: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                _ textLength: UnsafeMutablePointer<Int>?) -> attn_status {
    text?.pointee = nil
    return guarded {
        let function = "attn_context_answer"
        let handle = try contextHandle(context, function)
        let text = try nonNull(text, "text", function)
        let model = try handle.model.seq2seq(function)
        let tokenizer = try handle.model.requireTokenizer(function)
        let c = try readGrowableStruct(config, "config", function)
        let options = try generationOptions(c, function)
        handle.unknownCount = 0
        let ids = try handle.tokens(of: try utf8Argument(question, length, "question", function), tokenizer, "question",
                                    limit: model.config.maxSourceLength, function)
        let result = try naming(function) {
            try model.answer(question: ids, options: options, onToken: tokenStream(c, tokenizer))
        }
        returnText(handle, try tokenizer.decode(withoutFinalEOS(result)), text, textLength)
    }
}

@c @implementation
public func attn_context_attention(_ context: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ length: Int,
                                   _ answer: UnsafePointer<CChar>?, _ answerLength: Int,
                                   _ maps: UnsafeMutablePointer<UnsafePointer<attn_attention_map>?>?,
                                   _ mapCount: UnsafeMutablePointer<Int64>?) -> attn_status {
    maps?.pointee = nil
    return guarded {
        let function = "attn_context_attention"
        let handle = try contextHandle(context, function)
        let maps = try nonNull(maps, "maps", function), mapCount = try nonNull(mapCount, "map_count", function)
        let tokenizer = try handle.model.requireTokenizer(function)
        handle.unknownCount = 0
        let input = try utf8Argument(text, length, "text", function)
        if answer == nil && answerLength != 0 {
            throw AttentionError(.nullPointer, "\(function): answer is NULL but its length is \(answerLength)")
        }
        guard let model = handle.model.model as? any AttentionInspecting else {
            throw AttentionError.invalid("\(function): \(try kindName(modelConfig(of: handle.model.model).kind)) models have no attention to show")
        }
        let answerLimit = model.inspectableAnswerLength
        if answer != nil && answerLimit == nil {
            throw AttentionError.invalid("\(function): answer only applies to seq2seq models; pass NULL")
        }
        let ids = try handle.tokens(of: input, tokenizer, "text", limit: model.inspectableTextLength, function)
        let answerIds: [Int32]? = try answer.map { _ in
            let answerText = try utf8Argument(answer, answerLength, "answer", function)
            return answerText.isEmpty ? []
                : try handle.tokens(of: answerText, tokenizer, "answer", limit: answerLimit, function)
        }
        let attention = try naming(function) { try model.inspectAttention(text: ids, answer: answerIds) }
        maps.pointee = handle.keep(maps: attention)
        mapCount.pointee = Int64(attention.count)
    }
}

@c @implementation
public func attn_context_set_strict_vocabulary(_ context: OpaquePointer?, _ strict: Int32) -> attn_status {
    guarded { try contextHandle(context, "attn_context_set_strict_vocabulary").strictVocabulary = strict != 0 }
}

@c @implementation
public func attn_context_get_unknown_count(_ context: OpaquePointer?, _ count: UnsafeMutablePointer<Int64>?) -> attn_status {
    guarded {
        let function = "attn_context_get_unknown_count"
        let handle = try contextHandle(context, function)
        try nonNull(count, "count", function).pointee = handle.unknownCount
    }
}
