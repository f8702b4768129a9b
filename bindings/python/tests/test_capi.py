"""attention._capi mirrors include/attention.h one-to-one: every function (with its number of
parameters), opaque handle, struct (field names, order, offsets and size as a C compiler lays
them out), enum, constant and callback type."""
import ctypes
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from attention import _capi, _library

HEADER = Path(__file__).resolve().parents[3] / "include" / "attention.h"


@pytest.fixture(scope="module")
def header():
    """The header without comments."""
    text = re.sub(r"/\*.*?\*/", "", HEADER.read_text(), flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def parameters(declaration):
    declaration = declaration.strip()
    return [] if declaration in ("", "void") else [p for p in declaration.split(",")]


def test_every_function_is_bound_with_its_parameter_count(header):
    declared = dict(re.findall(r"^\w[\w\s\*]*?\b(attn_\w+)\(([^)]*)\);", header, flags=re.M))
    assert len(declared) > 40, "functions not parsed from the header"
    bound = {name for name in dir(_capi) if name.startswith("attn_")
             and isinstance(getattr(_capi, name), ctypes._CFuncPtr)}
    assert set(declared) == bound
    for name, declaration in declared.items():
        assert len(getattr(_capi, name).argtypes) == len(parameters(declaration)), name


POINTER_TYPES = {"float": ctypes.c_float, "int32_t": ctypes.c_int32, "int64_t": ctypes.c_int64,
                 "size_t": ctypes.c_size_t}


def test_numeric_pointers_are_bound_as_typed_pointers(header):
    """A `float *` / `int32_t *` / `int64_t *` / `size_t *` parameter is a POINTER of that type
    in the binding (not c_void_p), so ctypes refuses an int, a float list or a wrong array."""
    declared = dict(re.findall(r"^\w[\w\s\*]*?\b(attn_\w+)\(([^)]*)\);", header, flags=re.M))
    checked = 0
    for name, declaration in declared.items():
        for position, parameter in enumerate(parameters(declaration)):
            match = re.fullmatch(r"\s*(?:const\s+)?(float|int32_t|int64_t|size_t)\s*\*\s*\w+\s*", parameter)
            if match:
                bound = getattr(_capi, name).argtypes[position]
                assert bound is ctypes.POINTER(POINTER_TYPES[match.group(1)]), (name, parameter, bound)
                checked += 1
    assert checked > 40, "pointer parameters not parsed from the header"


def test_a_typed_pointer_parameter_refuses_a_raw_address():
    with pytest.raises(ctypes.ArgumentError):
        _capi.attn_softmax(12345, None, 1, 1, 0)


def test_every_callback_type_is_a_cfunctype_with_its_parameter_count(header):
    declared = dict(re.findall(r"typedef\s+\w+\s*\(\*\s*(attn_\w+)\)\(([^)]*)\);", header))
    assert set(declared) == {"attn_progress_fn", "attn_token_fn"}
    for name, declaration in declared.items():
        function_type = getattr(_capi, name)
        assert issubclass(function_type, ctypes._CFuncPtr), name
        assert len(function_type._argtypes_) == len(parameters(declaration)), name
        assert function_type._restype_ is ctypes.c_int, name


def test_every_opaque_handle_type_exists(header):
    declared = re.findall(r"typedef\s+struct\s+(\w+)\s+(\w+);", header)
    assert {alias for _, alias in declared} == {"attn_tokenizer_t", "attn_model_t", "attn_trainer_t",
                                                "attn_context_t", "attn_encoder_t"}
    for tag, alias in declared:
        assert getattr(_capi, alias) is getattr(_capi, tag)
        assert issubclass(getattr(_capi, alias), ctypes.Structure)


def declared_structs(header):
    """{name: [field names in order]} of the structs the header defines."""
    structs = {}
    for name, body in re.findall(r"typedef\s+struct\s+(\w+)\s*\{(.*?)\}\s*\1\s*;", header, flags=re.S):
        structs[name] = [re.search(r"(\w+)\s*$", field).group(1)
                         for field in body.split(";") if field.strip()]
    return structs


def test_every_struct_has_the_header_fields_in_order(header):
    structs = declared_structs(header)
    assert set(structs) == {"attn_attention_desc", "attn_model_config", "attn_train_config", "attn_progress",
                            "attn_generate_config", "attn_attention_map"}
    for name, fields in structs.items():
        struct = getattr(_capi, name)
        assert [field for field, _ in struct._fields_] == fields, name
        if fields[0] == "struct_size":
            assert struct().struct_size == ctypes.sizeof(struct), name  # set automatically


def test_struct_layouts_match_the_c_compiler(header, tmp_path):
    compiler = shutil.which("cc") or shutil.which("clang") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler")
    structs = declared_structs(header)
    lines = ["#include <stdio.h>", "#include <stddef.h>", '#include "attention.h"', "int main(void) {"]
    for name, fields in structs.items():
        lines.append(f'printf("{name} %zu\\n", sizeof({name}));')
        lines += [f'printf("{name}.{field} %zu\\n", offsetof({name}, {field}));' for field in fields]
    lines.append("return 0; }")
    source = tmp_path / "layout.c"
    source.write_text("\n".join(lines))
    binary = tmp_path / "layout"
    subprocess.run([compiler, "-I", str(HEADER.parent), str(source), "-o", str(binary)], check=True)
    c_layout = dict(line.split() for line in subprocess.run([str(binary)], capture_output=True, text=True,
                                                            check=True).stdout.splitlines())
    for name, fields in structs.items():
        struct = getattr(_capi, name)
        assert int(c_layout[name]) == ctypes.sizeof(struct), name
        for field in fields:
            assert int(c_layout[f"{name}.{field}"]) == getattr(struct, field).offset, f"{name}.{field}"


def test_every_enum_value_and_constant(header):
    enums = re.findall(r"typedef\s+enum\s+(\w+)\s*\{(.*?)\}\s*\1\s*;", header, flags=re.S)
    assert {name for name, _ in enums} == {"attn_status", "attn_transpose", "attn_model_kind", "attn_rnn_cell", "attn_weight_format",
                                           "attn_attention_kind"}
    for name, body in enums:
        assert getattr(_capi, name) is ctypes.c_int, name
        for constant, value in re.findall(r"(ATTN_\w+)\s*=\s*(\d+)", body):
            assert getattr(_capi, constant) == int(value), constant
    defines = dict(re.findall(r"#define\s+(ATTN_\w+)\s+(\d+)", header))
    assert int(defines.pop("ATTN_ABI_VERSION")) == _library.ABI_VERSION
    assert set(defines) == {"ATTN_TOKEN_PAD", "ATTN_TOKEN_BOS", "ATTN_TOKEN_EOS", "ATTN_TOKEN_UNK"}
    for constant, value in defines.items():
        assert getattr(_capi, constant) == int(value), constant
