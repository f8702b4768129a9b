#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Reverse-mode autograd on a dynamic tape (micrograd style).
///
/// Every op that sees an input requiring a gradient returns a tensor with an `AutogradNode`:
/// the node keeps the op's inputs and a backward closure (written next to the op's forward,
/// calling the paired `xxxBackward` kernel). `Tensor.backward()` sorts the nodes reachable from a
/// scalar once, topologically, and runs the closures in reverse order. Gradients arriving at a
/// node from several ops add up (`+=`). After a node's backward ran, the node drops its closure,
/// inputs and gradient buffer (like PyTorch without `retain_graph`), so saved activations are
/// freed and parameters are uniquely referenced again for in-place optimizer updates; leaf
/// gradients stay until `zeroGrad`.
///
/// Inside `Autograd.withNoGrad { }` no node is recorded and no gradient buffer is allocated.
final class AutogradNode {
    /// Elements of the tensor this node belongs to (and of its gradient).
    let count: Int
    /// True for tensors created by `requiringGrad()` (parameters): they keep their gradient.
    let isLeaf: Bool
    /// d(output)/d(this tensor), allocated on the first contribution; nil means "no gradient yet".
    private(set) var grad: UnsafeMutablePointer<Float>?
    /// A leaf's gradient buffer set aside by `clearGradKeepingBuffer()`: the next first
    /// contribution is written into it instead of a newly allocated buffer (still counted in
    /// `MemoryStatistics`).
    private var spareGrad: UnsafeMutablePointer<Float>?
    /// The nodes of the op's inputs that require a gradient.
    private(set) var inputs: [AutogradNode]
    /// Propagates this node's gradient (passed as `dout`) into the inputs' gradients.
    private var backwardFunction: ((UnsafePointer<Float>) -> Void)?
    /// The op's category in the `StepProfile` that was running when it was recorded (else nil).
    fileprivate var profileCategory: String?

    init(leafCount count: Int) {
        self.count = count
        isLeaf = true
        inputs = []
    }

    init(count: Int, inputs: [AutogradNode], backward: @escaping (UnsafePointer<Float>) -> Void) {
        self.count = count
        isLeaf = false
        self.inputs = inputs
        backwardFunction = backward
    }

    /// Releases the graph below this node iteratively: a long unrolled graph that is dropped
    /// without `backward()` would otherwise free node after node in nested deinits and overflow
    /// the stack. Dropping the closure first leaves `inputs` as the only references this node
    /// holds; every input that nothing else references is emptied the same way before it goes.
    deinit {
        freeGrad()
        guard !inputs.isEmpty else { return }
        backwardFunction = nil
        var pending = inputs
        inputs = []
        while var node = pending.popLast() {
            if isKnownUniquelyReferenced(&node) {
                node.backwardFunction = nil
                pending.append(contentsOf: node.inputs)
                node.inputs = []
            }
        }
    }

    /// Adds a gradient written by an overwriting kernel (`dinp = …`): the first contribution is
    /// written straight into the gradient buffer, later ones go through a scratch buffer and add.
    func receive(_ write: (UnsafeMutablePointer<Float>) -> Void) {
        if let grad {
            AutogradNode.withScratch(count: count) { scratch in
                write(scratch)
                guard let profile = StepProfile.current else {
                    vectorAdd(out: grad, a: grad, b: scratch, count: count)
                    return
                }
                profile.carve("tape: gradient accumulation") { vectorAdd(out: grad, a: grad, b: scratch, count: count) }
            }
        } else {
            let buffer = allocateGrad()
            write(buffer)
            grad = buffer
        }
    }

    /// Adds `dout`, the output gradient of the op whose backward is running, unchanged (the
    /// backward of an add or a reshape). A non-leaf node that has no gradient yet and the same
    /// element count takes over that op's gradient buffer instead of copying it: the op frees the
    /// buffer once its backward returns anyway. Any later contribution in the same backward adds
    /// to it as usual, so this is `receive { $0.update(from: dout, count: count) }` without the
    /// copy.
    func receive(passing dout: UnsafePointer<Float>) {
        if grad == nil, !isLeaf, let running = AutogradNode.running, running !== self, !running.isLeaf,
           running.count == count, let buffer = running.grad, UnsafePointer(buffer) == dout {
            running.grad = nil
            grad = buffer
            return
        }
        receive { $0.update(from: dout, count: count) }
    }

    /// The node whose backward function runs on this thread (nil outside `runBackward`).
    private static var running: AutogradNode? {
        get { runningSlot.value }
        set { runningSlot.value = newValue }
    }

    private static let runningSlot = ThreadLocalReference<AutogradNode>()

    /// Adds a gradient written by an accumulating kernel (`dweight += …`) into a zero-initialized
    /// buffer on the first contribution.
    func accumulate(_ add: (UnsafeMutablePointer<Float>) -> Void) {
        if grad == nil {
            grad = StepProfile.current?.carve("tape: gradient buffers", zeroedGrad) ?? zeroedGrad()
        }
        add(grad!)
    }

    private func zeroedGrad() -> UnsafeMutablePointer<Float> {
        let buffer = allocateGrad()
        buffer.initialize(repeating: 0, count: count)
        return buffer
    }

    /// `receive` on `node`, or a scratch buffer that is discarded when `node` is nil: for kernels
    /// that write several gradients at once when only some inputs require one.
    static func receiving(_ node: AutogradNode?, count: Int, _ write: (UnsafeMutablePointer<Float>) -> Void) {
        if let node { node.receive(write); return }
        withScratch(count: count, write)
    }

    /// `accumulate` on `node`, or a zeroed scratch buffer that is discarded when `node` is nil.
    static func accumulating(_ node: AutogradNode?, count: Int, _ add: (UnsafeMutablePointer<Float>) -> Void) {
        if let node { node.accumulate(add); return }
        withScratch(count: count) { scratch in
            scratch.initialize(repeating: 0, count: count)
            add(scratch)
        }
    }

    /// A temporary buffer of `count` floats for `body`, counted in `MemoryStatistics`.
    private static func withScratch(count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        let bytes = count * MemoryLayout<Float>.stride
        MemoryStatistics.allocated(bytes)
        let scratch = BufferPool.allocate(count)
        body(scratch)
        BufferPool.release(scratch, count: count)
        MemoryStatistics.freed(bytes)
    }

    /// Forgets the gradient (the next backward starts from zero) and frees its buffer.
    func freeGrad() {
        release(grad)
        release(spareGrad)
        grad = nil
        spareGrad = nil
    }

    /// Forgets the gradient like `freeGrad`, but keeps its buffer for the next backward pass: a
    /// training loop then writes every step's gradients into the same memory instead of freeing
    /// and faulting in (for GPT-2 124M) 500 MB per step.
    func clearGradKeepingBuffer() {
        guard let grad else { return }
        if spareGrad == nil { spareGrad = grad } else { release(grad) }
        self.grad = nil
    }

    private func release(_ buffer: UnsafeMutablePointer<Float>?) {
        guard let buffer else { return }
        BufferPool.release(buffer, count: count)
        MemoryStatistics.freed(count * MemoryLayout<Float>.stride)
    }

    private func allocateGrad() -> UnsafeMutablePointer<Float> {
        if let spareGrad {
            self.spareGrad = nil
            return spareGrad
        }
        MemoryStatistics.allocated(count * MemoryLayout<Float>.stride)
        return BufferPool.allocate(count)
    }

    /// Runs the op's backward if a gradient arrived, then frees what the graph held. A running
    /// `profile` is charged with the time since its last mark as this op's backward.
    fileprivate func runBackward(profile: StepProfile?) {
        if let grad, let backwardFunction {
            // `runBackward` keeps this node alive while it is `running`.
            let outer = AutogradNode.running
            AutogradNode.running = self
            backwardFunction(UnsafePointer(grad))
            AutogradNode.running = outer
        }
        backwardFunction = nil
        inputs = []
        if !isLeaf { freeGrad() }
        if let profile, let profileCategory { profile.mark(profileCategory + " backward") }
    }
}

/// Global switches of the autograd tape.
public enum Autograd {
    /// Per-thread no-grad depth, stored in a pthread key so inference on one thread never
    /// changes what training on another records.
    private static let depthKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private static var noGradDepth: Int {
        get { Int(bitPattern: pthread_getspecific(depthKey)) }
        set { pthread_setspecific(depthKey, UnsafeRawPointer(bitPattern: newValue)) }
    }

    /// False inside `withNoGrad` on the calling thread: ops record nothing.
    public static var isRecording: Bool { noGradDepth == 0 }

    /// Runs `body` without recording ops or allocating gradients (inference, optimizer updates,
    /// evaluation). Nests.
    public static func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
        noGradDepth += 1
        defer { noGradDepth -= 1 }
        return try body()
    }
}

extension Tensor {
    /// True when this tensor takes part in autograd (a leaf that requires a gradient, or the
    /// recorded result of an op on one).
    public var requiresGrad: Bool { node != nil }

    /// This value as a leaf that requires a gradient (like `requires_grad_()` in PyTorch).
    public func requiringGrad() -> Tensor {
        Tensor(shape: shape, storage: storage, node: AutogradNode(leafCount: count))
    }

    /// This value without autograd history (shares the storage until one side is mutated).
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// The accumulated gradient of a leaf after `backward()`; nil before, after `zeroGrad()`, or
    /// when no recorded op depended on it.
    public var grad: Tensor? {
        guard let node, node.isLeaf, let grad = node.grad else { return nil }
        return Tensor.build(shape, count: count) { $0.update(from: grad, count: count) }
    }

    /// Clears the gradient of a leaf.
    public func zeroGrad() { node?.freeGrad() }

    /// Backpropagates from this scalar: adds d(self)/d(leaf) into the `grad` of every leaf it
    /// depends on. Throws when the tensor has more than one element.
    public func backward() throws {
        try backward(whenLeafGradientIsFinal: nil)
    }

    /// `backward()`, calling `leafGradientIsFinal` with a leaf's node (on the calling thread) as
    /// soon as the last op that contributes to its gradient has run: data-parallel training
    /// starts summing a parameter's gradient across ranks while the rest of backward runs.
    /// The calls come in an order fixed by the graph (not by timing). A leaf that no op
    /// reached is not reported.
    func backward(whenLeafGradientIsFinal leafGradientIsFinal: ((AutogradNode) -> Void)?) throws {
        guard count == 1 else {
            throw AttentionError.shape("backward(): needs a scalar, got shape \(shape)")
        }
        guard let root = node else { return }
        // Iterative depth-first post-order, so long unrolled RNN graphs cannot overflow the stack.
        var order: [AutogradNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(AutogradNode, Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while let (current, next) = stack.popLast() {
            if next < current.inputs.count {
                stack.append((current, next + 1))
                let input = current.inputs[next]
                if visited.insert(ObjectIdentifier(input)).inserted { stack.append((input, 0)) }
            } else {
                order.append(current)
            }
        }
        let profile = StepProfile.current
        profile?.mark("tape: sort")
        root.receive { $0[0] = 1 }
        guard let leafGradientIsFinal else {
            for current in order.reversed() { current.runBackward(profile: profile) }
            return
        }
        // The leaves whose last consumer (in running order) is the node at each position.
        let running = Array(order.reversed())
        var lastConsumer: [ObjectIdentifier: Int] = [:]
        for (position, node) in running.enumerated() {
            for input in node.inputs where input.isLeaf { lastConsumer[ObjectIdentifier(input)] = position }
        }
        var finishedAfter = [[AutogradNode]](repeating: [], count: running.count)
        for node in running where node.isLeaf {
            if let position = lastConsumer[ObjectIdentifier(node)] { finishedAfter[position].append(node) }
        }
        profile?.mark("tape: sort")
        for (position, current) in running.enumerated() {
            current.runBackward(profile: profile)
            for leaf in finishedAfter[position] { leafGradientIsFinal(leaf) }
        }
    }

    /// `result` with a node recording `backward` when the tape is on and any of `inputs`
    /// requires a gradient; `result` unchanged otherwise. `op` names the op in a `StepProfile`
    /// (which is charged with its forward here, when one runs).
    static func record(_ result: Tensor, op: StaticString, inputs: [Tensor],
                       backward: @escaping (_ dout: UnsafePointer<Float>) -> Void) -> Tensor {
        let profile = StepProfile.current
        let category = profile?.category(op: op, inputs: inputs)
        if let profile, let category { profile.mark(category + " forward") }
        guard Autograd.isRecording else { return result }
        let nodes = inputs.compactMap(\.node)
        guard !nodes.isEmpty else { return result }
        var recorded = result
        let node = AutogradNode(count: result.count, inputs: nodes, backward: backward)
        node.profileCategory = category
        recorded.node = node
        return recorded
    }
}
