"""The rule catalogue in rules/: every case of every cases.toml, and docs, cases and code kept in step.

Each folder `rules/<CODE>-<name>/` holds the rule's documentation (README.md, printed by
`pinlint rule`) and its cases (cases.toml). One parametrised test runs every case through the
real CLI in a temporary directory; the meta-tests fail when a rule module, its folder, its
README sections or its cases drift apart. They are driven by both `pinlint.rules.RULES` and the
folders present, so a folder whose rule is not registered yet fails until it is.

A case with `online = true` runs with `check --online` against the session's test registry
(skipped where docker-registry is not installed). Its `source`, `files`, `config` values and
`expect` lines may use placeholders, filled in at run time:

- `{registry}`: the registry's `127.0.0.1:PORT`;
- `{digest:TAG}`: the digest of `{registry}/test/app:TAG` (TAG: single-oci, single-docker,
  multi-oci, multi-docker, multi-attest);
- `{child:TAG:OS/ARCH[/VARIANT]}`: the digest of that platform's manifest in TAG's index;
- `{moved:before}`, `{moved:after}`: the digests `{registry}/test/catalogue-moved:v1` pointed
  to before and after it was pushed again (pushed once per session, for PIN010);
- any of these followed by `|short` (`{digest:multi-oci|short}`): its first 19 characters, as
  messages abbreviate a digest (the message adds `…`).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import tomli_w

from pinlint import catalogue
from pinlint.model import Severity
from pinlint.rules import BY_CODE, RULES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
FOLDER = re.compile(r"(PIN\d{3})-([a-z0-9]+(?:-[a-z0-9]+)*)")
CODE = re.compile(r"PIN\d{3}")
NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CASE_KEYS = frozenset({"name", "source", "filename", "config", "files", "expect", "xfail", "online"})
PLACEHOLDER = re.compile(r"\{(registry|digest|child|moved)(?::([^{}|]+))?(\|short)?\}")
# `Default: on · Severity: error · Fix: yes`, with an optional remark after on/off.
STATUS = re.compile(r"Default: (on|off)\b[^·\n]* · Severity: (error|warning|info) · Fix: (yes|no)")


@dataclass(frozen=True)
class Case:
    code: str  # from the folder name
    name: str
    source: str
    filename: str = "Dockerfile"
    config: dict[str, Any] | None = None
    files: dict[str, str] = field(default_factory=dict)  # more files the case needs (a lock file, …)
    expect: list[str] = field(default_factory=list)
    xfail: str | None = None  # why pinlint gets this case wrong today; `expect` is the correct output
    online: bool = False  # run with `check --online` against the test registry, placeholders filled in


def folders() -> list[Path]:
    return sorted(p for p in RULES_DIR.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def folder_code(folder: Path) -> str:
    return folder.name.split("-", 1)[0]


def load_cases(folder: Path) -> list[dict[str, Any]]:
    with (folder / "cases.toml").open("rb") as fh:
        data = tomllib.load(fh)
    cases = data.get("case", [])
    assert isinstance(cases, list), f"{folder.name}/cases.toml: 'case' must be an array of tables"
    return cases


def all_cases() -> Iterator[Any]:
    for folder in folders():
        if not (folder / "cases.toml").is_file():
            continue  # test_folder_has_readme_and_cases reports it
        code = folder_code(folder)
        try:
            raw_cases = load_cases(folder)
        except (tomllib.TOMLDecodeError, AssertionError) as exc:
            yield pytest.param(exc, id=f"{code}/<cases.toml>")
            continue
        for raw in raw_cases:
            case = Case(
                code=code,
                name=str(raw.get("name", "<unnamed>")),
                source=str(raw.get("source", "")),
                filename=str(raw.get("filename", "Dockerfile")),
                config=raw.get("config"),
                files=dict(raw.get("files", {})),
                expect=list(raw.get("expect", [])),
                xfail=raw.get("xfail"),
                online=bool(raw.get("online", False)),
            )
            marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
            yield pytest.param(case, id=f"{code}/{case.name}", marks=marks)


def fail_level(config: dict[str, Any] | None) -> Severity:
    return Severity.parse(str((config or {}).get("fail-level", "warning")))


@pytest.fixture(scope="session")
def moved_tag(registry: Any) -> tuple[str, str]:
    """(before, after): `test/catalogue-moved:v1` pushed, then pushed again with other content."""
    from registry import ImagePusher

    with ImagePusher.for_registry(registry) as pusher:
        before = pusher.push_image("test/catalogue-moved", "v1", "multi-oci", seed="catalogue-before").digest
        after = pusher.push_image("test/catalogue-moved", "v1", "multi-oci", seed="catalogue-after").digest
    return before, after


def fill_placeholders(text: str, request: pytest.FixtureRequest) -> str:
    """Replace every placeholder of the module docstring; an unknown one fails the test."""
    registry = request.getfixturevalue("registry")
    images = request.getfixturevalue("images")

    def value(match: re.Match[str]) -> str:
        kind, arg, short = match.group(1), match.group(2), match.group(3)
        if kind == "registry" and arg is None:
            found = str(registry.host)
        elif kind == "digest" and arg in images:
            found = images[arg].digest
        elif kind == "child" and arg is not None and arg.partition(":")[0] in images:
            tag, _, platform = arg.partition(":")
            found = images[tag].platforms.get(platform, "")
        elif kind == "moved" and arg in ("before", "after"):
            before, after = request.getfixturevalue("moved_tag")
            found = before if arg == "before" else after
        else:
            found = ""
        if not found:
            pytest.fail(f"unknown placeholder {match.group(0)}")
        return found[:19] if short else found

    return PLACEHOLDER.sub(value, text)


def _filled(value: Any, fill: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fill(value)
    if isinstance(value, list):
        return [_filled(v, fill) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, fill) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", list(all_cases()))
def test_case(
    case: Case | Exception,
    write: Callable[[str, str], Path],
    cli: Callable[..., Any],
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    if isinstance(case, Exception):
        pytest.fail(f"cases.toml cannot be read: {case}")
    rule = BY_CODE.get(case.code)
    if rule is None:
        pytest.fail(f"{case.code} has cases in rules/ but is not registered in pinlint.rules.RULES")

    def fill(text: str) -> str:
        return fill_placeholders(text, request) if case.online else text

    if case.online:
        for name, directory in (("XDG_CACHE_HOME", "cache"), ("HOME", "home"), ("DOCKER_CONFIG", "docker")):
            monkeypatch.setenv(name, str(tmp_path / directory))
        monkeypatch.delenv("DOCKER_AUTH_CONFIG", raising=False)
    write(case.filename, fill(case.source))
    for name, text in case.files.items():
        write(name, fill(text))
    argv = ["check", "--select", case.code, case.filename]
    if case.online:
        argv.insert(1, "--online")
    if case.config is None:
        argv.insert(1, "--no-config")
    else:
        write("pinlint.toml", tomli_w.dumps(_filled(case.config, fill)))
    run = cli(*argv)
    display = Path(case.filename).as_posix()
    # PIN900 is always on: a case for another rule may also print parse errors, which are not its subject
    lines = [line for line in run.lines if line.startswith(f"{display}:") and f": {case.code} " in line]
    # `expect` lines are `path:line:col: CODE [*] message`; the text output adds the rule's severity
    severity_word = f"{rule.SEVERITY.label}: "
    expected = [
        re.sub(rf"(: {case.code}(?: \[\*\])? )", rf"\g<1>{severity_word}", fill(line), count=1) for line in case.expect
    ]
    assert lines == expected, run.out + run.err
    others = [line for line in run.lines if line.startswith(f"{display}:") and f": {case.code} " not in line]
    severity: Severity = rule.SEVERITY
    expected_code = 1 if (case.expect and severity >= fail_level(case.config)) or others else 0
    assert run.code == expected_code, run.out + run.err


# -- meta-tests: code, folders, docs and cases agree ---------------------------------------------


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.CODE)
def test_rule_has_one_folder(rule: ModuleType) -> None:
    assert CODE.fullmatch(rule.CODE), f"code {rule.CODE!r} is not PIN + three digits"
    assert NAME.fullmatch(rule.NAME), f"name {rule.NAME!r} is not kebab-case"
    matching = [p.name for p in folders() if folder_code(p) == rule.CODE]
    assert matching == [f"{rule.CODE}-{rule.NAME}"]
    assert catalogue.rule_dir(rule) == RULES_DIR / matching[0], "`pinlint rule` reads another catalogue"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.CODE)
def test_rule_declares_the_contract(rule: ModuleType) -> None:
    """What pinlint/rules/base.py says every rule module declares."""
    assert isinstance(rule.SEVERITY, Severity)
    assert isinstance(rule.DEFAULT_ENABLED, bool)
    assert rule.FIX is None or (isinstance(rule.FIX, str) and rule.FIX)
    assert isinstance(rule.SUMMARY, str) and rule.SUMMARY and "\n" not in rule.SUMMARY
    assert rule.TARGET in ("image", "instruction", "run", "source", "online", "suppression")
    assert callable(rule.check)
    assert rule.__doc__ and rule.__doc__.startswith(f"{rule.CODE} {rule.NAME}"), "module docstring names the rule"


def test_codes_and_names_unique() -> None:
    codes = [rule.CODE for rule in RULES]
    names = [rule.NAME for rule in RULES]
    assert len(set(codes)) == len(codes), codes
    assert len(set(names)) == len(names), names
    folder_codes = [folder_code(p) for p in folders()]
    assert len(set(folder_codes)) == len(folder_codes), folder_codes


@pytest.mark.parametrize("folder", folders(), ids=lambda p: p.name)
def test_folder_has_registered_rule(folder: Path) -> None:
    match = FOLDER.fullmatch(folder.name)
    assert match, f"{folder.name}: expected <PIN + three digits>-<kebab-case name>"
    code, name = match.groups()
    rule = BY_CODE.get(code)
    assert rule is not None, f"{folder.name}: no rule {code} in pinlint.rules.RULES"
    assert name == rule.NAME, f"{folder.name}: the rule module calls {code} {rule.NAME!r}"


@pytest.mark.parametrize("folder", folders(), ids=lambda p: p.name)
def test_folder_has_readme_and_cases(folder: Path) -> None:
    assert (folder / "README.md").is_file(), f"{folder.name}/README.md is missing"
    assert (folder / "cases.toml").is_file(), f"{folder.name}/cases.toml is missing"


def _markdown_outside_fences(text: str) -> list[str]:
    lines, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


@pytest.mark.parametrize("folder", folders(), ids=lambda p: p.name)
def test_readme_heading_and_sections(folder: Path) -> None:
    text = (folder / "README.md").read_text(encoding="utf-8")
    lines = _markdown_outside_fences(text)
    code, _, name = folder.name.partition("-")
    assert lines[0] == f"# {code} {name}", "the first line is `# <CODE> <name>`"
    assert [line for line in lines if line.startswith("# ")] == [lines[0]], "one top-level heading"
    sections = [line[3:].strip() for line in lines if line.startswith("## ")]
    assert tuple(sections) == catalogue.SECTIONS, f"## sections {sections}, expected {list(catalogue.SECTIONS)}"
    for section in ("Example", "Use instead"):
        body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
        assert "```dockerfile" in body or "```yaml" in body, f"'{section}' has no code block"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.CODE)
def test_readme_status_line_matches_code(rule: ModuleType) -> None:
    """Every README has the `Default: … · Severity: … · Fix: …` line, and it says what the code does."""
    text = (RULES_DIR / f"{rule.CODE}-{rule.NAME}" / "README.md").read_text(encoding="utf-8")
    match = STATUS.search(text)
    assert match is not None, f"{rule.CODE}'s README has no `Default: … · Severity: … · Fix: …` status line"
    default, severity, fix = match.groups()
    assert (default == "on") == rule.DEFAULT_ENABLED, f"README says 'Default: {default}'"
    assert severity == rule.SEVERITY.label, f"README says 'Severity: {severity}', the code {rule.SEVERITY.label}"
    assert (fix == "yes") == (rule.FIX is not None), f"README says 'Fix: {fix}', the code FIX = {rule.FIX!r}"


def rule_target(code: str) -> str | None:
    rule = BY_CODE.get(code)
    return str(rule.TARGET) if rule is not None else None


@pytest.mark.parametrize("folder", folders(), ids=lambda p: p.name)
def test_cases_well_formed(folder: Path) -> None:
    cases = load_cases(folder)
    code = folder_code(folder)
    names = [case.get("name") for case in cases]
    assert len(set(names)) == len(names), f"duplicate case names: {names}"
    for case in cases:
        label = f"{code}/{case.get('name')}"
        assert set(case) <= CASE_KEYS, f"{label}: unknown keys {sorted(set(case) - CASE_KEYS)}"
        assert isinstance(case.get("name"), str) and NAME.fullmatch(case["name"]), f"{label}: name is kebab-case"
        assert isinstance(case.get("source"), str), f"{label}: source is a string"
        assert isinstance(case.get("expect"), list), f"{label}: expect is a list"
        assert isinstance(case.get("filename", ""), str), f"{label}: filename is a string"
        assert isinstance(case.get("config", {}), dict), f"{label}: config is a table"
        assert isinstance(case.get("online", False), bool), f"{label}: online is true or false"
        if rule_target(code) == "online":
            assert case.get("online") is True, f"{label}: {code} only runs with --online: set online = true"
        filename = re.escape(case.get("filename", "Dockerfile"))
        line_format = re.compile(rf"{filename}:\d+:\d+: {code}( \[\*\])? \S.*")
        for line in case["expect"]:
            assert line_format.fullmatch(line), f"{label}: {line!r} is not a {code} line for this file"
    settled = [case for case in cases if not case.get("xfail")]
    assert any(case.get("expect") for case in settled), f"{code} has no failing case (xfail ones do not count)"
    assert any(case.get("expect") == [] for case in settled), f"{code} has no passing case (xfail ones do not count)"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.CODE)
def test_rule_command_prints_readme(rule: ModuleType, cli: Callable[..., Any]) -> None:
    readme = (RULES_DIR / f"{rule.CODE}-{rule.NAME}" / "README.md").read_text(encoding="utf-8")
    for selector in (rule.CODE, rule.NAME):
        run = cli("rule", selector)
        assert run.code == 0, run.err
        assert run.out == readme


def test_rule_all_json_lists_registered_rules(cli: Callable[..., Any]) -> None:
    run = cli("rule", "--all", "--format", "json")
    assert run.code == 0, run.err
    listed = json.loads(run.out)
    assert [(r["code"], r["name"]) for r in listed] == [(rule.CODE, rule.NAME) for rule in RULES]
    for entry, rule in zip(listed, RULES, strict=True):
        assert entry["severity"] == rule.SEVERITY.label
        assert entry["default"] == rule.DEFAULT_ENABLED
