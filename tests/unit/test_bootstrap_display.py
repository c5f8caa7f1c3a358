"""The bootstrap display: third-party noise goes to the log file, estimates come from the last run."""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

from rich.console import Console

from nivesh_ml.commands.progress import (
    DEFAULT_SECONDS,
    bootstrap_display,
    load_estimates,
    noise_to_file,
    summary_table,
)
from nivesh_ml.config import Settings
from nivesh_ml.pipelines.training import TrainResult


def terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=120, force_terminal=False), buffer


def test_third_party_noise_goes_to_the_file_and_own_warnings_to_the_terminal(tmp_path: Path) -> None:
    console, shown = terminal()
    log_file = tmp_path / "logs" / "bootstrap.log"
    root_handlers = logging.getLogger().handlers[:]
    chatty = logging.getLogger("chatty_library")  # a library with its own terminal handler, like MLflow's
    own_handler = logging.StreamHandler(io.StringIO())
    chatty.handlers, chatty.propagate = [own_handler], False
    with noise_to_file(log_file, console):
        chatty.warning("Creating initial database tables")
        logging.getLogger("root").warning("Please consider to run pre-processing before quantization")
        logging.getLogger("spacy").info("Pipeline: ['tok2vec', 'ner']")
        with warnings.catch_warnings():  # pytest records warnings itself; let this one reach logging
            warnings.simplefilter("always")
            warnings.warn("some library is deprecated", UserWarning, stacklevel=1)
        logging.getLogger("nivesh_ml.pipelines").warning("card 4111 1111 1111 1111 skipped")
        logging.getLogger("thirdparty").error("a real failure")
    written = log_file.read_text(encoding="utf-8")
    assert "pre-processing before quantization" in written and "Pipeline:" in written
    assert "deprecated" in written
    assert "4111 1111 1111 1111" not in written, "the log file is PII-masked"
    screen = shown.getvalue()
    assert "quantization" not in screen and "Pipeline" not in screen and "deprecated" not in screen
    assert "skipped" in screen and "a real failure" in screen
    assert "4111 1111 1111 1111" not in screen
    assert "Creating initial database tables" in written and "Creating" not in screen
    assert own_handler.stream.getvalue() == ""  # type: ignore[attr-defined]
    assert logging.getLogger().handlers == root_handlers, "logging is restored afterwards"
    assert chatty.handlers == [own_handler] and chatty.propagate is False


def test_estimates_come_from_the_previous_run(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var")
    assert load_estimates(settings) == {}
    console, _ = terminal()
    with bootstrap_display(settings, ["credit", "anomaly"], console) as display:
        assert display.estimate("credit") == DEFAULT_SECONDS["credit"]
        display.started("credit", 1, 2)
        display.finished(TrainResult("credit", tmp_path, {"roc_auc": 0.8}, version="1", seconds=12.5,
                                     primary_metric="roc_auc"))
    assert load_estimates(settings) == {"credit": 12.5}
    with bootstrap_display(settings, ["credit"], console) as display:
        assert display.estimate("credit") == 12.5


def test_summary_table_names_model_version_key_metric_and_seconds(tmp_path: Path) -> None:
    console, shown = terminal()
    console.print(summary_table([
        TrainResult("credit", tmp_path, {"roc_auc": 0.81234, "n": 10}, version="3", seconds=12.4,
                    promotion={"promoted": True}, primary_metric="roc_auc"),
        TrainResult("spending", tmp_path, {}, version=None, seconds=3, primary_metric="mape"),
    ]))
    text = shown.getvalue()
    assert "roc_auc 0.8123" in text and "12" in text and "yes" in text
    assert "spending" in text and "no" in text
