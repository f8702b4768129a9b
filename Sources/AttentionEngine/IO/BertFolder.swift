#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loading a Hugging Face / sentence-transformers BERT folder:
///
/// | file | use |
/// |---|---|
/// | `config.json` | `BertConfig` (required) |
/// | `model.safetensors` | the weights, F32/F16/BF16, names with or without `bert.` (required) |
/// | `vocab.txt` | one WordPiece token per line, as many as `vocab_size` (required) |
/// | `tokenizer_config.json` | `do_lower_case`, `strip_accents`, `tokenize_chinese_chars`, special tokens, `model_max_length` |
/// | `sentence_bert_config.json` | `max_seq_length` (the length sentence-transformers truncates at) |
/// | `1_Pooling/config.json` | mean (default) or CLS pooling |
///
/// Every problem is an `AttentionError` naming the file and the key or tensor: `.io` for a
/// missing folder or file, `.format` for content (another architecture, shapes that disagree
/// with the config, a vocabulary of the wrong size, invalid UTF-8).
extension SentenceEncoder {
    /// Loads the model in `folder`.
    public convenience init(folder: String) throws {
        var info = stat()
        guard stat(folder, &info) == 0 else {
            throw AttentionError(.io, "model folder '\(folder)' does not exist: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw AttentionError(.io, "'\(folder)' is not a folder (a BERT model is a folder with config.json, model.safetensors and vocab.txt)")
        }
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        let config = try BertConfig(json: try BertFolder.read(base + "config.json"))

        let tokenizerFields = try BertFolder.jsonIfPresent(base + "tokenizer_config.json", name: "tokenizer_config.json")
        let vocabulary = try BertFolder.vocabulary(base + "vocab.txt")
        guard vocabulary.count == config.vocabSize else {
            throw AttentionError(.format, "vocab.txt has \(vocabulary.count) tokens but config.json's vocab_size (the embedding table) is \(config.vocabSize)")
        }
        let tokenizer: WordPieceTokenizer
        var maxLength = config.maxPositions
        if let fields = tokenizerFields {
            let stripAccents: Bool? = fields.has("strip_accents") ? try fields.bool("strip_accents", default: false) : nil
            tokenizer = try WordPieceTokenizer(
                vocabulary: vocabulary,
                lowercase: try fields.bool("do_lower_case", default: true),
                stripAccents: stripAccents,
                splitCJK: try fields.bool("tokenize_chinese_chars", default: true),
                unknownToken: try BertFolder.tokenName(fields, "unk_token", "[UNK]"),
                classifierToken: try BertFolder.tokenName(fields, "cls_token", "[CLS]"),
                separatorToken: try BertFolder.tokenName(fields, "sep_token", "[SEP]"),
                paddingToken: try BertFolder.tokenName(fields, "pad_token", "[PAD]"),
                maskToken: try BertFolder.tokenName(fields, "mask_token", "[MASK]"))
            if fields.has("model_max_length") {
                // Tokenizers without a limit store a huge float here: only a usable integer counts.
                if case .number(let literal)? = fields.value["model_max_length"], let limit = Int(literal) {
                    maxLength = min(maxLength, max(limit, 2))
                }
            }
        } else {
            tokenizer = try WordPieceTokenizer(vocabulary: vocabulary)
        }
        if let fields = try BertFolder.jsonIfPresent(base + "sentence_bert_config.json", name: "sentence_bert_config.json"),
           fields.has("max_seq_length") {
            let length = try fields.integer("max_seq_length")
            guard length >= 2 && length <= config.maxPositions else {
                throw AttentionError(.format, "sentence_bert_config.json: max_seq_length \(length) must be from 2 to max_position_embeddings \(config.maxPositions)")
            }
            maxLength = length
        }
        guard maxLength >= 2 else {
            throw AttentionError(.format, "config.json: max_position_embeddings \(config.maxPositions) leaves no room for [CLS] and [SEP]")
        }
        var pooling = SentenceEncoder.Pooling.mean
        if let fields = try BertFolder.jsonIfPresent(base + "1_Pooling/config.json", name: "1_Pooling/config.json") {
            let modes = ["pooling_mode_mean_tokens", "pooling_mode_cls_token", "pooling_mode_max_tokens",
                         "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens",
                         "pooling_mode_lasttoken"]
            let enabled = try modes.filter { try fields.bool($0, default: false) }
            switch enabled {
            case [], ["pooling_mode_mean_tokens"]: pooling = .mean
            case ["pooling_mode_cls_token"]: pooling = .classifierToken
            default:
                throw AttentionError(.format, "1_Pooling/config.json: pooling \(enabled.joined(separator: " + ")) is not supported (mean or cls tokens)")
            }
        }

        let weightsPath = base + "model.safetensors"
        if access(weightsPath, F_OK) != 0 && access(base + "pytorch_model.bin", F_OK) == 0 {
            throw AttentionError(.io, "'\(folder)' has pytorch_model.bin but no model.safetensors; only safetensors weights are read (convert with safetensors.torch.save_file)")
        }
        let file = try SafeTensorsFile.read(path: weightsPath, skipping: BertWeights.skippedTensors)
        let weights: BertWeights
        do {
            weights = try BertWeights(config: config, file: file)
        } catch let error as AttentionError {
            throw AttentionError(error.kind, "\(weightsPath): \(error.message)")
        }
        self.init(tokenizer: tokenizer, weights: weights, maxLength: maxLength, pooling: pooling)
    }
}

extension SentenceEncoder {
    /// The files of a model folder that `writeFolder` copies unchanged when they exist: the
    /// configuration and tokenizer files of Hugging Face and sentence-transformers.
    public static let folderFiles = [
        "config.json", "vocab.txt", "tokenizer_config.json", "tokenizer.json", "special_tokens_map.json",
        "sentence_bert_config.json", "modules.json", "config_sentence_transformers.json", "1_Pooling/config.json",
    ]

    /// Writes a model folder at `destination` (which must not exist) holding `source`'s files of
    /// `folderFiles` and a `model.safetensors` with this encoder's weights (narrowed matrices as
    /// `QuantizedMatrix+SafeTensors.swift` stores them, `weight_format` in the metadata), so
    /// that `init(folder:)` loads it. The folder is built under a temporary name beside
    /// `destination` and renamed into place: it appears complete or not at all.
    public func writeFolder(configurationFrom source: String, to destination: String) throws {
        var info = stat()
        guard lstat(destination, &info) != 0 else {
            throw AttentionError(.io, "'\(destination)' already exists; give a new folder name")
        }
        let base = source.hasSuffix("/") ? source : source + "/"
        let trimmed = destination.hasSuffix("/") ? String(destination.dropLast()) : destination
        var template = Array((trimmed + ".attn-tmp-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw AttentionError(.io, "cannot create a folder beside '\(destination)': \(String(cString: strerror(errno)))")
        }
        let temporary = String(cString: created)
        var written: [String] = []
        do {
            for name in Self.folderFiles where access(base + name, F_OK) == 0 {
                let bytes = try BertFolder.read(base + name)
                if name.contains("/") {
                    let folder = temporary + "/" + name.split(separator: "/").dropLast().joined(separator: "/")
                    guard mkdir(folder, 0o755) == 0 || errno == EEXIST else {
                        throw AttentionError(.io, "cannot create '\(folder)': \(String(cString: strerror(errno)))")
                    }
                    written.append(folder)
                }
                try AtomicFile.replace(temporary + "/" + name) { try $0.write(bytes) }
                written.append(temporary + "/" + name)
            }
            let (tensors, metadata) = encoder.weights.safeTensors()
            try SafeTensorsFile.write(tensors: tensors, metadata: metadata.merging(["format": "pt"]) { $1 },
                                      to: temporary + "/model.safetensors")
            written.append(temporary + "/model.safetensors")
            guard rename(temporary, trimmed) == 0 else {
                throw AttentionError(.io, "cannot rename the new folder to '\(destination)': \(String(cString: strerror(errno)))")
            }
        } catch {
            // Files first, then their folders (deepest last written first).
            for path in written.reversed() where unlink(path) != 0 { rmdir(path) }
            rmdir(temporary)
            throw error
        }
    }
}

/// File helpers of the folder loader.
enum BertFolder {
    /// Text files of a model folder above this size are refused (real ones are a few MB).
    static let maximumTextFileBytes = 256 << 20

    /// The bytes of the file at `path`.
    static func read(_ path: String) throws -> [UInt8] {
        let file = try FileDescriptor.openForReading(path)
        defer { _ = try? file.close() }
        let size = try file.regularFileSize()
        guard size <= maximumTextFileBytes else {
            throw AttentionError(.format, "'\(path)' has \(size) bytes, more than the \(maximumTextFileBytes) a model's text file may have")
        }
        return try [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            if size > 0 { try file.read(into: UnsafeMutableRawBufferPointer(buffer), at: 0) }
            count = size
        }
    }

    /// The parsed JSON object in `path`, or nil when the file does not exist.
    static func jsonIfPresent(_ path: String, name: String) throws -> JSONFields? {
        guard access(path, F_OK) == 0 else { return nil }
        let document: JSONValue
        do {
            document = try JSONValue.parse(try read(path))
        } catch let error as AttentionError where error.kind == .format || error.kind == .utf8 {
            throw AttentionError(.format, "\(name): \(error.message)")
        }
        guard case .object = document else {
            throw AttentionError(.format, "\(name): the document is \(document.kindDescription), not an object")
        }
        return JSONFields(document, file: name)
    }

    /// The lines of vocab.txt (UTF-8; a final newline ends the last token, "\r\n" counts as one
    /// line break).
    static func vocabulary(_ path: String) throws -> [String] {
        let bytes = try read(path)
        let text: String
        do {
            text = try UTF8Validation.decode(bytes)
        } catch let error as AttentionError {
            throw AttentionError(.format, "vocab.txt: \(error.message)")
        }
        // Split the scalars: "\r\n" is one Character, so a split of the String would miss it.
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var token = String.UnicodeScalarView(line)
            if token.last == "\r" { token.removeLast() }
            return String(token)
        }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// A special token's text: a string, or an object with "content" (tokenizer_config.json
    /// writes both forms).
    static func tokenName(_ fields: JSONFields, _ key: String, _ fallback: String) throws -> String {
        guard fields.has(key), let value = fields.value[key] else { return fallback }
        if case .object = value { return try JSONFields(value, file: fields.file + " " + key).string("content") }
        return try fields.string(key)
    }
}
