"""pinlint.shell: words and their offsets, commands, pipelines, nesting, wrappers, options,
and the promise never to raise on any input. (Exec-form JSON is tests/test_arguments.py.)"""

from __future__ import annotations

import random

import pytest

from pinlint.shell import (
    Command,
    ShellWord,
    heredoc_runs_as_shell,
    interpreter_invocation,
    is_commit_sha,
    parse_args,
    parse_script,
    shell_words,
    subcommand,
)


def values(words: tuple[ShellWord, ...]) -> list[str]:
    return [w.value for w in words]


def argvs(text: str) -> list[list[str]]:
    return [values(c.argv) for c in parse_script(text)]


def words_of(text: str) -> list[str]:
    return values(shell_words(text))


# -- words ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apt-get install -y curl", ["apt-get", "install", "-y", "curl"]),
        ("echo 'a b' \"c d\"", ["echo", "a b", "c d"]),
        ("echo a\\ b", ["echo", "a b"]),
        ("echo 'it'\\''s'", ["echo", "it's"]),
        ('echo "say \\"hi\\" \\$HOME \\n"', ["echo", 'say "hi" $HOME \\n']),
        ("echo $'tab\\there'", ["echo", "tab\there"]),
        ("echo pre'mid'post", ["echo", "premidpost"]),
        ("echo ${A:-x y} $B $1 $@", ["echo", "${A:-x y}", "$B", "$1", "$@"]),
        ("echo $(date +%s) `id -u` $((1 + 2))", ["echo", "$(date +%s)", "`id -u`", "$((1 + 2))"]),
        ("echo a#b # a comment", ["echo", "a#b"]),
        ("echo 100$ $", ["echo", "100$", "$"]),
        ('echo $"locale"', ["echo", "locale"]),
    ],
)
def test_word_values(text: str, expected: list[str]) -> None:
    assert words_of(text) == expected


def test_word_offsets_map_back_to_the_input() -> None:
    text = "pip install  'flask==2.0'  \"req[x]>=1\" a\\ b"
    words = shell_words(text)
    assert [text[w.start : w.end] for w in words] == ["pip", "install", "'flask==2.0'", '"req[x]>=1"', "a\\ b"]
    assert [(w.start, w.end) for w in words[:2]] == [(0, 3), (4, 11)]


def test_word_flags() -> None:
    plain, quoted, variable, in_quotes, single = shell_words("a 'b' $c \"x$d\" '$e'")
    assert not plain.quoted and not plain.dynamic
    assert quoted.quoted and not quoted.dynamic
    assert variable.dynamic and not variable.quoted
    assert in_quotes.dynamic and in_quotes.quoted
    assert single.quoted and not single.dynamic and single.value == "$e"


def test_line_continuation_inside_text_is_skipped() -> None:
    text = "apt-get install \\\n  curl \\\n  git"
    words = shell_words(text)
    assert values(words) == ["apt-get", "install", "curl", "git"]
    assert text[words[-1].start : words[-1].end] == "git"


def test_operators_are_not_words() -> None:
    assert words_of("a&&b||c;d|e&f") == ["a", "b", "c", "d", "e", "f"]
    assert words_of("cmd >out 2>&1 <in >>log &>all") == ["cmd", "out", "1", "in", "log", "all"]


# -- commands and pipelines -----------------------------------------------------------------


def test_commands_split_on_every_separator() -> None:
    text = "a 1 && b 2 || c 3; d 4 | e 5 & f 6\ng 7 (h 8) { i 9; }"
    assert argvs(text) == [
        ["a", "1"],
        ["b", "2"],
        ["c", "3"],
        ["d", "4"],
        ["e", "5"],
        ["f", "6"],
        ["g", "7"],
        ["h", "8"],
        ["i", "9"],
        [],
    ]


def test_pipelines_number_their_stages() -> None:
    commands = parse_script("curl -s x | tar xz | sh && echo ok | cat")
    assert [(values(c.argv)[0], c.stage) for c in commands] == [
        ("curl", 0),
        ("tar", 1),
        ("sh", 2),
        ("echo", 0),
        ("cat", 1),
    ]
    assert commands[0].pipeline == commands[1].pipeline == commands[2].pipeline
    assert commands[3].pipeline == commands[4].pipeline != commands[0].pipeline


def test_subshell_joins_the_pipeline() -> None:
    first, second = parse_script("(curl -s x) | sh")
    assert first.pipeline == second.pipeline and second.stage == 1
    first, second = parse_script("curl -s x | (sh)")
    assert first.pipeline == second.pipeline and second.stage == 1


def test_assignments_redirects_and_reserved_words() -> None:
    (command,) = parse_script("FOO=bar X[1]=y BAZ+=q cmd arg >out 2>&1")
    assert values(command.assignments) == ["FOO=bar", "X[1]=y", "BAZ+=q"]
    assert values(command.argv) == ["cmd", "arg"]
    assert [(r.op, r.target.value if r.target else None) for r in command.redirects] == [(">", "out"), (">&", "1")]
    assert argvs("if ! command -v curl; then apk add curl; else echo; fi") == [[], ["apk", "add", "curl"], ["echo"], []]
    assert argvs("while read -r p; do pip install $p; done < list") == [
        ["read", "-r", "p"],
        ["pip", "install", "$p"],
        [],
    ]
    assert argvs("for p in a b; do echo $p; done") == [[], ["echo", "$p"], []]


def test_fd_redirect_needs_the_digits_next_to_the_operator() -> None:
    (command,) = parse_script("echo 2 >x 3>y")
    assert values(command.argv) == ["echo", "2"]
    assert [(r.op, r.start) for r in command.redirects] == [(">", 7), (">", 10)]


@pytest.mark.parametrize(
    ("text", "argv"),
    [
        ("sudo apt-get install -y git", ["apt-get", "install", "-y", "git"]),
        ("sudo -E -u root pip install x", ["pip", "install", "x"]),
        ("sudo -Eu root -- pip install x", ["pip", "install", "x"]),
        ("env DEBIAN_FRONTEND=noninteractive apt-get install x", ["apt-get", "install", "x"]),
        ("env -i -u HOME PATH=/bin sh -c 'x'", ["sh", "-c", "x"]),
        ("nice -n 10 nohup time -p make", ["make"]),
        ("timeout -s KILL 30s curl x", ["curl", "x"]),
        ("xargs -n1 -I {} pip install", ["pip", "install"]),
        ("exec gosu app node server.js", ["node", "server.js"]),
        ("busybox wget -O- x", ["wget", "-O-", "x"]),
        ("command -v curl", []),
        ("command pip install x", ["pip", "install", "x"]),
    ],
)
def test_wrappers_are_stripped(text: str, argv: list[str]) -> None:
    command = parse_script(text)[0]
    assert values(command.argv) == argv


def test_command_name_is_a_basename() -> None:
    (command,) = parse_script("/usr/local/bin/pip3 install x")
    assert command.name == "pip3"


# -- nesting --------------------------------------------------------------------------------


def nested(text: str) -> list[tuple[list[str], str, int | None]]:
    return [(values(c.argv), c.via, c.parent) for c in parse_script(text)]


def test_command_substitution_and_backticks_are_nested() -> None:
    assert nested('VERSION="$(curl -s x)" echo `id -u` $(a $(b))') == [
        (["echo", "`id -u`", "$(a $(b))"], "", None),
        (["curl", "-s", "x"], "$(", 0),
        (["id", "-u"], "`", 0),
        (["a", "$(b)"], "$(", 0),
        (["b"], "$(", 3),
    ]


def test_process_substitution_is_nested() -> None:
    commands = parse_script("bash <(curl -s x) && diff <(a) >(b)")
    assert [(values(c.argv), c.via, c.parent) for c in commands] == [
        (["bash", "<(curl -s x)"], "", None),
        (["curl", "-s", "x"], "<(", 0),
        (["diff", "<(a)", ">(b)"], "", None),
        (["a"], "<(", 2),
        (["b"], ">(", 2),
    ]
    assert commands[1].parent_word == commands[0].argv[1]


def test_sh_c_string_is_parsed_as_a_script() -> None:
    text = "su app -s /bin/sh && bash -ec 'apt-get install -y git' && sh -c \"pip install x\""
    commands = parse_script(text)
    inner = [c for c in commands if c.via == "-c"]
    assert [values(c.argv) for c in inner] == [["apt-get", "install", "-y", "git"], ["pip", "install", "x"]]
    git = inner[0].argv[-1]
    assert text[git.start : git.end] == "git"


def test_sh_c_with_a_substitution_is_not_parsed_twice() -> None:
    commands = parse_script('sh -c "$(curl -fsSL https://x/install.sh)"')
    assert [(values(c.argv)[0], c.via) for c in commands] == [
        ("sh", ""),
        ("$(curl -fsSL https://x/install.sh)", "-c"),
        ("curl", "$("),
    ]


def test_heredoc_bodies_are_skipped_or_run() -> None:
    text = "cat <<'EOF' > /etc/x\napt-get install nope\nEOF\nbash <<-X\n\tpip install yes\n\tX\necho done"
    commands = parse_script(text)
    assert [(values(c.argv), c.via) for c in commands] == [
        (["cat"], ""),
        (["bash"], ""),
        (["pip", "install", "yes"], "<<"),
        (["echo", "done"], ""),
    ]
    heredoc = commands[0].redirects[0]
    assert heredoc.op == "<<" and heredoc.target is not None and heredoc.target.value == "EOF"
    assert heredoc.body is not None and text[heredoc.body[0] : heredoc.body[1]] == "apt-get install nope\n"


def test_unterminated_heredoc_takes_the_rest() -> None:
    commands = parse_script("cat <<EOF\nnot a command")
    assert argvs("cat <<EOF\nnot a command") == [["cat"]]
    assert commands[0].redirects[0].body == (10, 23)


# -- interpreters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stdin", "code", "script"),
    [
        ("sh", True, None, None),
        ("bash -s -- --flag", True, None, None),
        ("sudo -E bash -", True, None, "-"),
        ("bash -euxo pipefail", True, None, None),
        ("bash install.sh", False, None, "install.sh"),
        ("bash -c 'echo hi' name", False, "echo hi", None),
        ("sh -ec 'echo hi'", False, "echo hi", None),
        ("python3", True, None, None),
        ("python3 -", True, None, "-"),
        ("python3 -u get-pip.py", False, None, "get-pip.py"),
        ("python3 -c 'import sys'", False, "import sys", None),
        ("python3.12 -m json.tool", False, "json.tool", None),
        ("perl -e 'print 1'", False, "print 1", None),
        ("node --eval 'x()'", False, "x()", None),
        ("node -r dotenv/config -", True, None, "-"),
        # the program from stdin, with arguments after it (issue 13)
        ("php -- --install-dir=/usr/local/bin --filename=composer", True, None, None),
        ("php -d allow_url_fopen=On -- --quiet", True, None, None),
        ("php7 -- --install-dir=/usr/bin", True, None, None),
        ("php8.2", True, None, None),
        ("python - --user", True, None, "-"),
        ("python3 -u - --break-system-packages", True, None, "-"),
        ("python3 /dev/stdin --version 1.2", True, None, "/dev/stdin"),
        ("bash /dev/stdin --channel 8.0 --install-dir /opt/dotnet", True, None, "/dev/stdin"),
        ("sh /proc/self/fd/0 -y", True, None, "/proc/self/fd/0"),
        ("sh -s -- -y", True, None, None),
        ("bash -s --", True, None, None),
        ("bash -s stable", True, None, None),
        ("perl5 - --quiet", True, None, "-"),
        # … and the forms where it does not
        ("php composer-setup.php -- --quiet", False, None, "composer-setup.php"),
        ("php -f composer-setup.php -- --quiet", False, None, "composer-setup.php"),
        ("php -fcomposer-setup.php", False, None, "composer-setup.php"),
        ("php -r 'copy(\"x\", \"y\");'", False, 'copy("x", "y");', None),
        ("php -R 'echo $argn;'", False, "echo $argn;", None),
        ("bash -- install.sh --flag", False, None, "install.sh"),
        ("python3 - <<< x", True, None, "-"),
    ],
)
def test_interpreter_invocation(text: str, stdin: bool, code: str | None, script: str | None) -> None:
    command = parse_script(text)[0]
    invocation = interpreter_invocation(command.argv)
    assert invocation is not None
    assert invocation.reads_stdin is stdin
    assert (invocation.code.value if invocation.code else None) == code
    assert (invocation.script.value if invocation.script else None) == script


def test_non_interpreters() -> None:
    assert interpreter_invocation(parse_script("cat x")[0].argv) is None
    assert interpreter_invocation(()) is None
    for name in ("phpize", "php-fpm", "php-config", "rubocop", "perlbrew", "pythonista", "nodemon"):
        assert interpreter_invocation(parse_script(f"{name} -")[0].argv) is None, name


@pytest.mark.parametrize(
    ("text", "body", "expected"),
    [
        ("<<EOF", "apt-get install x\n", True),
        ("<<EOF", "#!/bin/bash\nset -e\n", True),
        ("<<EOF", "#!/usr/bin/env python3\nprint(1)\n", False),
        ("bash -ex <<EOF", "x\n", True),
        ("sh -s -- arg <<EOF", "x\n", True),
        ("python3 <<EOF", "x\n", False),
        ("cat <<EOF", "x\n", False),
        ("bash -c 'echo' <<EOF", "x\n", False),
        ("bash /dev/stdin arg <<EOF", "x\n", True),
        ("php -- arg <<EOF", "x\n", False),
    ],
)
def test_heredoc_runs_as_shell(text: str, body: str, expected: bool) -> None:
    command = parse_script(text)[0]
    assert heredoc_runs_as_shell(command.argv, body) is expected


# -- options --------------------------------------------------------------------------------


def test_parse_args_getopt_style() -> None:
    words = shell_words("-y --no-install-recommends -o Dpkg::Use-Pty=0 -t=bookworm curl -qq --target-release x git")
    args = parse_args(words, frozenset({"-o", "-t", "--target-release"}))
    assert values(args.operands) == ["curl", "git"]
    assert [(o.name, o.value) for o in args.options] == [
        ("-y", None),
        ("--no-install-recommends", None),
        ("-o", "Dpkg::Use-Pty=0"),
        ("-t", "bookworm"),
        ("-q", None),
        ("-q", None),
        ("--target-release", "x"),
    ]
    assert args.has("-y") and not args.has("-z")
    option = args.get("-o")
    assert option is not None and option.value_word is not None and option.value_word.value == "Dpkg::Use-Pty=0"


def test_parse_args_clusters_and_double_dash() -> None:
    args = parse_args(shell_words("-yqv1.0 -- -not-an-option"), frozenset({"-v"}))
    assert [(o.name, o.value) for o in args.options] == [("-y", None), ("-q", None), ("-v", "1.0")]
    assert values(args.operands) == ["-not-an-option"]


def test_parse_args_go_style() -> None:
    args = parse_args(
        shell_words("-ldflags '-s -w' -trimpath -tags=netgo ./cmd/x"), frozenset({"-ldflags"}), clusters=False
    )
    assert [(o.name, o.value) for o in args.options] == [("-ldflags", "-s -w"), ("-trimpath", None), ("-tags", "netgo")]
    assert values(args.operands) == ["./cmd/x"]


def test_subcommand() -> None:
    sub, before, after = subcommand(shell_words("-qq -o X=1 --no-cache install -y git"), frozenset({"-o"}))
    assert sub is not None and sub.value == "install"
    assert values(before) == ["-qq", "-o", "X=1", "--no-cache"]
    assert values(after) == ["-y", "git"]
    sub, _, after = subcommand(shell_words("+nightly install ripgrep"))
    assert sub is not None and sub.value == "install" and values(after) == ["ripgrep"]
    assert subcommand(shell_words("--version"))[0] is None


def test_is_commit_sha() -> None:
    assert is_commit_sha("0123456789abcdef0123456789abcdef01234567")
    assert is_commit_sha("0123456789ABCDEF0123456789abcdef01234567" + "0" * 24)
    assert not is_commit_sha("0123456")
    assert not is_commit_sha("v1.2.3")
    assert not is_commit_sha("0123456789abcdef0123456789abcdef0123456g")


# -- never raises ---------------------------------------------------------------------------

ODD_INPUTS = [
    "",
    " ",
    "\\",
    "'",
    '"',
    "`",
    "$",
    "$(",
    "${",
    "$((",
    "<(",
    "<<",
    "<<-",
    "2>",
    "&&&&",
    "||;;|",
    ")))(((",
    "echo 'unterminated",
    'echo "unterminated $(curl x',
    "echo $(unbalanced",
    "echo `unbalanced",
    "cat <<EOF",
    "cat <<",
    "bash -c",
    "sh -c ''",
    "sh -c '",
    "sudo",
    "sudo -u",
    "env -",
    "xargs -I",
    "$(" * 5000,
    '"$(' * 3000,
    "\x00\x01\ufeff\u2028",
    "a\r\nb\r\n",
]


@pytest.mark.parametrize("text", ODD_INPUTS, ids=range(len(ODD_INPUTS)))
def test_odd_inputs_never_raise(text: str) -> None:
    commands = parse_script(text)
    words = shell_words(text)
    for word in words:
        assert 0 <= word.start <= word.end <= len(text)
    for command in commands:
        assert isinstance(command, Command)
        for word in command.words:
            assert 0 <= word.start <= word.end <= len(text)


def test_random_inputs_never_raise() -> None:
    alphabet = [*"ab -'\"\\$(){}`|&;<>#\n\t=@:/0123456789", "$(", "<<EOF\n", "EOF\n", "sh -c ", "curl | sh"]
    rng = random.Random(20261129)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        for command in parse_script(text):
            for word in (*command.words, *command.assignments):
                assert 0 <= word.start <= word.end <= len(text), text
        shell_words(text)


# -- no assert as control flow (it vanishes under `python -O`) -------------------------------


def test_no_assertion_used_as_control_flow() -> None:
    import ast
    from pathlib import Path

    import pinlint

    package = Path(pinlint.__file__).parent
    catches, asserts = [], []
    for path in sorted(package.rglob("*.py")):
        where = str(path.relative_to(package))
        strict = path.parent.name == "shell" or path.name in ("model.py", "arguments.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and node.type and "AssertionError" in ast.unparse(node.type):
                catches.append(f"{where}:{node.lineno}")
            if isinstance(node, ast.Assert) and strict:
                asserts.append(f"{where}:{node.lineno}")
    assert catches == [], "AssertionError caught as control flow"
    assert asserts == [], "assert in the shell reader or the model"
