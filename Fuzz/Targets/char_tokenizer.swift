// libFuzzer target: the character tokenizer. The input is split at its first NUL byte: before it
// the corpus the vocabulary is built from, after it bytes to encode (validated as UTF-8), and the
// same bytes read as little-endian Int32 ids to decode. Encoding then decoding text made only of
// vocabulary characters must give the text back.
import AttentionEngine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCharTokenizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 0) ?? size
    let corpusBytes = UnsafeBufferPointer(rebasing: bytes[0..<split])
    let rest = UnsafeBufferPointer(rebasing: bytes[min(split + 1, size)...])
    guard let corpus = try? UTF8Validation.decode(corpusBytes),
          let tokenizer = try? CharTokenizer(corpus: corpus) else { return 0 }
    if let ids = try? tokenizer.encode(utf8: rest), !ids.contains(CharTokenizer.unk) {
        guard let text = try? tokenizer.decode(ids), text.utf8.elementsEqual(rest) else {
            fatalError("encode then decode does not give the text back")
        }
    }
    let ids = stride(from: 0, to: rest.count - 3, by: 4).map { i in
        Int32(bitPattern: UInt32(rest[i]) | UInt32(rest[i + 1]) << 8 | UInt32(rest[i + 2]) << 16 | UInt32(rest[i + 3]) << 24)
    }
    _ = try? tokenizer.decode(ids, showSpecial: true)
    _ = tokenizer.encode(String(decoding: rest, as: UTF8.self))
    return 0
}
