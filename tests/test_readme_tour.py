"""The README's "A short tour (real output)" is replayed command by command and must print
what the README shows: lookup ids, timings and hashes aside, the tour is the product's
real output, not a sketch of it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: What legitimately differs between two runs: random lookup ids, source timings and the
#: audit head's hash. Everything else in the tour must match line for line.
VOLATILE = [
    (re.compile(r"\bL-[0-9a-f]{12}\b"), "L-<id>"),
    (re.compile(r"\(\d+ ms;"), "(<n> ms;"),
    (re.compile(r"head (\d+) [0-9a-f]{16}"), r"head \1 <hash>"),
]


def _normalized(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        for pattern, replacement in VOLATILE:
            line = pattern.sub(replacement, line)
        lines.append(line.rstrip())
    return lines


def tour_steps() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for each `$ ` line of the tour block."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## A short tour (real output)", 1)[1].split("```")[1]
    steps: list[tuple[str, list[str]]] = []
    for line in block.strip("\n").splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def _run(command: str, cwd: Path, env: dict) -> str:
    """Run one tour command as a user's shell would; `export` sets the environment."""
    command = command.split("  #", 1)[0].strip()
    words = shlex.split(command)
    if words[0] == "export":
        name, value = words[1].split("=", 1)
        env[name] = value
        return ""
    if words[0] == "python":
        words[0] = sys.executable
    elif words[0] == "tracer":
        words = [str(Path(sys.executable).parent / "tracer"), *words[1:]]
    done = subprocess.run(words, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout + done.stderr


def test_the_readme_tour_prints_what_it_shows(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACER_")}
    steps = tour_steps()
    assert len(steps) >= 6
    for command, expected in steps:
        shown = _normalized("\n".join(expected))
        printed = _normalized(_run(command, tmp_path, env))
        # A line ending in "..." in the README stands for the rest of a long line.
        assert len(printed) == len(shown), (command, printed)
        for want, got in zip(shown, printed):
            if want.endswith("..."):
                assert got.startswith(want[:-3]), (command, want, got)
            else:
                assert got == want, (command, want, got)
