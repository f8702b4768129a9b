#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The learning rate as a function of the optimizer step (0-based).
public protocol LearningRateSchedule {
    func learningRate(at step: Int) -> Float
}

/// The same rate at every step.
public struct ConstantLearningRate: LearningRateSchedule {
    public let rate: Float
    public init(_ rate: Float) { self.rate = rate }
    public func learningRate(at step: Int) -> Float { rate }
}

/// Linear warm-up then cosine decay (nanoGPT's schedule):
///
///     step < warmup:            peak · (step + 1) / warmup
///     warmup ≤ step ≤ total:    minimum + ½ (1 + cos(π · (step − warmup) / (total − warmup))) · (peak − minimum)
///     step > total:             minimum
public struct WarmupCosineLearningRate: LearningRateSchedule {
    public let peak: Float
    public let minimum: Float
    public let warmupSteps: Int
    public let totalSteps: Int

    /// Throws unless 0 ≤ warmupSteps ≤ totalSteps and 0 ≤ minimum ≤ peak.
    public init(peak: Float, minimum: Float = 0, warmupSteps: Int, totalSteps: Int) throws {
        guard warmupSteps >= 0, totalSteps >= warmupSteps, minimum >= 0, peak >= minimum else {
            throw AttentionError.invalid(
                "WarmupCosineLearningRate: need 0 <= warmup (\(warmupSteps)) <= total (\(totalSteps)) and 0 <= minimum (\(minimum)) <= peak (\(peak))")
        }
        self.peak = peak
        self.minimum = minimum
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        if step > totalSteps || totalSteps == warmupSteps { return minimum }
        let progress = Double(step - warmupSteps) / Double(totalSteps - warmupSteps)
        return minimum + Float(0.5 * (1 + cos(Double.pi * progress))) * (peak - minimum)
    }
}
