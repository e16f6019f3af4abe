"""The one-server deployment files: the systemd unit is valid and runs a command manyi accepts,
and the nginx site agrees with it."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from manyi.cli import build_parser
from manyi.cli.common import EXIT_PROBLEMS
from manyi.proxy import parse_trusted

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "one-server" / "manyi.service"
NGINX_SITE = ROOT / "deploy" / "one-server" / "nginx-manyi.conf"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def exec_start() -> list[str]:
    return shlex.split(unit()["Service"]["ExecStart"])


def test_systemd_analyze_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    manyi = shutil.which("manyi")
    if analyze is None or manyi is None:
        pytest.fail("systemd-analyze and the manyi script are installed by scripts/setup.sh")
    # The unit names the virtual environment of docs/operations.md; here manyi is elsewhere.
    text = UNIT.read_text(encoding="utf-8").replace(exec_start()[0], manyi)
    (tmp_path / "manyi.service").write_text(text, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", str(tmp_path / "manyi.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "manyi.service" not in done.stderr, done.stderr


def test_the_units_command_is_one_manyi_serve_accepts() -> None:
    command = exec_start()
    assert command[0] == "/opt/manyi/venv/bin/manyi"
    args = build_parser().parse_args(command[1:])
    assert args.command == "serve"
    service = unit()["Service"]
    # The data folder is the one systemd makes for the service user.
    assert args.data == f"/var/lib/{service['StateDirectory']}"
    assert service["WorkingDirectory"] == args.data
    assert args.host == "127.0.0.1"
    assert [str(n) for n in parse_trusted(args.trusted_proxy)] == ["127.0.0.1/32"]
    # Restarted after a crash or kill -9, not after a problem only a person can fix.
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == str(EXIT_PROBLEMS)
    assert unit()["Install"]["WantedBy"] == "multi-user.target"


def test_nginx_forwards_to_where_the_unit_listens_and_sets_the_address_headers() -> None:
    site = NGINX_SITE.read_text(encoding="utf-8")
    args = build_parser().parse_args(exec_start()[1:])
    assert re.findall(r"^\s*server (\S+);", site, re.MULTILINE) == [f"{args.host}:{args.port}"]
    assert "proxy_set_header X-Real-IP $remote_addr;" in site
    # Replaced, never appended ($proxy_add_x_forwarded_for would keep what a client sent).
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "$proxy_add_x_forwarded_for" not in site
    assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in site
    assert re.search(r"^\s*access_log off;", site, re.MULTILINE)
