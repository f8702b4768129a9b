"""Reference for kind "decode": greedy decoding of new_tokens tokens from a one-token prompt with
HF transformers' `GPT2LMHeadModel.generate` and its KV cache (use_cache=True), random FP32
weights of the same shape (n_layer, n_head, n_embd, block_size, vocab_size), PyTorch eager under
no_grad. The reference is FP32 for every weight format attn-bench times (BF16 and Q8 decoding
have no eager PyTorch counterpart on the CPU), so the ratios of the BF16 and Q8 rows are against
the same FP32 run. None without transformers, and for numpy."""
import importlib.util


def build(params, backend):
    if backend != "torch" or importlib.util.find_spec("transformers") is None:
        return None
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(n_layer=params["n_layer"], n_head=params["n_head"], n_embd=params["n_embd"],
                        n_positions=params["block_size"], vocab_size=params["vocab_size"], bos_token_id=0,
                        eos_token_id=0, pad_token_id=0)
    model = GPT2LMHeadModel(config).eval()
    prompt = torch.ones(1, 1, dtype=torch.long)
    new_tokens = params["new_tokens"]

    def run():
        with torch.no_grad():
            return model.generate(prompt, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                                  use_cache=True)

    return run
