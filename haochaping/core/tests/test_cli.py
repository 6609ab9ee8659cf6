"""The `haochaping` command on a configuration error: the message alone, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HAOCHAPING_") and k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(  # noqa: S603  (our own command, fixed arguments)
        [sys.executable, "-m", "haochaping.cli", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", ["check", "migrate", "seed-demo"])
def test_missing_keys_outside_demo_mode_print_the_message_without_a_traceback(command):
    result = _run(command)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "HAOCHAPING_SECRET_KEY" in result.stderr
    assert "非演示模式必须设置" in result.stderr
    assert "HAOCHAPING_DEMO=1" in result.stderr


def test_a_malformed_variable_is_a_configuration_error_too():
    result = _run("check", HAOCHAPING_DEMO="1", HAOCHAPING_SECURE_COOKIES="maybe")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "配置错误：环境变量 HAOCHAPING_SECURE_COOKIES 应为布尔值" in result.stderr
