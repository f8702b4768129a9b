"""The README's examples, extracted from README.md and run: the C program (compiled against the
checkout's header and library), the Python snippet, and the `attn` lines of "The attn command".

The C and Python examples run exactly as written. The `attn` lines run as written except that
training is shortened (`--steps 20`, `--time 3`) so the test stays short, and the benchmark line
lists its cases instead of timing them (no timings in tests)."""
import os
import re
import shlex
import subprocess
import sys

from conftest import RELEASE, ROOT, attn

README = (ROOT / "README.md").read_text(encoding="utf-8")


def fenced_blocks(language):
    return re.findall(rf"^```{language}\n(.*?)^```$", README, flags=re.M | re.S)


def section(title):
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, flags=re.M | re.S)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def test_the_c_example_is_a_complete_program_that_trains_and_prints_its_text(tmp_path):
    programs = [block for block in fenced_blocks("c") if "int main" in block]
    assert len(programs) == 1, "README should hold exactly one complete C program"
    source = tmp_path / "app.c"
    source.write_text(programs[0], encoding="utf-8")
    binary = tmp_path / "app"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{ROOT / 'include'}", str(source),
                    f"-L{RELEASE}", "-lattention", f"-Wl,-rpath,{RELEASE}", "-o", str(binary)],
                   check=True, capture_output=True, text=True)
    result = subprocess.run([str(binary)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    steps = re.findall(r"^step (\d+)  loss ([\d.]+)$", result.stdout, flags=re.M)
    assert [int(step) for step, _ in steps] == [20, 40, 60], result.stdout
    generated = result.stdout.split("\n", len(steps))[-1]        # what follows the progress lines
    assert generated.startswith("道可道") and len(generated.strip()) > len("道可道"), result.stdout


def test_the_python_snippet_runs_as_written(tmp_path):
    snippets = [block for block in fenced_blocks("python") if block.startswith("import attention")]
    assert len(snippets) == 1, "README should hold exactly one Python snippet starting with `import attention`"
    environment = dict(os.environ, PYTHONPATH=str(ROOT / "bindings" / "python"),
                       ATTENTION_LIBRARY=str(RELEASE / "libattention.so"))
    result = subprocess.run([sys.executable, "-c", snippets[0]], capture_output=True, text=True,
                            timeout=600, cwd=tmp_path, env=environment)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"\d+\.\d+\.\d+", lines[0]), lines[0]            # __version__
    assert lines[1].startswith("1 ") and lines[100].startswith("100 "), result.stdout  # progress
    assert (tmp_path / "gpt.safetensors").is_file()


def shortened(arguments):
    """Training and benchmarking lengths cut for the test; everything else as written."""
    if arguments[0] == "train":
        if "--steps" in arguments:
            arguments[arguments.index("--steps") + 1] = "20"
        elif "--time" in arguments:
            arguments[arguments.index("--time") + 1] = "3"
        elif "--resume" not in arguments:
            arguments += ["--steps", "20"]
    if arguments[0] == "bench":
        arguments += ["--list-cases"]
    return arguments


def test_the_attn_lines_run_in_order(tmp_path):
    block = re.search(r"```sh\n(.*?)```", section("The attn command"), flags=re.S).group(1)
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    commands = [command for command in commands if command.startswith("attn ")]
    assert len(commands) >= 8, block
    corpus = "\n".join(["床前明月光，疑是地上霜。举头望明月，低头思故乡。"] * 40)
    (tmp_path / "my.txt").write_text(corpus, encoding="utf-8")
    for command in commands:
        arguments = shortened(shlex.split(command)[1:])
        result = attn(*arguments, timeout=600, cwd=tmp_path, env={"NO_COLOR": "1"})
        assert result.returncode == 0, f"{command}\n{result.stderr}"
    for written in ("gpt.safetensors", "gpt.best.safetensors", "seq2seq.safetensors", "loss.svg",
                    "attention.html"):
        assert (tmp_path / written).is_file(), written
