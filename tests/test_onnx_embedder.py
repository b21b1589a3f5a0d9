"""The torch-free serving encoder: same vectors as the torch encoder, and `aftercare run` without torch."""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from kb.embedder import Embedder, SentenceTransformerEmbedder, load_embedder
from kb.onnx_embedder import OnnxEmbedder, OnnxUnavailable, check_supported, source_dir
from tests.webchat import SITE_SECRET, key_over_http

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def onnx_embedder() -> OnnxEmbedder:
    return OnnxEmbedder("all-MiniLM-L6-v2")


def _texts() -> list[str]:
    with (ROOT / "kb" / "demo" / "cases.csv").open(newline="", encoding="utf-8") as fh:
        questions = [r["question"] for r in csv.DictReader(fh)]
    with (ROOT / "classifier" / "data" / "examples.csv").open(newline="", encoding="utf-8") as fh:
        examples = [r["text"] for r in csv.DictReader(fh)][:200]
    long = " ".join(["the camera keeps restarting after the firmware update and the app shows an error"] * 40)
    return questions + examples + [long, "?", "Wi-Fi", "ÄÖÜ café naïve", "비밀번호를 어떻게 바꾸나요?"]


@pytest.mark.model
def test_onnx_vectors_agree_with_the_torch_encoder(onnx_embedder: OnnxEmbedder, embedder: Embedder) -> None:
    """Same texts, one by one and in mixed-length batches (padding to the longest, long texts cut at the
    model's max_seq_length as sentence-transformers does): cosine >= 0.99 for every text."""
    texts = _texts()
    ref = embedder.encode(texts)
    batched = onnx_embedder.encode(texts)
    assert batched.shape == ref.shape and batched.dtype == np.float32
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-4)
    cos = (ref * batched).sum(axis=1)
    assert cos.min() >= 0.99, texts[int(cos.argmin())]
    single = np.vstack([onnx_embedder.encode([t]) for t in texts[:40]])
    assert ((ref[:40] * single).sum(axis=1)).min() >= 0.99
    assert onnx_embedder.encode([]).shape == (0, onnx_embedder.dim)
    assert onnx_embedder.name == embedder.name  # saved indexes and classifiers stay valid


def test_a_model_that_cannot_be_exported_is_served_by_torch(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A sentence-transformers model with CLS pooling is not what the exporter supports: the factory says
    so in the log and serves it through sentence-transformers instead of failing the start."""
    src = tmp_path / "cls-model"
    shutil.copytree(source_dir("all-MiniLM-L6-v2"), src)
    pooling = src / "1_Pooling" / "config.json"
    cfg = json.loads(pooling.read_text())
    cfg.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(cfg))
    with pytest.raises(OnnxUnavailable, match="mean pooling"):
        check_supported(src)
    emb = load_embedder(str(src), runtime="onnx")
    assert isinstance(emb, SentenceTransformerEmbedder)
    assert "serving" in caplog.text and "mean pooling" in caplog.text
    with pytest.raises(OnnxUnavailable, match="not a local"):
        source_dir("some-org/some-model-on-a-hub")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.model
def test_aftercare_run_answers_without_torch(tmp_path: Path, seeded_dir: Path, onnx_embedder: OnnxEmbedder) -> None:
    """`aftercare run` with the default config answers through onnxruntime: torch is never loaded into the
    serving process (its shared library is not mapped), and the answer is the demo KB's."""
    data = tmp_path / "data"
    shutil.copytree(seeded_dir, data)
    port = _free_port()
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "WEB_IDENTITY_SECRET": SITE_SECRET}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.3)
        body = json.dumps({"customer": "onnx", "text": "how do I reset my password?"}).encode()
        key = key_over_http(f"http://127.0.0.1:{port}", "onnx")
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/messages", data=body,
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(req, timeout=60) as r:
            reply = json.loads(r.read())
        assert reply["action"] == "answer", reply
        maps = Path(f"/proc/{proc.pid}/maps").read_text()
        assert "onnxruntime" in maps
        assert "libtorch" not in maps
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.model
def test_the_int8_encoder_agrees_with_the_torch_encoder(embedder: Embedder) -> None:
    """The int8 model served by default (per-channel dynamic quantisation) stays close to the torch
    encoder: mean cosine >= 0.985 and no text under 0.93 (short ones move most: "thank you" ~0.94), and
    each demo test question finds the same nearest demo phrasing in at least 90% of cases."""
    quantized = OnnxEmbedder("all-MiniLM-L6-v2", quantize=True)
    assert quantized.quantized and quantized.name == embedder.name
    texts = _texts()
    ref, q = embedder.encode(texts), quantized.encode(texts)
    cos = (ref * q).sum(axis=1)
    assert cos.mean() >= 0.985 and cos.min() >= 0.93, (float(cos.mean()), texts[int(cos.argmin())])
    with (ROOT / "kb" / "demo" / "cases.csv").open(newline="", encoding="utf-8") as fh:
        phrasings = [p.strip() for r in csv.DictReader(fh) for p in r["question"].split("|") if p.strip()]
    with (ROOT / "kb" / "demo" / "test.csv").open(newline="", encoding="utf-8") as fh:
        questions = [r["text"] for r in csv.DictReader(fh)]
    same = (embedder.encode(questions) @ embedder.encode(phrasings).T).argmax(axis=1) == \
        (quantized.encode(questions) @ quantized.encode(phrasings).T).argmax(axis=1)
    assert same.mean() >= 0.9, float(same.mean())
