"""Bad input never gives a traceback: each case gets a one-line error or a PIN900 with a position,
the run goes on with the other files, the exit code follows the design, and it is quick.

Every case is run through the real CLI in a fresh process (so a hang or a crash shows), next to
a good Dockerfile that must still be checked. `python tests/test_bad_input.py` prints the table
of what pinlint said for each case, its exit code and the time it took.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

GOOD = "FROM python:3.12-slim\n"
GOOD_LINE = "good/Dockerfile:1:6: PIN003 [*] error: Image 'python:3.12-slim' is not pinned to a digest"
TIME_LIMIT = 5.0


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], list[str]]  # builds the input under the dir, returns the CLI paths
    expect: str  # a substring of the output (stdout + stderr)
    code: int


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _binary(d: Path) -> list[str]:
    _write(d / "bin/Dockerfile", bytes(range(256)) * 4)
    return ["bin"]


def _bad_utf8(d: Path) -> list[str]:
    _write(d / "latin1/Dockerfile", b"FROM alpine:3.20@sha256:" + b"a" * 64 + b'\nLABEL vendor="Soci\xe9t\xe9"\n')
    return ["latin1"]


def _bom(d: Path) -> list[str]:
    _write(d / "bom/Dockerfile", b"\xef\xbb\xbfFROM alpine:3.20\n")
    return ["bom"]


def _utf16(d: Path) -> list[str]:
    _write(d / "utf16/Dockerfile", "FROM alpine:3.20\n".encode("utf-16"))
    return ["utf16"]


def _cr_only(d: Path) -> list[str]:
    _write(d / "cr/Dockerfile", b"FROM alpine:3.20\rRUN true\r")
    return ["cr"]


def _huge(d: Path) -> list[str]:
    line = b"RUN echo this line is part of a generated twenty megabyte Dockerfile && true\n"
    _write(d / "huge/Dockerfile", b"FROM alpine:3.20\n" + line * (20 * 1024 * 1024 // len(line)))
    return ["huge"]


def _long_continuation(d: Path) -> list[str]:
    body = "".join(f"    pkg{i} \\\n" for i in range(10_000))
    _write(d / "cont/Dockerfile", f"FROM alpine:3.20@sha256:{'a' * 64}\nRUN apk add \\\n{body}    done\n")
    return ["cont"]


def _long_line(d: Path) -> list[str]:
    _write(d / "longline/Dockerfile", "FROM alpine:3.20\nRUN echo " + "x" * 70_000 + "\n")
    return ["longline"]


def _alias_bomb(d: Path) -> list[str]:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines += ["services:", "  web:", "    image: nginx:1.27", "    labels: *a11"]
    _write(d / "bomb/compose.yaml", "\n".join(lines) + "\n")
    return ["bomb"]


def _deep_yaml(d: Path) -> list[str]:
    _write(d / "deep/compose.yaml", "services: " + "[" * 5000 + "]" * 5000 + "\n")
    return ["deep"]


def _invalid_yaml(d: Path) -> list[str]:
    _write(d / "badyaml/compose.yaml", "services:\n  web:\n    image: nginx:1.27\n   bad: [\n")
    return ["badyaml"]


def _dir_named_dockerfile(d: Path) -> list[str]:
    (d / "dirname/Dockerfile").mkdir(parents=True)
    _write(d / "dirname/Dockerfile/Dockerfile", "FROM alpine:3.20\n")
    return ["dirname"]


def _symlink_loop(d: Path) -> list[str]:
    (d / "loop/a").mkdir(parents=True)
    (d / "loop/a/again").symlink_to("..")
    (d / "loop/self").symlink_to("self")
    return ["loop"]


def _missing(d: Path) -> list[str]:
    return ["does-not-exist"]


def _unreadable(d: Path) -> list[str]:
    _write(d / "secret/Dockerfile", "FROM alpine:3.20\n")
    (d / "secret/Dockerfile").chmod(0)
    return ["secret"]


def _fifo(d: Path) -> list[str]:
    (d / "fifo").mkdir()
    os.mkfifo(d / "fifo/Dockerfile")
    return ["fifo"]


def _empty(d: Path) -> list[str]:
    _write(d / "empty/Dockerfile", b"")
    return ["empty"]


CASES = [
    Case("binary file named Dockerfile", _binary, "bin/Dockerfile:1:1: PIN900 error: binary file", 1),
    Case("invalid UTF-8", _bad_utf8, "latin1/Dockerfile:2:19: PIN900 error: invalid UTF-8 (byte 0xe9)", 1),
    Case("UTF-8 BOM", _bom, "bom/Dockerfile:1:6: PIN003", 1),
    Case("UTF-16 file", _utf16, "utf16/Dockerfile:1:1: PIN900 error: file is UTF-16 encoded", 1),
    Case("CR-only line endings", _cr_only, "cr/Dockerfile:1:1: PIN900 error: CR-only line endings", 1),
    Case("20 MB Dockerfile", _huge, "huge/Dockerfile:1:1: PIN900 error: file is larger than 1 MiB; not checked", 1),
    Case("10,000-line continuation", _long_continuation, GOOD_LINE, 1),
    Case("line over 64 KiB", _long_line, "longline/Dockerfile:2:1: PIN900 error: line longer than", 1),
    Case("YAML alias bomb", _alias_bomb, "bomb/compose.yaml:15:12: PIN003", 1),
    Case(
        "deeply nested YAML",
        _deep_yaml,
        "deep/compose.yaml:1:1010: PIN900 error: invalid YAML: exceeded maximum nesting depth",
        1,
    ),
    Case("invalid YAML", _invalid_yaml, "badyaml/compose.yaml:4:4: PIN900 error: invalid YAML", 1),
    Case("directory named Dockerfile", _dir_named_dockerfile, "dirname/Dockerfile/Dockerfile:1:6: PIN003", 1),
    Case("symlink loops", _symlink_loop, GOOD_LINE, 1),
    Case("missing path", _missing, "pinlint: error: does-not-exist: No such file or directory", 2),
    Case("unreadable file", _unreadable, "secret/Dockerfile:1:1: PIN900 error: cannot read file: Permission denied", 1),
    Case("named pipe called Dockerfile", _fifo, GOOD_LINE, 1),
    Case("empty Dockerfile", _empty, "empty/Dockerfile:1:1: PIN900 error: file with no instructions", 1),
]


def run_case(case: Case, directory: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    paths = case.make(directory)
    _write(directory / "good/Dockerfile", GOOD)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pinlint", "check", "--no-config", *paths, "good"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    return proc, time.perf_counter() - started


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    if case.name == "unreadable file" and os.geteuid() == 0:
        pytest.skip("root can read a file with mode 000")
    proc, elapsed = run_case(case, tmp_path)
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, output
    assert case.expect in output, output
    assert GOOD_LINE in proc.stdout, "the run must go on with the other files"
    assert proc.returncode == case.code, output
    assert elapsed < TIME_LIMIT, f"{case.name} took {elapsed:.1f} s"
    for line in proc.stderr.splitlines():
        assert line.startswith("pinlint: "), f"stderr lines are one-line messages: {line!r}"


def main() -> None:  # pragma: no cover - prints the table for the issue report
    import tempfile

    print("| input | what pinlint printed | exit | time |")
    print("|---|---|---|---|")
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            proc, elapsed = run_case(case, Path(tmp))
        lines = [
            line for line in (proc.stdout + proc.stderr).splitlines() if not line.startswith(("good/", "Found", "["))
        ]
        shown = "<br>".join(f"`{line[:110]}`" for line in lines[:2]) or "(nothing: skipped)"
        print(f"| {case.name} | {shown} | {proc.returncode} | {elapsed * 1000:.0f} ms |")


if __name__ == "__main__":  # pragma: no cover
    main()
