"""Reference for the "checkpoint_load" kind: build nanoGPT's GPT (random init included, as ours)
and `load_state_dict` the tensors of a safetensors file or buffer (source 0 bytes, 1 file).
torch only."""
from references.checkpoint_common import nanogpt, scratch_path


def build(params, backend):
    setup = nanogpt(params)
    if backend != "torch" or setup is None:
        return None
    from safetensors.torch import load, load_file, save, save_file
    export_nanogpt, config = setup
    state = {k: v.clone().contiguous() for k, v in export_nanogpt.GPT(config).state_dict().items()}
    if params["source"] == 0:
        blob = save(state)
        read = lambda: load(blob)
    else:
        path = scratch_path("checkpoint-load")
        save_file(state, path)
        read = lambda: load_file(path)

    def run():
        model = export_nanogpt.GPT(config)
        model.load_state_dict(read())
        return model
    return run
