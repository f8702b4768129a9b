import AttentionEngine

/// The kernel sets (`KernelISA`) the kernel tests run: every one this CPU executes, whatever
/// ATTN_ISA says. The first use prints the sets this host cannot test, so a log from an
/// AVX2-only machine says what was skipped.
let testedISAs: [KernelISA] = {
    let available = KernelISA.available
    for isa in KernelISA.allCases where !available.contains(isa) {
        print("note: the \(isa) kernels are not tested: this CPU does not execute them "
              + "(\(CPUFeatures.summary))")
    }
    return available
}()
