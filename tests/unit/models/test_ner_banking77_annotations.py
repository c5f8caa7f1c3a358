"""The BANKING77 train-split MONEY/DATE annotations (benchmarks/data/ner_banking77_train.jsonl, seed 2026, and the
second, blind sample ner_banking77_train_b.jsonl, seed 2027): the files hold rows, text hashes and spans only; the
texts come from the shared CSV, so the checks against the texts skip without it."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
ANNOTATIONS = ROOT / "benchmarks" / "data" / "ner_banking77_train.jsonl"
SECOND = ROOT / "benchmarks" / "data" / "ner_banking77_train_b.jsonl"
# (file, seed, MONEY spans, DATE spans), in the order the samples were drawn.
SETS = [(ANNOTATIONS, 2026, 33, 123), (SECOND, 2027, 41, 121)]
each_set = pytest.mark.parametrize(("path", "seed", "money", "date"), SETS, ids=["seed2026", "seed2027"])
SHARED_CSV = Path("/work/shared/data/banking77/train.csv")
SURROUNDING = " \t\n\xa0.,;:!?()\"'"
needs_csv = pytest.mark.skipif(not SHARED_CSV.is_file(), reason=f"{SHARED_CSV} is not on this machine")


def _records(path: Path = ANNOTATIONS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _texts() -> list[str]:
    with SHARED_CSV.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def _bench_ner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_ner", ROOT / "benchmarks" / "bench_ner.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@each_set
def test_the_file_holds_rows_hashes_and_money_date_spans_only(path: Path, seed: int, money: int, date: int) -> None:
    records = _records(path)
    assert len(records) == 250
    rows = [r["row"] for r in records]
    assert len(set(rows)) == len(rows)
    assert rows == sorted(rows)
    for record in records:
        assert set(record) == {"row", "sha256", "entities"}  # no text: the data set stays out of the repository
        assert isinstance(record["row"], int) and record["row"] >= 0
        assert re.fullmatch(r"[0-9a-f]{64}", record["sha256"])
        for start, end, label in record["entities"]:
            assert isinstance(start, int) and isinstance(end, int) and 0 <= start < end
            assert label in ("MONEY", "DATE")
    labels = [e[2] for r in records for e in r["entities"]]
    assert labels.count("MONEY") == money and labels.count("DATE") == date


@needs_csv
@each_set
def test_every_annotation_matches_its_text(path: Path, seed: int, money: int, date: int) -> None:
    texts = _texts()
    for record in _records(path):
        row = record["row"]
        assert row < len(texts), f"row {row} is not in {SHARED_CSV}"
        text = texts[row]
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == record["sha256"], f"row {row}: hash differs"
        previous_end = 0
        for start, end, label in sorted(record["entities"]):
            assert end <= len(text), f"row {row}: [{start}, {end}, {label}] outside the text"
            surface = text[start:end]
            assert surface == surface.strip(SURROUNDING), f"row {row}: {surface!r} has surrounding spaces/punctuation"
            assert start >= previous_end, f"row {row}: {surface!r} overlaps the previous span"
            previous_end = end


@needs_csv
@each_set
def test_the_annotated_rows_are_the_seeded_sample_and_the_benchmark_loads_them(
        path: Path, seed: int, money: int, date: int) -> None:
    bench = _bench_ner()
    texts = bench.banking77_texts(SHARED_CSV)
    rows = [r["row"] for r in _records(path)]
    assert rows == bench.banking77_sample(texts, seed=seed, excluded=bench.banking77_excluded(seed))
    assert not set(rows) & bench.BANKING77_SEEN_ROWS  # never a row the grammar was tuned on
    for earlier, earlier_seed, _, _ in SETS:
        if earlier_seed < seed:  # never a row of a set drawn before it
            assert not set(rows) & {r["row"] for r in _records(earlier)}
    cued = [row for row in rows if bench.BANKING77_CUE.search(texts[row])]
    assert len(cued) == bench.BANKING77_CUED
    loaded_rows, examples = bench.load_banking77(path, SHARED_CSV)
    assert loaded_rows == rows and [ex.text for ex in examples] == [texts[row] for row in rows]


@needs_csv
def test_the_first_sample_is_still_drawn_by_the_defaults() -> None:
    bench = _bench_ner()
    texts = bench.banking77_texts(SHARED_CSV)
    assert [r["row"] for r in _records()] == bench.banking77_sample(texts)  # seed 2026, only the read rows excluded


def test_a_later_seed_excludes_the_earlier_files_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench = _bench_ner()
    assert [(seed, path) for seed, path in bench.BANKING77_SETS] == [(seed, path) for path, seed, _, _ in SETS]
    first = {r["row"] for r in _records()}
    assert bench.banking77_excluded(2026) == bench.BANKING77_SEEN_ROWS
    assert bench.banking77_excluded(2027) == bench.BANKING77_SEEN_ROWS | first
    both = first | {r["row"] for r in _records(SECOND)}
    assert bench.banking77_excluded(2028) == bench.BANKING77_SEEN_ROWS | both  # an unlisted seed: every file
    monkeypatch.setattr(bench, "BANKING77_SETS", ((2026, tmp_path / "absent.jsonl"), (2027, SECOND)))
    with pytest.raises(FileNotFoundError, match=r"absent\.jsonl"):  # drawing without it could overlap it
        bench.banking77_excluded(2027)


@needs_csv
def test_the_benchmark_refuses_a_changed_text(tmp_path: Path) -> None:
    bench = _bench_ner()
    changed = tmp_path / "train.csv"
    with SHARED_CSV.open(encoding="utf-8", newline="") as handle:
        data = list(csv.DictReader(handle))
    first = _records()[0]["row"]
    data[first]["text"] += "!"
    with changed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "category"])
        writer.writeheader()
        writer.writerows(data)
    with pytest.raises(ValueError, match="another hash"):
        bench.load_banking77(ANNOTATIONS, changed)
    with pytest.raises(FileNotFoundError):
        bench.load_banking77(ANNOTATIONS, tmp_path / "absent.csv")


def test_the_span_checker_reports_bad_spans() -> None:
    problems = _bench_ner().banking77_span_problems
    text = "I paid $5 yesterday."
    assert problems(text, [[7, 9, "MONEY"], [10, 19, "DATE"]]) == []
    assert problems(text, [[6, 9, "MONEY"]])            # a leading space
    assert problems(text, [[10, 20, "DATE"]])           # a trailing full stop
    assert problems(text, [[7, 9, "MERCHANT"]])         # not MONEY/DATE
    assert problems(text, [[10, 40, "DATE"]])           # outside the text
    assert problems(text, [[7, 19, "MONEY"], [10, 19, "DATE"]])  # overlap
