import AttentionEngine

/// Decoding is bound by memory bandwidth: each token reads every weight once. This suite times
/// greedy decoding on the GPT-2-124M shape (12 layers, 12 heads, 768 channels, vocab 50257, random
/// weights) with FP32, BF16 and Q8 weights, 16 tokens per call from a one-token prompt (16 forward
/// passes of one token with the KV cache); `bytes` is the weights those passes read. Next to it,
/// a STREAM-like triad a = b + s·c over 3 × 64 MiB measures the bandwidth roofline. A token's
/// time splits into the head (`linear-50257x768-*`), the block products (`block-products-*`)
/// and the rest; `linear-256x768-*` runs each kernel from L2, its arithmetic ceiling. The quick
/// variant uses the default GPT shape (4 layers, 4 heads, 128 channels, vocab 4096).
func decodeBenchmarks(quick: Bool) -> [BenchmarkCase] {
    let config = quick
        ? GPTConfig(nLayer: 4, nHead: 4, nEmbd: 128, contextLength: 256, vocabularySize: 4096)
        : GPTConfig(nLayer: 12, nHead: 12, nEmbd: 768, contextLength: 1024, vocabularySize: 50257)
    let shape = quick ? "gpt-default" : "gpt2-124M"
    let newTokens = 16
    var cases = [triadCase(count: quick ? 1 << 20 : 1 << 24)]
    for format in [nil] + WeightFormat.allCases.map(Optional.some) {
        let model = LazyDecodingModel(config: config, format: format)
        cases.append(BenchmarkCase(
            name: "decode-\(shape)-\(format?.rawValue ?? "f32")", kind: "decode",
            parameters: ["n_layer": config.nLayer, "n_head": config.nHead, "n_embd": config.nEmbd,
                         "block_size": config.contextLength, "vocab_size": config.vocabularySize,
                         "new_tokens": newTokens],
            bytes: Double(newTokens * model.bytesPerToken)) {
            _ = try! generate(model: model.gpt, prompt: [1],
                              options: GenerationOptions(maxNewTokens: newTokens, stopAtEOS: false))
        })
    }
    cases += linearCases(outFeatures: quick ? 512 : 50257, inFeatures: quick ? 128 : 768)
    cases += layerProductCases(config)
    // The same kernels on a matrix that stays in L2 (256 rows): their arithmetic ceiling, to set
    // against the memory roofline (the Q8 kernel's conversions make it the lowest).
    cases += linearCases(outFeatures: 256, inFeatures: quick ? 128 : 768)
    return cases
}

/// One token through a Linear layer (OUT, IN) with FP32, BF16 and Q8 weights: the kernels alone.
private func linearCases(outFeatures: Int, inFeatures: Int) -> [BenchmarkCase] {
    var rng = Random(seed: 4)
    let weight = try! Tensor.normal([outFeatures, inFeatures], std: 0.02, using: &rng)
    let x = try! Tensor.normal([1, inFeatures], std: 1, using: &rng)
    let parameters = ["out": outFeatures, "in": inFeatures]
    let weights = Double(outFeatures * inFeatures)
    var cases = [BenchmarkCase(name: "linear-\(outFeatures)x\(inFeatures)-f32", kind: "linear",
                               parameters: parameters, bytes: weights * 4) {
        _ = try! Autograd.withNoGrad { try x.linear(weight: weight) }
    }]
    for format in WeightFormat.allCases {
        let packed = try! QuantizedMatrix(quantizing: weight, as: format)
        cases.append(BenchmarkCase(name: "linear-\(outFeatures)x\(inFeatures)-\(format.rawValue)", kind: "linear",
                                   parameters: parameters, bytes: Double(packed.byteCount)) {
            _ = try! Autograd.withNoGrad { try packed.linear(x, bias: nil) }
        })
    }
    return cases
}

/// The products of every block for one token (c_attn, attn.c_proj, c_fc, mlp.c_proj of each
/// layer, in order), nothing else: with `decode-*` it splits a token's time into the block
/// products and the rest. Weights are random, built on first use.
private func layerProductCases(_ config: GPTConfig) -> [BenchmarkCase] {
    let c = config.nEmbd
    let shapes = [(3 * c, c), (c, c), (4 * c, c), (c, 4 * c)]
    var rng = Random(seed: 6)
    // x (1, C) and (1, 4C)
    let narrowInput = try! Tensor.normal([1, c], std: 1, using: &rng)
    let wideInput = try! Tensor.normal([1, 4 * c], std: 1, using: &rng)
    return [nil, WeightFormat.bf16, .q8].map { format in
        var matrices: [(weight: Tensor, packed: QuantizedMatrix?)] = []
        let bytes = Double(config.nLayer * 12 * c * c) * (format == nil ? 4 : format == .bf16 ? 2 : 1.125)
        return BenchmarkCase(name: "block-products-\(format?.rawValue ?? "f32")", kind: "linear",
                             parameters: ["n_layer": config.nLayer, "n_embd": c], bytes: bytes) {
            if matrices.isEmpty {
                var rng = Random(seed: 5)
                for _ in 0..<config.nLayer {
                    for (out, input) in shapes {
                        let weight = try! Tensor.normal([out, input], std: 0.02, using: &rng)
                        matrices.append((weight, try! format.map { try QuantizedMatrix(quantizing: weight, as: $0) }))
                    }
                }
            }
            try! Autograd.withNoGrad {
                for (weight, packed) in matrices {
                    let x = weight.shape[1] == c ? narrowInput : wideInput
                    _ = try packed.map { try $0.linear(x, bias: nil) } ?? x.linear(weight: weight)
                }
            }
        }
    }
}

/// A GPT with random weights narrowed to `format`, built on first use (so that listing the
/// cases allocates nothing) and freed with the case.
private final class LazyDecodingModel {
    let config: GPTConfig
    let format: WeightFormat?
    private var built: GPT?

    init(config: GPTConfig, format: WeightFormat?) {
        self.config = config
        self.format = format
    }

    var gpt: GPT {
        if let built { return built }
        let gpt = try! GPT(config: config, seed: 1)
        if let format { try! gpt.quantize(to: format) }
        built = gpt
        return gpt
    }

    /// Weight bytes one token reads, from the shapes alone (no model is built): the blocks'
    /// matrices in `format`, biases, LayerNorms and one row of each embedding in FP32.
    var bytesPerToken: Int {
        let c = config.nEmbd
        // Per block c_attn 3C·C, attn.c_proj C·C, c_fc 4C·C, mlp.c_proj 4C·C; the tied head V·C.
        let matrices = config.nLayer * 12 * c * c + config.vocabularySize * c
        let matrixBytes: Int
        switch format {
        case nil: matrixBytes = matrices * 4
        case .bf16: matrixBytes = matrices * 2
        case .q8: matrixBytes = matrices + matrices / 32 * 4
        }
        let perBlockFloats = (3 * c + c + 4 * c + c) + 4 * c  // biases, ln_1 and ln_2
        return matrixBytes + config.nLayer * perBlockFloats * 4 + (2 + 2) * c * 4  // ln_f, wte and wpe rows
    }
}

/// a (n) = b (n) + s · c (n) in parallel chunks: 2 reads and 1 write of n floats per call.
private func triadCase(count n: Int) -> BenchmarkCase {
    let a = UnsafeMutablePointer<Float>.allocate(capacity: n)
    let b = UnsafeMutablePointer<Float>.allocate(capacity: n)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: n)
    a.initialize(repeating: 0, count: n)
    b.initialize(repeating: 1, count: n)
    c.initialize(repeating: 2, count: n)
    return BenchmarkCase(name: "triad-\(n)", kind: "triad", parameters: ["n": n], bytes: Double(12 * n)) {
        Parallel.forEachChunk(n / 16, grain: 1 << 14) { range in
            typealias V = SIMD16<Float>
            let s = V(repeating: 3)
            for i in range {
                let bv = UnsafeRawPointer(b + 16 * i).loadUnaligned(as: V.self)
                let cv = UnsafeRawPointer(c + 16 * i).loadUnaligned(as: V.self)
                UnsafeMutableRawPointer(a + 16 * i).storeBytes(of: bv.addingProduct(s, cv), as: V.self)
            }
        }
    }
}
