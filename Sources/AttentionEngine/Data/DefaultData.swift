/// The data compiled into libattention, so that every host can train something without files:
/// a classical Chinese corpus (Dao De Jing, the Analects' first two books, Tang poems; see the
/// header of Data/classical-chinese.txt for the sources) and everyday dialogue pairs.
public enum DefaultData {
    /// The classical Chinese corpus, without its `#` header lines.
    public static let corpus: String = {
        let text = String(decoding: PackageResources.classical_chinese_txt, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .drop { $0.hasPrefix("#") }
            .joined(separator: "\n")
    }()

    /// The dialogue pairs as their TSV file (`#` comment lines, then `question<TAB>answer` lines).
    public static let dialogueTSV = String(decoding: PackageResources.dialogue_pairs_tsv, as: UTF8.self)

    /// The dialogue pairs, starting with 你吃了吗？→ 吃了。
    public static let dialoguePairs: [DialoguePair] = {
        // The embedded file is tested to parse, so a failure here is a build defect.
        (try? DialoguePair.parseTSV(dialogueTSV)) ?? []
    }()
}
