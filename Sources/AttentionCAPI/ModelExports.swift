import AttentionEngine
import CAttention

// attn_model_*: create, load, save, describe and run a model behind an opaque handle.

/// The Swift object behind an attn_model_t: the network, its tokenizer, and the training state a
/// loaded checkpoint carried (for attn_trainer_init with resume).
///
/// The network stays in evaluation mode (dropout off) except while a trainer steps, so that
/// inference from many threads only reads it.
final class ModelHandle {
    let model: any Module
    let tokenizer: CharTokenizer?
    let savedTraining: TrainingState?

    init(model: any Module, tokenizer: CharTokenizer?, savedTraining: TrainingState? = nil) {
        model.setTraining(false)
        self.model = model
        self.tokenizer = tokenizer
        self.savedTraining = savedTraining
    }

    init(_ checkpoint: ModelCheckpoint) {
        checkpoint.model.setTraining(false)
        model = checkpoint.model
        tokenizer = checkpoint.tokenizer
        savedTraining = checkpoint.training
    }

    /// The vocabulary size V of the network.
    var vocabularySize: Int {
        ModelKinds.describe(model)?.config["vocab_size"].flatMap { Int($0) } ?? 0
    }

    /// The network as a next-token language model (gpt, rnn, cnn), or an error naming `function`.
    func languageModel(_ function: String) throws -> any LanguageModel {
        guard let model = model as? any LanguageModel else {
            throw AttentionError.invalid("\(function): needs a gpt, rnn or cnn model; this one is \(try kindName(modelConfig(of: model).kind))")
        }
        return model
    }

    /// The network as a seq2seq model, or an error naming `function`.
    func seq2seq(_ function: String) throws -> Seq2Seq {
        guard let model = model as? Seq2Seq else {
            throw AttentionError.invalid("\(function): needs a seq2seq model; this one is \(try kindName(modelConfig(of: model).kind))")
        }
        return model
    }

    /// The tokenizer, or an error naming `function`.
    func requireTokenizer(_ function: String) throws -> CharTokenizer {
        guard let tokenizer else {
            throw AttentionError.invalid("\(function): the model has no tokenizer (create it with one, or use the token-id functions)")
        }
        return tokenizer
    }
}

func modelHandle(_ handle: OpaquePointer?, _ function: String) throws -> ModelHandle {
    try resolveHandle(handle, .model, as: ModelHandle.self, function)
}

@c @implementation
public func attn_model_config_default(_ kind: attn_model_kind, _ config: UnsafeMutablePointer<attn_model_config>?) -> attn_status {
    guarded {
        let function = "attn_model_config_default"
        try writeGrowableStruct(try defaultModelConfig(Int32(bitPattern: kind.rawValue), function), to: config, "config", function)
    }
}

@c @implementation
public func attn_model_init(_ config: UnsafePointer<attn_model_config>?, _ tokenizer: OpaquePointer?,
                            _ out: UnsafeMutablePointer<OpaquePointer?>?) -> attn_status {
    creatingHandle(out, .model, "attn_model_init") {
        let function = "attn_model_init"
        let c = try readGrowableStruct(config, "config", function)
        let vocabulary = try tokenizer.map { try tokenizerHandle($0, function) }
        var vocabularySize = Int(clamping: c.vocab_size)
        if let vocabulary {
            guard c.vocab_size == 0 || c.vocab_size == Int64(vocabulary.vocabularySize) else {
                throw AttentionError.invalid(
                    "\(function): vocab_size \(c.vocab_size) differs from the tokenizer's \(vocabulary.vocabularySize) (use 0 to take the tokenizer's)")
            }
            vocabularySize = vocabulary.vocabularySize
        }
        let vocabularyRange = ModelConfigLimits.range(of: "vocab_size")
        guard vocabularyRange.contains(vocabularySize) else {
            throw AttentionError.invalid(
                "\(function): vocab_size = \(vocabularySize) must be in \(vocabularyRange.lowerBound)...\(vocabularyRange.upperBound) (4 special tokens + at least 1; see attention.h)")
        }
        let network = try naming(function) { try makeModel(c, vocabularySize: vocabularySize, function) }
        return ModelHandle(model: network, tokenizer: vocabulary)
    }
}

@c @implementation
public func attn_model_load(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> attn_status {
    creatingHandle(out, .model, "attn_model_load") {
        let path = try nonNull(path, "path", "attn_model_load")
        return ModelHandle(try naming("attn_model_load") { try ModelCheckpoint.load(path: pathArgument(path, "attn_model_load")) })
    }
}

@c @implementation
public func attn_model_load_memory(_ data: UnsafeRawPointer?, _ size: Int,
                                   _ out: UnsafeMutablePointer<OpaquePointer?>?) -> attn_status {
    creatingHandle(out, .model, "attn_model_load_memory") {
        let function = "attn_model_load_memory"
        guard size >= 0 else { throw AttentionError.shape("\(function): size \(UInt(bitPattern: size)) is too large") }
        let data = try nonNull(data, "data", function)
        return ModelHandle(try naming(function) {
            try ModelCheckpoint.load(bytes: UnsafeRawBufferPointer(start: data, count: size))
        })
    }
}

/// The checkpoint that attn_model_save writes for `handle`.
private func checkpoint(of handle: ModelHandle) -> ModelCheckpoint {
    ModelCheckpoint(model: handle.model, tokenizer: handle.tokenizer)
}

@c @implementation
public func attn_model_save(_ model: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> attn_status {
    guarded {
        let handle = try modelHandle(model, "attn_model_save")
        let path = try nonNull(path, "path", "attn_model_save")
        try naming("attn_model_save") { try checkpoint(of: handle).write(to: pathArgument(path, "attn_model_save")) }
    }
}

@c @implementation
public func attn_model_save_memory(_ model: OpaquePointer?, _ buffer: UnsafeMutableRawPointer?, _ capacity: Int,
                                   _ size: UnsafeMutablePointer<Int>?) -> attn_status {
    guarded {
        let function = "attn_model_save_memory"
        let handle = try modelHandle(model, function)
        let size = try nonNull(size, "size", function)
        let bytes = try checkpoint(of: handle).bytes()
        size.pointee = bytes.count
        try bytes.withUnsafeBufferPointer {
            try fillCallerBuffer($0, into: buffer?.assumingMemoryBound(to: UInt8.self), capacity: capacity, unit: "bytes",
                                 "buffer", function)
        }
    }
}

@c @implementation
public func attn_model_free(_ model: OpaquePointer?) {
    freeHandle(model, .model)
}

@c @implementation
public func attn_model_get_parameter_count(_ model: OpaquePointer?, _ count: UnsafeMutablePointer<Int64>?) -> attn_status {
    parameterCount(model, count, "attn_model_get_parameter_count")
}

/// Deprecated alias of attn_model_get_parameter_count (ABI 2 only).
@c @implementation
public func attn_model_parameter_count(_ model: OpaquePointer?, _ count: UnsafeMutablePointer<Int64>?) -> attn_status {
    parameterCount(model, count, "attn_model_parameter_count")
}

private func parameterCount(_ model: OpaquePointer?, _ count: UnsafeMutablePointer<Int64>?, _ function: String) -> attn_status {
    guarded {
        let handle = try modelHandle(model, function)
        let count = try nonNull(count, "count", function)
        count.pointee = Int64(handle.model.parameterCount)
    }
}

@c @implementation
public func attn_model_get_config(_ model: OpaquePointer?, _ config: UnsafeMutablePointer<attn_model_config>?) -> attn_status {
    guarded {
        let function = "attn_model_get_config"
        let handle = try modelHandle(model, function)
        try writeGrowableStruct(try modelConfig(of: handle.model), to: config, "config", function)
    }
}

@c @implementation
public func attn_model_get_tokenizer(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> attn_status {
    creatingHandle(out, .tokenizer, "attn_model_get_tokenizer") {
        let function = "attn_model_get_tokenizer"
        return TokenizerHandle(try modelHandle(model, function).requireTokenizer(function))
    }
}

@c @implementation
public func attn_model_forward(_ model: OpaquePointer?, _ tokens: UnsafePointer<Int32>?, _ batch: Int64, _ time: Int64,
                               _ logits: UnsafeMutablePointer<Float>?, _ logitsCount: Int64) -> attn_status {
    guarded {
        let function = "attn_model_forward"
        let handle = try modelHandle(model, function)
        let network = try handle.languageModel(function)
        let count = try batchElementCount(batch, time, function)
        guard time >= 1, time <= network.contextLength else {
            throw AttentionError.shape("\(function): time \(time) must be in 1...\(network.contextLength) (block_size)")
        }
        let V = network.vocabularySize
        let (outputCount, overflow) = count.multipliedReportingOverflow(by: V)
        guard !overflow, Int64(outputCount) <= maximumElementCount else {
            throw AttentionError.shape("\(function): batch × time × V = \(batch) × \(time) × \(V) is too large")
        }
        if outputCount == 0 { return }
        let logits = try nonNull(logits, "logits", function)
        guard logitsCount >= outputCount else {
            throw AttentionError.shape("\(function): logits holds \(logitsCount) floats, \(outputCount) needed (batch × time × V)")
        }
        let ids = try tokenArgument(tokens, Int64(count), vocabularySize: V, "tokens", function)
        try requireActivationMemory(of: handle, tokens: count, function)
        let result = try naming(function) {
            try Autograd.withNoGrad { try network.logits(tokens: ids, batch: Int(batch), time: Int(time)) }
        }
        result.withUnsafeBufferPointer { values in
            logits.update(from: values.baseAddress!, count: outputCount)
        }
    }
}

/// Refuses a batch of `tokens` tokens whose activations (a rough upper estimate: the logits plus
/// 32 C-wide buffers per layer and token, with gradients) could not fit in memory.
func requireActivationMemory(of handle: ModelHandle, tokens: Int, _ function: String) throws {
    try MemoryBudget.requireActivations(of: handle.model, tokens: Double(tokens), for: "\(function): a batch of \(tokens) tokens")
}

/// The engine's `MemoryBudget` check for `floats` values, the message naming `function`.
func requireMemory(floats: Double, _ what: String, _ function: String) throws {
    try MemoryBudget.require(floats: floats, for: "\(function): \(what)")
}
