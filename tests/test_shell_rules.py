"""The rules that read RUN and ADD instructions (PIN101–PIN104, PIN201–PIN208).

Most tests go through each rule's pure function over a shell string (`findings`) or a
source string (`git_problem`, `checksum_problem`); the end-to-end tests at the bottom parse
a Dockerfile and check exact positions.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

import pinlint.shell.parser
from pinlint.config import Config
from pinlint.engine import Selection, lint
from pinlint.model import Instruction
from pinlint.rules import pin101, pin102, pin103, pin104, pin201, pin202, pin203, pin204, pin205, pin206, pin207, pin208
from pinlint.shell import Command, parse_script, run_sources
from pinlint.sources.dockerfile import parse_dockerfile

SHA = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d"
SHELL_RULES = (pin103, pin201, pin202, pin203, pin204, pin205, pin206, pin207, pin208)


def found(rule: ModuleType, text: str) -> list[str]:
    """The offending words, as written in text, that a rule reports."""
    return [text[word.start : word.end] for word, _ in rule.findings(parse_script(text))]


def messages(rule: ModuleType, text: str) -> list[str]:
    return [message for _, message in rule.findings(parse_script(text))]


def test_rule_metadata() -> None:
    expected = {
        pin101: ("PIN101", "add-url-without-checksum", True, "warning"),
        pin102: ("PIN102", "unpinned-git-source", True, "warning"),
        pin103: ("PIN103", "pipe-to-shell", True, "warning"),
        pin104: ("PIN104", "unpinned-git-clone", False, "info"),
        pin201: ("PIN201", "unpinned-apt-package", False, "warning"),
        pin202: ("PIN202", "unpinned-apk-package", False, "warning"),
        pin203: ("PIN203", "unpinned-pip-package", False, "warning"),
        pin204: ("PIN204", "unpinned-npm-package", False, "warning"),
        pin205: ("PIN205", "unpinned-gem-package", False, "warning"),
        pin206: ("PIN206", "unpinned-go-package", False, "warning"),
        pin207: ("PIN207", "unpinned-dnf-yum-package", False, "warning"),
        pin208: ("PIN208", "unpinned-cargo-package", False, "warning"),
    }
    for rule, (code, name, default, severity) in expected.items():
        assert (rule.CODE, rule.NAME, rule.DEFAULT_ENABLED, rule.SEVERITY.label) == (code, name, default, severity)
        assert rule.FIX is None and ("instruction" if rule in (pin101, pin102) else "run") == rule.TARGET
        assert rule.SUMMARY and "\n" not in rule.SUMMARY and not rule.SUMMARY.endswith(".")


# -- PIN101 / PIN102: ADD sources -----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "remote"),
    [
        ("https://example.com/app.tar.gz", True),
        ("http://example.com/file", True),
        ("https://github.com/moby/buildkit", True),  # no .git: BuildKit downloads the page
        ("https://github.com/moby/buildkit.git#v0.13.0", False),
        ("git@github.com:moby/buildkit.git", False),
        ("./local/file", False),
        ("$URL", False),
        ("HTTPS://EXAMPLE.COM/x", False),  # BuildKit's test is case-sensitive: a local path
    ],
)
def test_pin101_remote_files(source: str, remote: bool) -> None:
    assert pin101.is_remote_file(source) is remote


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (DIGEST, True),
        ("sha512:" + "a" * 128, True),
        ("$CHECKSUM", True),
        ("sha256:abc", False),
        ("24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d", False),
        ("md5:d41d8cd98f00b204e9800998ecf8427e", False),
    ],
)
def test_pin101_checksum_values(value: str, ok: bool) -> None:
    assert (pin101.checksum_problem(value) is None) is ok


@pytest.mark.parametrize(
    ("url", "git"),
    [
        ("https://github.com/moby/buildkit.git", True),
        ("https://github.com/moby/buildkit.git#v0.13.0:docs", True),
        ("https://github.com/moby/buildkit.git?ref=v0.24.0", True),
        ("git@github.com:moby/buildkit.git#main", True),
        ("git://example.com/repo.git", True),
        ("ssh://git@example.com/repo.git", True),
        ("github.com/moby/buildkit", True),
        ("https://example.com/archive.tar.gz", False),
        ("https://example.com/repo.git.tar.gz", False),
        ("src/file.git", False),
        ("c:/path", False),
    ],
)
def test_pin102_git_sources(url: str, git: bool) -> None:
    assert pin102.is_git_source(url) is git


@pytest.mark.parametrize(
    ("url", "checksum", "message"),
    [
        (
            "https://github.com/moby/buildkit.git",
            None,
            "Git source 'https://github.com/moby/buildkit.git' is not pinned to a commit SHA",
        ),
        (
            "https://github.com/moby/buildkit.git#v0.13.0",
            None,
            "Git source 'https://github.com/moby/buildkit.git#v0.13.0' uses ref 'v0.13.0', not a full commit SHA",
        ),
        (
            "git@github.com:moby/buildkit.git#main:frontend",
            None,
            "Git source 'git@github.com:moby/buildkit.git#main:frontend' uses ref 'main', not a full commit SHA",
        ),
        (
            "https://github.com/moby/buildkit.git?tag=v0.24.0&subdir=docs",
            None,
            "Git source 'https://github.com/moby/buildkit.git?tag=v0.24.0&subdir=docs' uses ref 'v0.24.0', not a full commit SHA",  # noqa: E501
        ),
        (
            "https://github.com/moby/buildkit.git#0123456",
            None,
            "Git source 'https://github.com/moby/buildkit.git#0123456' uses ref '0123456', not a full commit SHA",
        ),
        (
            "https://github.com/moby/buildkit.git#v0.13.0",
            "0123456",
            "Git source 'https://github.com/moby/buildkit.git#v0.13.0' uses ref 'v0.13.0', not a full commit SHA",
        ),
        (f"https://github.com/moby/buildkit.git#{SHA}", None, None),
        (f"https://github.com/moby/buildkit.git#{SHA}:frontend", None, None),
        (f"https://github.com/moby/buildkit.git?ref={SHA}", None, None),
        (f"https://github.com/moby/buildkit.git?ref=v0.24.0&checksum={SHA}", None, None),
        (f"https://github.com/moby/buildkit.git?commit={SHA}", None, None),
        ("https://github.com/moby/buildkit.git#v0.13.0", SHA, None),
        ("https://github.com/moby/buildkit.git#${REF}", None, None),
        ("https://github.com/moby/buildkit.git", "$COMMIT", None),
        ("https://example.com/file.tar.gz", None, None),
    ],
)
def test_pin102_git_problem(url: str, checksum: str | None, message: str | None) -> None:
    assert pin102.git_problem(url, checksum) == message


# -- PIN103 pipe-to-shell -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words", "message"),
    [
        ("curl -fsSL https://get.docker.com | sh", ["curl"], "Output of 'curl' is piped into 'sh'"),
        ("curl -sSL https://x/i.sh | bash -s -- --yes", ["curl"], "Output of 'curl' is piped into 'bash'"),
        ("wget -qO- https://x/i.sh | sudo -E bash -", ["wget"], "Output of 'wget' is piped into 'bash'"),
        ("curl -sL https://x | zsh", ["curl"], "Output of 'curl' is piped into 'zsh'"),
        (
            "curl -sSL https://install.python-poetry.org | python3 -",
            ["curl"],
            "Output of 'curl' is piped into 'python3'",
        ),
        ("curl -s https://x | tee /tmp/i.sh | /bin/sh", ["curl"], "Output of 'curl' is piped into 'sh'"),
        ("curl -s https://x | gunzip | bash", ["curl"], "Output of 'curl' is piped into 'bash'"),
        ("set -eux; (curl -s https://x) | sh", ["curl"], "Output of 'curl' is piped into 'sh'"),
        ('sh -c "$(curl -fsSL https://x/install.sh)"', ["curl"], "Output of 'curl' is run by 'sh'"),
        ("sh -c $(curl -fsSL https://x/install.sh)", ["curl"], "Output of 'curl' is run by 'sh'"),
        ('bash -c "$(wget -qO- https://x)" -- --unattended', ["wget"], "Output of 'wget' is run by 'bash'"),
        ('python3 -c "$(curl -s https://x/get.py)"', ["curl"], "Output of 'curl' is run by 'python3'"),
        ("bash <(curl -s https://x/i.sh)", ["curl"], "Output of 'curl' is run by 'bash'"),
        ("bash < <(curl -s https://x/i.sh)", ["curl"], "Output of 'curl' is run by 'bash'"),
        (". <(curl -s https://x/env.sh)", ["curl"], "Output of 'curl' is run by '.'"),
        ('eval "$(curl -s https://x/env)"', ["curl"], "Output of 'curl' is run by 'eval'"),
        ("$(curl -s https://x/cmd)", ["curl"], "Output of 'curl' is run as a command"),
        ("bash -c 'curl -s https://x | sh'", ["curl"], "Output of 'curl' is piped into 'sh'"),
        ("busybox wget -O- https://x | busybox sh", ["wget"], "Output of 'wget' is piped into 'sh'"),
        # interpreters reading the program from stdin, with arguments for it (issue 13)
        (
            "curl -sS https://getcomposer.org/installer | php -- --install-dir=/usr/local/bin --filename=composer",
            ["curl"],
            "Output of 'curl' is piped into 'php'",
        ),
        ("curl -sS https://getcomposer.org/installer | php7 -- --install-dir=/usr/bin", ["curl"], "Output of 'curl' is piped into 'php7'"),  # noqa: E501
        ("curl -sS https://getcomposer.org/installer | php7.4", ["curl"], "Output of 'curl' is piped into 'php7.4'"),
        ("curl https://bootstrap.pypa.io/get-pip.py | python - --user", ["curl"], "Output of 'curl' is piped into 'python'"),  # noqa: E501
        ("curl -sSf https://sh.rustup.rs | sh -s -- -y", ["curl"], "Output of 'curl' is piped into 'sh'"),
        ("curl -o- -L https://yarnpkg.com/install.sh | bash -s --", ["curl"], "Output of 'curl' is piped into 'bash'"),
        ("curl -sSL https://get.rvm.io | bash -s stable", ["curl"], "Output of 'curl' is piped into 'bash'"),
        ("curl -sSL https://dot.net/v1/dotnet-install.sh | bash /dev/stdin --channel 8.0", ["curl"], "Output of 'curl' is piped into 'bash'"),  # noqa: E501
        ("wget -nv -O- https://download.calibre-ebook.com/linux-installer.sh | sh /dev/stdin", ["wget"], "Output of 'wget' is piped into 'sh'"),  # noqa: E501
        ("curl -sS https://x/get.py | python3 /dev/stdin --break-system-packages", ["curl"], "Output of 'curl' is piped into 'python3'"),  # noqa: E501
        # where the download goes: stdout, unless a file is named for every URL
        ("curl -sSLo- https://x | sh", ["curl"], "Output of 'curl' is piped into 'sh'"),
        ("curl -s -o /dev/stdout https://x | sh", ["curl"], "Output of 'curl' is piped into 'sh'"),
        ("curl -o /tmp/a https://x/a https://x/i.sh | sh", ["curl"], "Output of 'curl' is piped into 'sh'"),
        ("wget --quiet https://get.symfony.com/cli/installer -O - | bash", ["wget"], "Output of 'wget' is piped into 'bash'"),  # noqa: E501
        ("wget --output-document=- https://x | sh", ["wget"], "Output of 'wget' is piped into 'sh'"),
    ],
)
def test_pin103_reports(text: str, words: list[str], message: str) -> None:
    assert found(pin103, text) == words
    assert messages(pin103, text) == [message]


@pytest.mark.parametrize(
    "text",
    [
        "curl -fsSL -o /tmp/install.sh https://x/install.sh && sh /tmp/install.sh",
        "curl -s https://api.github.com/repos/x/y/releases/latest | python3 -c 'import json,sys; print(json.load(sys.stdin))'",  # noqa: E501
        "curl -s https://x/data.json | jq -r .version",
        "curl -sL https://x/app.tgz | tar xz -C /opt",
        "curl -s https://x | python3 -m json.tool",
        "curl -s https://x | sh -c 'cat > /tmp/f'",
        "curl -s https://x | bash /tmp/local-script.sh",
        'echo "$(curl -s https://x/version)" > /VERSION',
        "VERSION=$(curl -s https://x/version) && echo $VERSION",
        "diff <(curl -s https://a) <(curl -s https://b)",
        "python3 script.py <(curl -s https://x/data)",
        "echo 'curl -s https://x | sh' > /usr/local/bin/update",
        "command -v curl | sh",
        "wget https://x/i.sh && bash i.sh",
        "curl -s https://x/composer-setup.php | php -r 'echo 1;' -- --quiet",
        "curl -s https://x/lines | php -R 'echo strtoupper($argn);'",
        "curl -s https://x/data | php -f local.php -- --input=-",
        "curl -s https://x | phpize",
        "curl -s https://x | bash -- /tmp/local.sh --flag",
        # the download is saved to a file: nothing reaches the pipe
        "curl -fsSL -o /usr/local/bin/drush https://github.com/drush-ops/drush/releases/download/8.4.12/drush.phar | bash",  # noqa: E501
        "curl -fsSLO https://x/i.sh | sh",
        "curl --remote-name-all https://x/a.sh https://x/b.sh | sh",
        "curl -o /tmp/a https://x/a -o /tmp/b https://x/b | sh",
        "wget https://x/i.sh | sh",
        "wget -q -O /tmp/i.sh https://x/i.sh | sh",
        'sh -c "$(curl -fsSL -o /tmp/i.sh https://x/i.sh)"',
    ],
)
def test_pin103_passes(text: str) -> None:
    assert found(pin103, text) == []


# -- PIN104 unpinned-git-clone --------------------------------------------------------------


def clones(*scripts: str) -> list[tuple[int, str]]:
    parsed = [parse_script(s) for s in scripts]
    return [(n, word.value) for n, word, _ in pin104.findings(parsed)]


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("git clone https://github.com/a/b.git", ["https://github.com/a/b.git"]),
        ("git clone --depth 1 --branch v1.2.3 https://github.com/a/b.git /src", ["https://github.com/a/b.git"]),
        ("git clone https://github.com/a/b.git /b && cd /b && git checkout v1.0", ["https://github.com/a/b.git"]),
        ("git clone https://github.com/a/b.git && git checkout 0123456", ["https://github.com/a/b.git"]),
        ("git -c http.sslVerify=false clone -q git@github.com:a/b.git", ["git@github.com:a/b.git"]),
        (
            f"git clone https://x/a.git && git -C a checkout {SHA} && git clone https://x/b.git",
            ["https://x/b.git"],
        ),
        ("git clone $REPO_URL /src", ["$REPO_URL"]),
    ],
)
def test_pin104_reports(text: str, urls: list[str]) -> None:
    assert clones(text) == [(0, url) for url in urls]


@pytest.mark.parametrize(
    "text",
    [
        f"git clone https://github.com/a/b.git /b && cd /b && git checkout {SHA}",
        f"git clone https://github.com/a/b.git /b && git -C /b reset --hard {SHA}",
        f"git clone --depth 1 https://x/b.git && cd b && git fetch --depth 1 origin {SHA} && git checkout FETCH_HEAD",
        f"git clone --revision={SHA} https://x/b.git",
        'git clone https://x/b.git && cd b && git checkout "$COMMIT"',
        f"git clone https://x/b.git && git -C b switch --detach {SHA}",
        f"git clone https://x/a.git && git clone https://x/b.git && git -C a checkout {SHA} && git -C b checkout {SHA}",
        "git checkout -b feature",
        "git log --oneline",
    ],
)
def test_pin104_passes(text: str) -> None:
    assert clones(text) == []


def test_pin104_checkout_in_a_later_script_of_the_same_run() -> None:
    assert clones("git clone https://x/a.git /a", f"cd /a && git checkout {SHA}") == []
    assert clones(f"git checkout {SHA}", "git clone https://x/a.git /a") == [(1, "https://x/a.git")]


# -- PIN201 apt -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("apt-get install -y curl=7.88.1-10+deb12u5 git", ["git"]),
        (
            "apt-get update && apt-get install -y --no-install-recommends ca-certificates curl",
            ["ca-certificates", "curl"],
        ),
        ("apt-get -qq -o Dpkg::Options::=--force-confold install -y vim", ["vim"]),
        ("apt install -y 'python3-pip'", ["'python3-pip'"]),
        ("sudo DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata", ["tzdata"]),
        ("apt-get install -y -t bookworm-backports golang/bookworm-backports", ["golang/bookworm-backports"]),
        ("aptitude install -y htop", ["htop"]),
        ("if true; then apt-get install -y jq; fi", ["jq"]),
    ],
)
def test_pin201_reports(text: str, words: list[str]) -> None:
    assert found(pin201, text) == words


@pytest.mark.parametrize(
    "text",
    [
        "apt-get install -y curl=7.88.1-10 git=1:2.39.2-1.1 'libssl3=3.0.*'",
        "apt-get update",
        "apt-get install -y ./package.deb /tmp/other.deb",
        "apt-get install -y $PACKAGES",
        'apt-get install -y "python3=${PY_VERSION}"',
        "apt-get remove -y curl",
        "apt-get install -y nano-",
        "apt-cache policy curl",
        "echo apt-get install curl",
    ],
)
def test_pin201_passes(text: str) -> None:
    assert found(pin201, text) == []


def test_pin201_message() -> None:
    assert messages(pin201, "apt-get install -y curl=7.88 git") == [
        "Package 'git' is installed without a version (apt-get install)"
    ]
    assert messages(pin201, "apt install jq") == ["Package 'jq' is installed without a version (apt install)"]


# -- PIN202 apk -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("apk add --no-cache curl=8.9.1-r0 bash", ["bash"]),
        ("apk --no-cache add ca-certificates", ["ca-certificates"]),
        ("apk add --no-cache --virtual .build-deps gcc musl-dev=1.2.5-r0", ["gcc"]),
        ("apk add -t .deps -X https://dl-cdn.alpinelinux.org/alpine/edge/testing hub@testing", ["hub@testing"]),
        ("apk update && apk upgrade && apk add git", ["git"]),
    ],
)
def test_pin202_reports(text: str, words: list[str]) -> None:
    assert found(pin202, text) == words


@pytest.mark.parametrize(
    "text",
    [
        "apk add --no-cache curl=8.9.1-r0 'bash~5.2' 'python3>3.11' 'openssl<4'",
        "apk add --no-cache --virtual .build-deps",
        "apk add --allow-untrusted /tmp/custom.apk ./other.apk",
        "apk add $PKGS",
        "apk del curl",
        "apk upgrade",
    ],
)
def test_pin202_passes(text: str) -> None:
    assert found(pin202, text) == []


def test_pin202_message() -> None:
    assert messages(pin202, "apk add bash") == ["Package 'bash' is installed without a version (apk add)"]


# -- PIN203 pip -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("pip install flask requests==2.31.0", ["flask"]),
        ("pip3 install --no-cache-dir 'django>=4.2,<5'", ["'django>=4.2,<5'"]),
        ("python3 -m pip install -U setuptools wheel", ["setuptools", "wheel"]),
        ("python -m pip install 'uvicorn[standard]'", ["'uvicorn[standard]'"]),
        ("/usr/local/bin/pip3.12 install --user black~=24.1", ["black~=24.1"]),
        ("uv pip install --system ruff", ["ruff"]),
        ("pip install -i https://pypi.org/simple -t /opt/lib numpy", ["numpy"]),
        ("pip install 'pandas==2.*'", ["'pandas==2.*'"]),
        ("pip install git+https://github.com/psf/black.git@24.1.0", ["git+https://github.com/psf/black.git@24.1.0"]),
        ('pip install "black @ git+https://github.com/psf/black"', ['"black @ git+https://github.com/psf/black"']),
        ("pip install flask>=2", ["flask"]),  # the shell reads `>=2` as a redirection
        ("pip install --upgrade pip setuptools", ["setuptools"]),
        ("pip install pip", ["pip"]),
    ],
)
def test_pin203_reports(text: str, words: list[str]) -> None:
    assert found(pin203, text) == words


@pytest.mark.parametrize(
    "text",
    [
        "pip install flask==3.0.2 'requests[socks]==2.31.0' 'attrs===23.2.0'",
        "pip install -r requirements.txt -c constraints.txt",
        "pip install --requirement=requirements.txt",
        "pip install -e . && pip install --editable ./lib",
        "pip install . ./src /opt/pkg ~/pkg",
        "pip install dist/app-1.0-py3-none-any.whl app-1.0.tar.gz",
        "pip install https://files.example.com/app-1.0.tar.gz",
        f"pip install git+https://github.com/psf/black.git@{SHA}#egg=black",
        f'pip install "black @ git+https://github.com/psf/black@{SHA}"',
        "pip install 'black @ https://example.com/black-24.1.0-py3-none-any.whl'",
        'pip install "flask==${FLASK_VERSION}" $EXTRA_PACKAGES',
        "pip install --upgrade pip",
        "python3 -m pip install -U pip",
        "pip download flask",
        "pip freeze > requirements.txt",
        "python3 -m venv /venv",
        "python3 setup.py install",
        "uv sync --frozen",
    ],
)
def test_pin203_passes(text: str) -> None:
    assert found(pin203, text) == []


def test_pin203_messages() -> None:
    assert messages(pin203, "pip install flask 'django>=4' git+https://x/y.git") == [
        "Package 'flask' is installed without a version (pip install)",
        "Package 'django>=4' is installed without an exact version (pip install)",
        "Package 'git+https://x/y.git' is installed without a commit SHA (pip install)",
    ]
    assert messages(pin203, "python3 -m pip install x") == [
        "Package 'x' is installed without a version (python3 -m pip install)"
    ]


# -- PIN204 npm / yarn / pnpm ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("npm install -g typescript@5.4.5 yarn", ["yarn"]),
        ("npm i -g @angular/cli", ["@angular/cli"]),
        ("npm install --save-dev @types/node@^20 eslint@latest", ["@types/node@^20", "eslint@latest"]),
        ("npm add lodash@4", ["lodash@4"]),
        ("yarn global add pm2", ["pm2"]),
        ("yarn add react@~18.2.0", ["react@~18.2.0"]),
        ("pnpm add -g --filter web zx", ["zx"]),
        ("npm install github:user/repo#main", ["github:user/repo#main"]),
        ("npm install user/repo", ["user/repo"]),
        ("npm install --prefix /opt/app express", ["express"]),
    ],
)
def test_pin204_reports(text: str, words: list[str]) -> None:
    assert found(pin204, text) == words


@pytest.mark.parametrize(
    "text",
    [
        "npm install",
        "npm ci --omit=dev",
        "npm install --production",
        "npm install -g typescript@5.4.5 @angular/cli@17.3.0 pnpm@v9.1.0 npm@=10.5.0",
        "npm install ./local-pkg /tmp/pkg.tgz file:../shared",
        "npm install https://registry.example.com/pkg-1.0.0.tgz",
        f"npm install github:user/repo#{SHA}",
        f"npm install git+https://github.com/user/repo.git#{SHA}",
        "npm install lodash-es@npm:lodash@4.17.21",
        "npm install -g npm@$NPM_VERSION",
        "yarn install --frozen-lockfile",
        "yarn add @scope/pkg@1.2.3-beta.1",
        "pnpm install --frozen-lockfile",
        "npm run build",
        "npx create-react-app app",
    ],
)
def test_pin204_passes(text: str) -> None:
    assert found(pin204, text) == []


def test_pin204_messages() -> None:
    assert messages(pin204, "npm i -g yarn eslint@latest") == [
        "Package 'yarn' is installed without a version (npm i)",
        "Package 'eslint@latest' is installed without an exact version (npm i)",
    ]
    assert messages(pin204, "yarn global add pm2") == ["Package 'pm2' is installed without a version (yarn global add)"]


# -- PIN205 gem -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("gem install bundler", ["bundler"]),
        ("gem install --no-document rails nokogiri", ["rails", "nokogiri"]),
        ("gem install rails -v '~> 7.1'", ["rails"]),
        ("gem install 'rails:>=7'", ["'rails:>=7'"]),
        ("gem install --install-dir /opt/gems puma", ["puma"]),
    ],
)
def test_pin205_reports(text: str, words: list[str]) -> None:
    assert found(pin205, text) == words


@pytest.mark.parametrize(
    "text",
    [
        "gem install bundler -v 2.5.6",
        "gem install bundler --version=2.5.6",
        "gem install --no-document rails:7.1.3 'nokogiri:1.16.2'",
        'gem install bundler -v "$BUNDLER_VERSION"',
        "gem install ./vendor/app-1.0.gem",
        "gem install nokogiri -v 1.16.2 -- --use-system-libraries",
        "gem update --system 3.5.6",
        "gem install $GEMS",
        "gem install --file Gemfile && gem install -g",
    ],
)
def test_pin205_passes(text: str) -> None:
    assert found(pin205, text) == []


def test_pin205_messages() -> None:
    assert messages(pin205, "gem install bundler && gem install rails -v '>= 7'") == [
        "Package 'bundler' is installed without a version (gem install)",
        "Package 'rails' is installed without an exact version (gem install)",
    ]


# -- PIN206 go ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("go install golang.org/x/tools/gopls@latest", ["golang.org/x/tools/gopls@latest"]),
        (
            "go install github.com/a/b/cmd/c@master github.com/d/e@main",
            ["github.com/a/b/cmd/c@master", "github.com/d/e@main"],
        ),
        ("go install github.com/go-delve/delve/cmd/dlv", ["github.com/go-delve/delve/cmd/dlv"]),
        ("go get -u github.com/a/b@v1", ["github.com/a/b@v1"]),
        (
            "CGO_ENABLED=0 go install -ldflags '-s -w' -trimpath honnef.co/go/tools/cmd/staticcheck@2023.1",
            ["honnef.co/go/tools/cmd/staticcheck@2023.1"],
        ),
        ("go install github.com/a/b@abc1234", ["github.com/a/b@abc1234"]),
    ],
)
def test_pin206_reports(text: str, words: list[str]) -> None:
    assert found(pin206, text) == words


@pytest.mark.parametrize(
    "text",
    [
        "go install golang.org/x/tools/gopls@v0.15.3",
        "go install github.com/a/b@v0.0.0-20240101120000-abcdef123456",
        f"go install github.com/a/b@{SHA}",
        "go install ./... && go install ./cmd/app",
        "go install -ldflags=-s -o /bin/app .",
        "go install std cmd",
        "go get github.com/a/b@none",
        "go install github.com/a/b@${VERSION}",
        "go build -o /app ./cmd/app",
        "go mod download",
    ],
)
def test_pin206_passes(text: str) -> None:
    assert found(pin206, text) == []


def test_pin206_messages() -> None:
    assert messages(pin206, "go install x.io/a@latest && go get x.io/b") == [
        "Package 'x.io/a@latest' is installed without an exact version (go install)",
        "Package 'x.io/b' is installed without a version (go get)",
    ]


# -- PIN207 dnf / yum -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("dnf install -y httpd-2.4.57-5.el9 mod_ssl", ["mod_ssl"]),
        ("yum -y install java-17-openjdk", ["java-17-openjdk"]),
        ("microdnf install --setopt=install_weak_deps=0 -y python3.11", ["python3.11"]),
        ("tdnf install -y gcc-toolset-12", ["gcc-toolset-12"]),
        ("dnf --enablerepo crb install -y ninja-build", ["ninja-build"]),
        ("dnf5 install -y git", ["git"]),
    ],
)
def test_pin207_reports(text: str, words: list[str]) -> None:
    assert found(pin207, text) == words


@pytest.mark.parametrize(
    "text",
    [
        "dnf install -y httpd-2.4.57 python3-pip-21.3.1-0.el9 nodejs-1:18.19.0-1.module+el9.3.0+1.x86_64",
        "yum install -y java-17-openjdk-17.0.9.0.9-3.el9 tzdata-2024a 'curl-7.76*'",
        "dnf install -y @development-tools @nodejs:20",
        "dnf install -y /tmp/pkg.rpm https://example.com/pkg.rpm",
        "dnf install -y 'pkgconfig(zlib)' /usr/bin/make",
        "dnf install -y $PACKAGES",
        "dnf clean all && yum update -y",
    ],
)
def test_pin207_passes(text: str) -> None:
    assert found(pin207, text) == []


def test_pin207_message() -> None:
    assert messages(pin207, "yum install -y git") == ["Package 'git' is installed without a version (yum install)"]


# -- PIN208 cargo ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("cargo install ripgrep", ["ripgrep"]),
        ("cargo install --locked cargo-watch fd-find@9.0.0", ["cargo-watch"]),
        ("cargo +nightly install --version ^0.5 wasm-bindgen-cli", ["wasm-bindgen-cli"]),
        ("cargo install sqlx-cli@0.7", ["sqlx-cli@0.7"]),
        ("cargo install --git https://github.com/x/y --tag v1.0 y", ["https://github.com/x/y"]),
        ("cargo install --git=https://github.com/x/y", ["--git=https://github.com/x/y"]),
    ],
)
def test_pin208_reports(text: str, words: list[str]) -> None:
    assert found(pin208, text) == words


@pytest.mark.parametrize(
    "text",
    [
        "cargo install ripgrep@14.1.0 --locked",
        "cargo install --version 14.1.0 ripgrep",
        "cargo install --vers =0.2.92 wasm-bindgen-cli",
        "cargo install --path . && cargo install --path crates/cli",
        f"cargo install --git https://github.com/x/y --rev {SHA} y",
        'cargo install ripgrep --version "$RG_VERSION"',
        "cargo build --release",
        "cargo install",
    ],
)
def test_pin208_passes(text: str) -> None:
    assert found(pin208, text) == []


def test_pin208_messages() -> None:
    assert messages(pin208, "cargo install ripgrep sqlx-cli@^0.7 --git https://x/y") == [
        "Git source 'https://x/y' is installed without a commit SHA (cargo install)"
    ]
    assert messages(pin208, "cargo install ripgrep sqlx-cli@^0.7") == [
        "Package 'ripgrep' is installed without a version (cargo install)",
        "Package 'sqlx-cli@^0.7' is installed without an exact version (cargo install)",
    ]


# -- every shell rule on odd input: what its complete parts deserve, nothing else -----------


ODD_INPUTS: list[tuple[str, dict[str, list[str]]]] = [
    ("", {}),
    ("'", {}),
    ("apt-get install 'unterminated", {"PIN201": ["'unterminated"]}),  # an open quote takes the rest
    ("pip install $(", {}),  # a word whose value is unknown is not judged
    ("npm i `", {}),
    ("sh -c", {}),
    ("| sh", {}),  # a pipe from nothing
    ("curl |", {}),  # a pipe into nothing
    ("gem install -v", {}),  # an option without its value
    ("curl -s https://x | sh -s 'unterminated", {"PIN103": ["curl"]}),
    ("pip install flask $(", {"PIN203": ["flask"]}),
    ("gem install rails -v", {"PIN205": ["rails"]}),
    ("npm i -g yarn `", {"PIN204": ["yarn"]}),
]


@pytest.mark.parametrize("rule", SHELL_RULES, ids=lambda r: r.CODE)
@pytest.mark.parametrize(("text", "expected"), ODD_INPUTS, ids=range(len(ODD_INPUTS)))
def test_shell_rules_on_odd_input(rule: ModuleType, text: str, expected: dict[str, list[str]]) -> None:
    """Broken shell text gives exactly the findings its complete parts deserve, at words inside the text."""
    results = list(rule.findings(parse_script(text)))
    for word, message in results:
        assert 0 <= word.start < word.end <= len(text), (word, text)
        assert message.startswith(("Output of", "Package")), message
    assert [text[word.start : word.end] for word, _ in results] == expected.get(rule.CODE, [])


# -- end to end: Dockerfile text to findings with positions ---------------------------------

BASE = f"FROM alpine:3.20@sha256:{'0' * 64}\n"


def run_rule(rule: ModuleType, text: str) -> list[str]:
    """What the engine reports for one rule over a Dockerfile, with spans and the text they cover."""
    facts = parse_dockerfile(text, "Dockerfile")
    assert not facts.errors, facts.errors
    diagnostics = lint(facts, Config(root=Path(".")), frozenset({rule.CODE}))
    out = []
    for diagnostic in diagnostics:
        span = diagnostic.span
        written = text[span.start : span.end]
        out.append(f"{span.line}:{span.column}-{span.end_line}:{span.end_column} {written} | {diagnostic.message}")
    return out


def test_e2e_apt_across_continuation_lines() -> None:
    text = BASE + (
        "RUN apt-get update \\\n"
        "    && apt-get install -y --no-install-recommends \\\n"
        "        curl=7.88.1-10 \\\n"
        "        # a comment line inside the continuation\n"
        "        git \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
    )
    assert run_rule(pin201, text) == [
        "6:9-6:12 git | Package 'git' is installed without a version (apt-get install)",
    ]


def test_e2e_token_split_across_lines() -> None:
    text = BASE + "RUN apk add --no-cache ba\\\nsh\n"
    assert run_rule(pin202, text) == ["2:24-3:3 ba\\\nsh | Package 'bash' is installed without a version (apk add)"]


def test_e2e_pipe_to_shell_in_heredoc() -> None:
    text = BASE + (
        "RUN <<EOF\n"
        "set -eux\n"
        "  curl -fsSL https://get.docker.com | sh\n"
        "EOF\n"
        "RUN bash -ex <<'SCRIPT'\n"
        "wget -qO- https://x/i.sh | bash\n"
        "SCRIPT\n"
        "RUN cat <<EOF > /usr/local/bin/update\n"
        "curl -fsSL https://x | sh\n"
        "EOF\n"
        "RUN python3 <<EOF\n"
        "import os; os.system('curl -s https://x | sh')\n"
        "EOF\n"
    )
    assert run_rule(pin103, text) == [
        "4:3-4:7 curl | Output of 'curl' is piped into 'sh'",
        "7:1-7:5 wget | Output of 'wget' is piped into 'bash'",
    ]


def test_e2e_heredoc_next_to_a_command() -> None:
    text = BASE + "RUN cat <<EOF > /etc/motd && pip install flask\nhello\nEOF\n"
    assert run_rule(pin203, text) == ["2:42-2:47 flask | Package 'flask' is installed without a version (pip install)"]


def test_e2e_exec_form_shell_string() -> None:
    text = BASE + 'RUN ["/bin/sh", "-c", "npm i -g \\"yarn\\" && pip install x==1"]\n'
    assert run_rule(pin204, text) == [
        "2:33-2:41 \\\"yarn\\\" | Package 'yarn' is installed without a version (npm i)",
    ]
    assert run_rule(pin203, BASE + 'RUN ["pip", "install", "flask"]\n') == []


def test_e2e_onbuild_and_sh_c() -> None:
    text = BASE + "ONBUILD RUN sh -c 'gem install rails'\n"
    assert run_rule(pin205, text) == ["2:32-2:37 rails | Package 'rails' is installed without a version (gem install)"]


def test_e2e_git_clone() -> None:
    text = BASE + (
        "RUN git clone --depth 1 https://github.com/a/b.git /src \\\n"
        "    && cd /src && git checkout v1.2.3\n"
        f"RUN git clone https://github.com/a/c.git /c && git -C /c checkout {SHA}\n"
    )
    assert run_rule(pin104, text) == [
        "2:25-2:51 https://github.com/a/b.git | Repository 'https://github.com/a/b.git' is cloned without checking out a commit SHA",  # noqa: E501
    ]


def test_e2e_add_url_and_git() -> None:
    text = BASE + (
        "ADD https://example.com/app.tgz /opt/\n"
        f"ADD --checksum={DIGEST} https://example.com/ok.tgz /opt/\n"
        "ADD --checksum=sha256:abc https://example.com/bad.tgz /opt/\n"
        'ADD ["https://example.com/json.tgz", "/opt/"]\n'
        "ADD --keep-git-dir=true https://github.com/moby/buildkit.git#v0.13.0 /bk\n"
        f"ADD https://github.com/moby/buildkit.git#{SHA} /bk\n"
        "ADD <<EOF /opt/notes\nhttps://example.com/not-a-source\nEOF\n"
        "COPY https.txt /opt/\n"
    )
    assert run_rule(pin101, text) == [
        "2:5-2:32 https://example.com/app.tgz | Remote file 'https://example.com/app.tgz' is added without a checksum",
        "4:5-4:26 --checksum=sha256:abc | Checksum 'sha256:abc' is not a full sha256 digest",
        "5:6-5:36 \"https://example.com/json.tgz\" | Remote file 'https://example.com/json.tgz' is added without a checksum",  # noqa: E501
    ]
    assert run_rule(pin102, text) == [
        "6:25-6:69 https://github.com/moby/buildkit.git#v0.13.0 | Git source 'https://github.com/moby/buildkit.git#v0.13.0' uses ref 'v0.13.0', not a full commit SHA",  # noqa: E501
    ]


def test_run_sources_only_for_run() -> None:
    facts = parse_dockerfile(BASE + "CMD curl -s https://x | sh\nRUN echo hi\n", "Dockerfile")
    cmd, run = facts.instructions[1:]
    assert run_sources(cmd) == ()
    assert [s.text for s in run_sources(run)] == ["echo hi"]


def test_run_sources_heredoc_shebang() -> None:
    text = BASE + "RUN <<EOF\n#!/usr/bin/env python3\nprint('curl -s x | sh')\nEOF\n"
    instruction: Instruction = parse_dockerfile(text, "Dockerfile").instructions[1]
    assert [s.text for s in run_sources(instruction)] == ["<<EOF"]


# -- the engine parses each RUN once, whatever the number of shell rules ---------------------


def test_each_run_is_parsed_once_for_every_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    original = pinlint.shell.parser.parse_script
    parsed: list[str] = []

    def counting(text: str) -> tuple[Command, ...]:
        parsed.append(text)
        return original(text)

    for name, module in list(sys.modules.items()):  # every module that holds the function by name
        if name.startswith("pinlint") and getattr(module, "parse_script", None) is original:
            monkeypatch.setattr(module, "parse_script", counting)
    runs = "".join(f"RUN apk add curl && curl -s https://x/{n} | sh\n" for n in range(10))
    text = BASE + runs + "RUN <<EOF\npip install flask\nEOF\n"
    facts = parse_dockerfile(text, "Dockerfile")
    config = Config(root=Path("."))
    every_rule = Selection.build(config, select=["ALL"]).enabled
    assert {"PIN103", "PIN104", *(f"PIN20{n}" for n in range(1, 9))} <= every_rule
    diagnostics = lint(facts, config, every_rule)
    scripts = [line[4:] for line in runs.splitlines()] + ["<<EOF", "pip install flask\n"]
    assert sorted(parsed) == sorted(scripts), "each script of each RUN parsed exactly once"
    codes = [d.code for d in diagnostics]
    assert codes.count("PIN103") == 10 and codes.count("PIN202") == 10 and codes.count("PIN203") == 1
