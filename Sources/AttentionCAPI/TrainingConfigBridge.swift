import AttentionEngine
import CAttention

// attn_train_config ↔ the engine's TrainingConfig, and the progress report handed to callbacks.

/// The defaults of attn_train_config_default (struct_size unset).
func defaultTrainConfig() -> attn_train_config {
    var c = attn_train_config()
    (c.steps, c.batch_size, c.learning_rate, c.min_learning_rate, c.warmup_steps) = (500, 16, 1e-3, 1e-4, 20)
    (c.weight_decay, c.beta1, c.beta2, c.grad_clip) = (0.1, 0.9, 0.99, 1)
    (c.eval_interval, c.eval_batches, c.validation_fraction, c.seed, c.resume) = (50, 4, 0.1, 0, 0)
    (c.gradient_bucket_bytes, c.no_gradient_overlap) = (0, 0)
    return c
}

/// The engine's config for `c`, every field range-checked (so no conversion can trap) with a
/// message naming it.
func trainingConfig(_ c: attn_train_config, _ function: String) throws -> TrainingConfig {
    func require(_ condition: Bool, _ field: String, _ value: Any, _ range: String) throws {
        guard condition else { throw AttentionError.invalid("\(function): \(field) = \(value) must be \(range)") }
    }
    let limit: Int64 = 1 << 40
    try require((1...limit).contains(c.steps), "steps", c.steps, "in 1...2^40")
    try require((1...(1 << 24)).contains(c.batch_size), "batch_size", c.batch_size, "in 1...2^24")
    try require(c.learning_rate.isFinite && c.learning_rate > 0, "learning_rate", c.learning_rate, "finite and > 0")
    try require(c.min_learning_rate >= 0 && c.min_learning_rate <= c.learning_rate, "min_learning_rate",
                c.min_learning_rate, "in [0, learning_rate]")
    try require((0...limit).contains(c.warmup_steps), "warmup_steps", c.warmup_steps, "in 0...2^40")
    try require(c.weight_decay.isFinite && c.weight_decay >= 0, "weight_decay", c.weight_decay, "finite and >= 0")
    try require(c.beta1 >= 0 && c.beta1 < 1, "beta1", c.beta1, "in [0, 1)")
    try require(c.beta2 >= 0 && c.beta2 < 1, "beta2", c.beta2, "in [0, 1)")
    try require(c.grad_clip.isFinite && c.grad_clip >= 0, "grad_clip", c.grad_clip, "finite and >= 0 (0: no clipping)")
    try require((0...limit).contains(c.eval_interval), "eval_interval", c.eval_interval, "in 0...2^40")
    try require((1...(1 << 20)).contains(c.eval_batches), "eval_batches", c.eval_batches, "in 1...2^20")
    try require(c.validation_fraction >= 0 && c.validation_fraction <= 0.5, "validation_fraction",
                c.validation_fraction, "in [0, 0.5]")
    try require((0...limit).contains(c.gradient_bucket_bytes), "gradient_bucket_bytes", c.gradient_bucket_bytes,
                "in 0...2^40 (0: the default, 1 MiB)")
    try require(c.no_gradient_overlap == 0 || c.gradient_bucket_bytes == 0, "gradient_bucket_bytes",
                c.gradient_bucket_bytes, "0 with no_gradient_overlap (the buckets are those of the overlapped sum)")
    let config = TrainingConfig(steps: Int(c.steps), batchSize: Int(c.batch_size), learningRate: c.learning_rate,
                                minLearningRate: c.min_learning_rate, warmupSteps: Int(c.warmup_steps),
                                weightDecay: c.weight_decay, beta1: c.beta1, beta2: c.beta2,
                                gradientClip: c.grad_clip > 0 ? c.grad_clip : nil,
                                evaluationInterval: Int(c.eval_interval), evaluationBatches: Int(c.eval_batches),
                                seed: c.seed, overlapsGradientSum: c.no_gradient_overlap == 0,
                                gradientBucketBytes: c.gradient_bucket_bytes > 0 ? Int(c.gradient_bucket_bytes)
                                                                                : TrainingConfig.defaultGradientBucketBytes)
    try naming(function) { try config.validate() }
    return config
}

/// The C view of one step's report.
func progressReport(_ progress: TrainingProgress) -> attn_progress {
    attn_progress(struct_size: MemoryLayout<attn_progress>.size, step: Int64(progress.step), loss: progress.loss,
                  validation_loss: progress.validationLoss ?? .nan, learning_rate: progress.learningRate,
                  tokens_per_second: progress.tokensPerSecond)
}
