import AttentionEngine
import Foundation

// Suite "checkpoint": saving and loading a whole GPT checkpoint (nanoGPT's shakespeare-char size,
// n_layer 6, n_head 6, n_embd 384, block_size 256, vocab 69: 10.8M parameters; quick: 2 layers
// of 128). Loading builds the model (its random init included, as PyTorch's reference does)
// and checks every tensor against the config. Rates are GB/s of FP32 parameters. Parameters:
// source/target 0 = a memory buffer, 1 = a file (the file write is atomic, with fsync).

func checkpointBenchmarks(quick: Bool) -> [BenchmarkCase] {
    let (layers, heads, channels, contextLength, vocabulary) = quick ? (2, 4, 128, 64, 69) : (6, 6, 384, 256, 69)
    let config = GPTConfig(nLayer: layers, nHead: heads, nEmbd: channels, contextLength: contextLength, vocabularySize: vocabulary)
    let gpt = try! GPT(config: config, seed: 1)
    let checkpoint = ModelCheckpoint(model: gpt)
    let parameters = ["n_layer": layers, "n_head": heads, "n_embd": channels, "block_size": contextLength,
                      "vocab_size": vocabulary]
    let size = "L\(layers) C\(channels)"
    let bytes = Double(gpt.parameterCount * MemoryLayout<Float>.stride)
    let path = FileManager.default.temporaryDirectory.path + "/attn-bench-checkpoint-\(layers)-\(channels).safetensors"
    try! checkpoint.write(to: path)
    let buffer = try! checkpoint.bytes()
    return [
        BenchmarkCase(name: "checkpoint save bytes GPT \(size)", kind: "checkpoint_save",
                      parameters: parameters.merging(["target": 0]) { $1 }, bytes: bytes) { _ = try! checkpoint.bytes() },
        BenchmarkCase(name: "checkpoint save file (fsync) GPT \(size)", kind: "checkpoint_save",
                      parameters: parameters.merging(["target": 1]) { $1 }, bytes: bytes) { try! checkpoint.write(to: path) },
        BenchmarkCase(name: "checkpoint load bytes GPT \(size)", kind: "checkpoint_load",
                      parameters: parameters.merging(["source": 0]) { $1 }, bytes: bytes) { _ = try! ModelCheckpoint.load(bytes: buffer) },
        BenchmarkCase(name: "checkpoint load file GPT \(size)", kind: "checkpoint_load",
                      parameters: parameters.merging(["source": 1]) { $1 }, bytes: bytes) { _ = try! ModelCheckpoint.load(path: path) },
    ]
}
