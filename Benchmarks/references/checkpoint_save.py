"""Reference for the "checkpoint_save" kind: nanoGPT's state dict (tied tensors cloned, as
scripts/export_nanogpt.py does) to a safetensors buffer (target 0) or file (1; the Python
package neither writes atomically nor fsyncs). torch only."""
from references.checkpoint_common import nanogpt, scratch_path


def build(params, backend):
    setup = nanogpt(params)
    if backend != "torch" or setup is None:
        return None
    from safetensors.torch import save, save_file
    export_nanogpt, config = setup
    model = export_nanogpt.GPT(config)
    path = scratch_path("checkpoint-save")

    def run():
        state = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
        return save(state) if params["target"] == 0 else save_file(state, path)
    return run
