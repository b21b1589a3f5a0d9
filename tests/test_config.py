"""Settings are declared data; config.yaml documents every one; bad keys stop the start."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.config import ConfigError, load_config, settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented_in_config_yaml() -> None:
    text = (ROOT / "config.yaml").read_text()
    doc = yaml.safe_load(text)
    for section, key, field in settings():
        assert section in doc, f"section {section} missing from config.yaml"
        assert key in doc[section], f"{section}.{key} is not documented in config.yaml"
        assert field.metadata.get("help"), f"{section}.{key} has no help"
        # the line before the key is a comment
        lines = text.splitlines()
        idx = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:"))
        assert lines[idx - 1].strip().startswith("#"), f"{section}.{key} has no comment above it"


def test_config_yaml_values_are_the_defaults() -> None:
    from bot.config import Config

    assert load_config(ROOT / "config.yaml", env={}) == Config()


def test_unknown_key_names_the_key(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("retrieval:\n  top_kk: 3\n")
    with pytest.raises(ConfigError, match=r"retrieval\.top_kk"):
        load_config(p, env={})


def test_unknown_section_and_bad_value(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("nope:\n  a: 1\n")
    with pytest.raises(ConfigError, match="nope"):
        load_config(p, env={})
    p.write_text("web:\n  port: eighty\n")
    with pytest.raises(ConfigError, match=r"web\.port"):
        load_config(p, env={})
    p.write_text("app:\n  language: fr\n")
    with pytest.raises(ConfigError, match=r"app\.language"):
        load_config(p, env={})
    p.write_text("classifier:\n  labels:\n    - {name: q, action: shout}\n")
    with pytest.raises(ConfigError, match=r"classifier\.labels.*shout"):
        load_config(p, env={})
    for bad in ("[english]", "[eng]", "[EN]", "en"):
        p.write_text(f"classifier:\n  languages: {bad}\n")
        with pytest.raises(ConfigError, match=r"classifier\.languages"):
            load_config(p, env={})


def test_environment_overrides_one_key_and_data_dir(tmp_path: Path) -> None:
    cfg = load_config(ROOT / "config.yaml", env={"AFTERCARE_WEB__PORT": "9123", "AFTERCARE_DATA_DIR": str(tmp_path),
                                                 "AFTERCARE_APP__LANGUAGE": "ko"})
    assert cfg.web.port == 9123
    assert cfg.app.language == "ko"
    assert cfg.data_dir == tmp_path
    assert cfg.database_url == f"sqlite:///{tmp_path / 'aftercare.db'}"
    with pytest.raises(ConfigError, match=r"web\.port"):
        load_config(ROOT / "config.yaml", env={"AFTERCARE_WEB__PORT": "x"})
    with pytest.raises(ConfigError, match=r"web\.bogus"):
        load_config(ROOT / "config.yaml", env={"AFTERCARE_WEB__BOGUS": "1"})


def test_cli_stops_on_bad_config_with_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("database:\n  urll: x\n")
    assert main(["--config", str(p), "tickets", "list"]) == 2
    assert "database.urll" in capsys.readouterr().err
