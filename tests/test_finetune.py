"""``aftercare model tune``: fine-tune the encoder on a tiny KB, keep or adopt it; the app then serves with it."""

from __future__ import annotations

import json
from pathlib import Path

from bot.app import Aftercare
from bot.cli import main
from tests.conftest import make_config
from tests.test_eval import CASES, EXAMPLES


def _tune(capsys, *extra: str) -> str:
    capsys.readouterr()
    assert main(["model", "tune", "--epochs", "1", "--max-texts", "16", "-q", *extra]) == 0
    return capsys.readouterr().out


def test_tune_saves_and_adopts_or_keeps(make_app, tmp_path: Path, monkeypatch, capsys) -> None:
    data = tmp_path / "d"
    make_app(demo=False, data_dir=data)
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(data))
    (tmp_path / "cases.csv").write_text(CASES)
    (tmp_path / "examples.csv").write_text(EXAMPLES)
    assert main(["kb", "import", "-q", str(tmp_path / "cases.csv")]) == 0
    assert main(["classifier", "train", str(tmp_path / "examples.csv")]) == 0

    out = _tune(capsys)
    assert "held-out routing accuracy" in out
    saved = [p for p in (data / "models").iterdir() if p.is_dir()]
    assert len(saved) == 1 and (saved[0] / "aftercare-tune.json").exists()
    current = data / "models" / "current"
    assert current.exists() == ("adopted" in out)
    if not current.exists():  # kept the old model: force the adoption path too
        assert "kept the current model" in out
        out = _tune(capsys, "--force")
        assert "adopted" in out and current.exists()

    adopted = current.read_text().strip()
    ac = Aftercare(make_config(data))  # no injected encoder: the app loads the adopted one
    try:
        assert ac.embedder.name == adopted and Path(adopted).is_dir()
        text = "how do I reset my password"
        d = ac.router().decide(text, ac.embedder.encode([text])[0])
        assert d.action == "answer" and d.case_id == "pw"
        assert ac.classifier_model().embedder == adopted  # retrained on the new embeddings, not from defaults
        assert len(ac.classifier_model().texts) == 6
        # the threshold calibrated on the tune's held-out slice is recorded and is the router's floor
        meta = json.loads((Path(adopted) / "aftercare-tune.json").read_text())
        assert 0.3 <= meta["vote_threshold"] <= 0.9 and meta["held_out"] >= 2
        assert ac.router().settings.min_vote_threshold == meta["vote_threshold"]
        assert ac.router().calibration().threshold >= meta["vote_threshold"]
    finally:
        ac.close()
