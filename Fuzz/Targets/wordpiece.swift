// libFuzzer target: the WordPiece tokenizer (BERT's vocab.txt and text normalisation). The input
// is split at its first NUL byte: before it the vocabulary, one token a line (the special tokens
// are appended so most inputs build a tokenizer), after it the text to encode.
import AttentionEngine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWordPiece(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 0) ?? size
    let vocabularyText = String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<split]), as: UTF8.self)
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[min(split + 1, size)...]), as: UTF8.self)
    let vocabulary = vocabularyText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        + ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    let lowercase = size % 2 == 0
    guard let tokenizer = try? WordPieceTokenizer(vocabulary: vocabulary, lowercase: lowercase) else { return 0 }
    let ids = tokenizer.encode(text, maxLength: 1 + size % 64)
    _ = tokenizer.tokens(ids)
    _ = tokenizer.tokens(tokenizer.tokenIds(text))
    return 0
}
