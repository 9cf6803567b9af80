"""pinlint.edits: span edits applied back to front, overlaps refused, atomic writes that keep every byte."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pinlint import edits
from pinlint.edits import Edit, EditConflict, apply, normalise, write_atomic


def temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".pinlint-tmp"))


# -- applying edits ----------------------------------------------------------------------------


def test_edits_apply_back_to_front_so_offsets_stay_valid() -> None:
    text = "FROM a:1\nFROM b:2\n"
    result = apply(text, [Edit(8, 8, "@sha256:aa"), Edit(17, 17, "@sha256:bb")])
    assert result == "FROM a:1@sha256:aa\nFROM b:2@sha256:bb\n"


def test_edit_order_given_does_not_matter() -> None:
    text = "0123456789"
    forward = [Edit(1, 2, "x"), Edit(4, 4, "yy"), Edit(8, 10, "")]
    assert apply(text, forward) == apply(text, list(reversed(forward))) == "0x23yy4567"


def test_identical_edits_collapse_into_one() -> None:
    # an ARG default used by two FROM lines gives the same edit twice
    assert apply("ARG B=a:1\n", [Edit(9, 9, "@d"), Edit(9, 9, "@d")]) == "ARG B=a:1@d\n"
    assert normalise([Edit(9, 9, "@d"), Edit(9, 9, "@d")]) == [Edit(9, 9, "@d")]


@pytest.mark.parametrize(
    "pair",
    [
        (Edit(3, 3, "@a"), Edit(3, 3, "@b")),  # two different insertions at one place
        (Edit(0, 5, "x"), Edit(4, 6, "y")),  # overlapping replacements
        (Edit(0, 10, "x"), Edit(3, 3, "y")),  # an insertion inside a replaced region
        (Edit(2, 2, "x"), Edit(2, 6, "y")),  # an insertion at the start of a replaced region
        (Edit(0, 3, "x"), Edit(0, 8, "y")),  # same start, different ends
    ],
)
def test_overlapping_different_edits_are_refused(pair: tuple[Edit, Edit]) -> None:
    with pytest.raises(EditConflict, match="conflicting edits"):
        apply("0123456789", list(pair))
    with pytest.raises(EditConflict):
        apply("0123456789", list(reversed(pair)))


def test_an_overlap_hidden_between_other_edits_is_found() -> None:
    with pytest.raises(EditConflict):
        normalise([Edit(0, 9, "a"), Edit(1, 2, "b"), Edit(20, 21, "c"), Edit(5, 5, "d")])


def test_adjacent_edits_are_not_overlaps() -> None:
    # a replacement ending where an insertion is made, and one starting where another ends
    assert apply("0123456789", [Edit(0, 3, "x"), Edit(3, 3, "y"), Edit(5, 6, "z"), Edit(6, 8, "w")]) == "xy34zw89"


def test_no_edits_returns_the_text_unchanged() -> None:
    assert apply("FROM a\r\n", []) == "FROM a\r\n"


# -- atomic writes -----------------------------------------------------------------------------


def test_write_atomic_replaces_content_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM a:1\n")
    path.chmod(0o751)
    write_atomic(path, "FROM a:1@sha256:x\n", bom=False)
    assert path.read_bytes() == b"FROM a:1@sha256:x\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert temp_files(tmp_path) == []


def test_write_atomic_keeps_setgid_and_sticky_style_bits(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"x")
    path.chmod(0o2640)
    write_atomic(path, "y", bom=False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o2640


def test_write_atomic_writes_the_bom_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"\xef\xbb\xbfFROM a\r\n")
    write_atomic(path, "FROM a@d\r\n\tx", bom=True)
    assert path.read_bytes() == b"\xef\xbb\xbfFROM a@d\r\n\tx"


def test_write_atomic_through_a_symlink_writes_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real" / "Dockerfile"
    real.parent.mkdir()
    real.write_bytes(b"FROM a\n")
    link = tmp_path / "Dockerfile"
    link.symlink_to(Path("real") / "Dockerfile")
    write_atomic(link, "FROM a@d\n", bom=False)
    assert link.is_symlink()
    assert os.readlink(link) == os.path.join("real", "Dockerfile")
    assert real.read_bytes() == b"FROM a@d\n"
    assert temp_files(tmp_path) == [] and temp_files(real.parent) == []


def test_write_atomic_through_a_chain_of_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "Dockerfile.real"
    real.write_bytes(b"FROM a\n")
    (tmp_path / "one").symlink_to(real)
    (tmp_path / "two").symlink_to(tmp_path / "one")
    write_atomic(tmp_path / "two", "FROM a@d\n", bom=False)
    assert (tmp_path / "two").is_symlink() and (tmp_path / "one").is_symlink()
    assert real.read_bytes() == b"FROM a@d\n"


def test_write_atomic_creates_a_missing_file_with_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "pinlint.lock", "version = 1\n", bom=False)
    finally:
        os.umask(old)
    path = tmp_path / "pinlint.lock"
    assert path.read_bytes() == b"version = 1\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_failed_write_leaves_the_original_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM a\n")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(edits.os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(path, "FROM a@d\n", bom=False)
    assert path.read_bytes() == b"FROM a\n"
    assert temp_files(tmp_path) == []


def test_the_temp_file_is_a_hidden_sibling_that_discovery_ignores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pinlint.discover import kind_of

    path = tmp_path / "docker-compose.yml"
    path.write_bytes(b"services: {}\n")
    seen: list[str] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append(src)
        real_replace(src, dst)

    monkeypatch.setattr(edits.os, "replace", spy)
    write_atomic(path, "services: {a: {image: x}}\n", bom=False)
    (temp,) = seen
    name = Path(temp).name
    assert Path(temp).parent == tmp_path
    assert name.startswith(".docker-compose.yml.") and name.endswith(".pinlint-tmp")
    assert kind_of(name, explicit=False) is None
