import AttentionEngine
import CAttention

// attn_generate_config ↔ the engine's GenerationOptions.

/// The defaults of attn_generate_config_default (struct_size unset).
func defaultGenerateConfig() -> attn_generate_config {
    var c = attn_generate_config()
    (c.max_new_tokens, c.temperature, c.top_k, c.top_p, c.seed) = (200, 0.8, 0, 0.95, 0)
    (c.stop_at_eos, c.no_cache, c.on_token, c.user_data) = (1, 0, nil, nil)
    return c
}

/// The engine's options for `c`, every field range-checked with a message naming it.
func generationOptions(_ c: attn_generate_config, _ function: String) throws -> GenerationOptions {
    guard (0...(1 << 24)).contains(c.max_new_tokens) else {
        throw AttentionError.invalid("\(function): max_new_tokens = \(c.max_new_tokens) must be in 0...2^24")
    }
    guard c.top_k >= 0, c.top_k <= Int64(Int32.max) else {
        throw AttentionError.invalid("\(function): top_k = \(c.top_k) must be in 0...\(Int32.max) (0: off)")
    }
    guard c.top_p == 0 || (c.top_p > 0 && c.top_p <= 1) else {
        throw AttentionError.invalid("\(function): top_p = \(c.top_p) must be in (0, 1] (0: off)")
    }
    let sampling = SamplingOptions(temperature: c.temperature, topK: c.top_k == 0 ? nil : Int(c.top_k),
                                   topP: c.top_p == 0 ? nil : c.top_p, seed: c.seed)
    try naming(function) { try sampling.validate() }
    return GenerationOptions(maxNewTokens: Int(c.max_new_tokens), sampling: sampling, stopAtEOS: c.stop_at_eos != 0,
                             useCache: c.no_cache == 0)
}
