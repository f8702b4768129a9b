/// An ordered list of modules whose parameters are named by index (`0.attn.c_attn.weight`, …),
/// like `torch.nn.ModuleList` (nanoGPT's `transformer.h`).
///
/// ```swift
/// let blocks = ModuleList(try (0..<layers).map { _ in
///     try TransformerBlock(channels: 256, heads: 8, causal: true, rng: &rng)
/// })
/// var x = embeddings
/// for block in blocks.modules { x = try block(x) }
/// ```
public final class ModuleList<Element: Module>: Module {
    public let modules: [Element]

    public init(_ modules: [Element]) { self.modules = modules }

    public var children: [(name: String, module: any Module)] {
        modules.enumerated().map { ("\($0.offset)", $0.element) }
    }

    public var count: Int { modules.count }

    public subscript(index: Int) -> Element { modules[index] }
}
