"""The batch engine: a data file as a Dask DataFrame, one task per partition, local or on a cluster.

Every batch job (``score anomaly``, ``score credit``, ``data ingest``, ``forecast batch --data``) runs the same
way: the file (CSV or Parquet) is read in blocks of ``partition_mb``, each row numbered with its line in the
file, optionally shuffled so that each user's rows sit in one partition, and a plain function runs once per
partition on a worker. The function writes its own output part (Parquet or CSV) and returns a small summary,
so the driver never holds the data: memory is bounded by the partition size, not the file size.

The client is a ``LocalCluster`` by default, an in-process one for a file of one partition (same code, no
worker processes to start), or an existing cluster by address (``tcp://host:8786``). On a cluster, the input
file, the model directory and the output path must be on storage every worker sees.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nivesh_ml.errors import InvalidInput

LINE = "__line__"
"""The column holding each row's line number in the input file (CSV: header is line 1)."""

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EngineOptions:
    """Where and how to run (plain values)."""

    scheduler: str | None = None  # None: a LocalCluster; "inprocess": threads in this process
    workers: int = 2
    partition_mb: float = 8.0

    @property
    def partition_bytes(self) -> int:
        return max(1, int(self.partition_mb * 1024 * 1024))


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".parquet"}:
        raise InvalidInput(f"unsupported file type {suffix!r} for a batch job; use .csv or .parquet")
    return suffix


def read_rows(path: Path, partition_bytes: int, required: Sequence[str] = ()) -> Any:
    """The file as a Dask DataFrame of strings-preserving columns plus ``__line__`` (each row's line number).

    Raises:
        InvalidInput: the file is missing, of an unsupported type, or lacks a required column.
    """
    import dask
    import dask.dataframe as dd

    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"file not found: {path}")
    # Plain object columns, as the in-process readers give: the scoring functions then see the same values.
    with dask.config.set({"dataframe.convert-string": False}):
        if _suffix(path) == ".csv":
            frame = dd.read_csv(str(path), dtype=str, keep_default_na=False, na_values=[""],
                                blocksize=partition_bytes)
            first_line = 2
        else:
            frame = dd.read_parquet(str(path), split_row_groups="adaptive", blocksize=partition_bytes)
            first_line = 1
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InvalidInput(f"{path.name} lacks required column(s): {', '.join(missing)}",
                           details={"missing_columns": missing, "found": list(map(str, frame.columns))})
    # One cheap pass for each block's row count (and, with a user column, whether the file is sorted by user),
    # so that every row carries its line number through a shuffle, or the shuffle can be skipped.
    # (All columns: a projection could change how Parquet row groups are grouped into blocks.)
    stats = frame.map_partitions(_block_stats, meta=_STATS_META).compute(scheduler="threads")
    lengths = stats["rows"].to_numpy()
    starts = first_line + np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    meta = frame._meta.assign(**{LINE: pd.Series(dtype=np.int64)})
    numbered = frame.map_partitions(_numbered, starts.tolist(), meta=meta, partition_info=True)
    if "user_id" in frame.columns:
        _USER_BLOCKS[numbered._name] = stats.reset_index(drop=True)
    return numbered


_STATS_META = pd.DataFrame({"rows": pd.Series(dtype=np.int64), "first": pd.Series(dtype=object),
                            "last": pd.Series(dtype=object), "sorted": pd.Series(dtype=bool)})
_USER_BLOCKS: dict[str, pd.DataFrame] = {}  # per numbered frame: each block's rows, first and last user, sorted


def _block_stats(part: pd.DataFrame) -> pd.DataFrame:
    n = len(part)
    if "user_id" not in part.columns or n == 0:
        return pd.DataFrame({"rows": [n], "first": [None], "last": [None], "sorted": [False]})
    users = part["user_id"]
    ok = not users.isna().any()
    if ok:
        values = users.astype(str).to_numpy()
        ok = bool((values[1:] >= values[:-1]).all())
        return pd.DataFrame({"rows": [n], "first": [values[0]], "last": [values[-1]], "sorted": [ok]})
    return pd.DataFrame({"rows": [n], "first": [None], "last": [None], "sorted": [False]})


def _numbered(part: pd.DataFrame, starts: list[int], partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    start = starts[partition_info["number"]] if partition_info else 0
    return part.assign(**{LINE: np.arange(start, start + len(part), dtype=np.int64)})


class UserAligned:
    """The blocks of a file sorted by user, each moved to whole users without a shuffle.

    A user whose rows straddle a block boundary goes with the earlier block: each block drops its leading
    rows of the previous block's last user and takes the next block's leading rows of its own last user.
    """

    def __init__(self, frame: Any, stats: pd.DataFrame) -> None:
        self.frame = frame
        self.stats = stats
        self.npartitions = int(frame.npartitions)

    @staticmethod
    def possible(stats: pd.DataFrame) -> bool:
        """Whether every block is sorted by user, in order, and no user spans more than two blocks."""
        if not len(stats) or not stats["sorted"].all():
            return False
        first, last = stats["first"].tolist(), stats["last"].tolist()
        for i in range(len(stats) - 1):
            if last[i] > first[i + 1]:
                return False
            if last[i] == first[i + 1] and first[i + 1] == last[i + 1]:
                return False  # one user fills the next block: its rows would need a third block
        return True

    def to_delayed(self) -> list[Any]:
        from dask import delayed

        parts = self.frame.to_delayed()
        first, last = self.stats["first"].tolist(), self.stats["last"].tolist()
        out = []
        for i, part in enumerate(parts):
            drop = last[i - 1] if i and last[i - 1] == first[i] else None
            take = last[i] if i + 1 < len(parts) and last[i] == first[i + 1] else None
            out.append(delayed(_whole_users, pure=True)(part, parts[i + 1] if take is not None else None, drop,
                                                         take))
        return out


def _whole_users(part: pd.DataFrame, following: pd.DataFrame | None, drop: str | None,
                 take: str | None) -> pd.DataFrame:
    if drop is not None:
        part = part[part["user_id"].astype(str) != drop]
    if following is not None and take is not None:
        part = pd.concat([part, following[following["user_id"].astype(str) == take]], ignore_index=True)
    return part


def by_user(frame: Any, column: str = "user_id") -> Any:
    """Every row of a user in the same partition: the blocks as they are when the file is sorted by user
    (block boundaries moved to whole users), else one hash shuffle; rows in file order within a partition
    after sorting by ``LINE``."""
    stats = _USER_BLOCKS.pop(getattr(frame, "_name", ""), None)
    if column == "user_id" and stats is not None and UserAligned.possible(stats):
        return UserAligned(frame, stats)
    return frame.shuffle(on=column, npartitions=frame.npartitions)


def partition_count(frame: Any) -> int:
    return int(frame.npartitions)


@contextmanager
def dask_client(options: EngineOptions, partitions: int) -> Iterator[Any]:
    """A client of the cluster at ``options.scheduler``, or of a local one closed on exit."""
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)
    if options.scheduler and options.scheduler != "inprocess":
        client = Client(options.scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    in_process = options.scheduler == "inprocess" or partitions <= 1
    cluster = LocalCluster(n_workers=1 if in_process else options.workers, threads_per_worker=1,
                           processes=not in_process, dashboard_address=None, silence_logs=logging.WARNING)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def run_partitions(frame: Any, task: Callable[..., dict[str, Any]], args: Sequence[Any], options: EngineOptions,
                   progress: Progress | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``task(partition, number, *args)`` on every partition; its summaries in partition order, and run facts."""
    from dask import delayed
    from distributed import as_completed

    parts = frame.to_delayed()
    started = time.perf_counter()
    results: dict[int, dict[str, Any]] = {}
    with dask_client(options, len(parts)) as client:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        futures = client.compute([delayed(task, pure=False)(part, i, *args) for i, part in enumerate(parts)])
        index = {future.key: i for i, future in enumerate(futures)}
        for done, future in enumerate(as_completed(futures), start=1):
            results[index[future.key]] = future.result()
            future.release()
            if progress:
                progress(done, len(parts))
    facts = {"partitions": len(parts), "workers": workers, "seconds": round(time.perf_counter() - started, 2),
             "scheduler": options.scheduler or "LocalCluster"}
    return [results[i] for i in range(len(parts))], facts


def parts_dir(out: Path) -> Path:
    """Where a job writes its output parts: ``out`` itself for Parquet, a sibling folder for CSV."""
    return out if _suffix(out) == ".parquet" else out.with_name(out.name + ".parts")


def prepare_output(out: Path) -> Path:
    """An empty parts folder for ``out`` (a previous run's output is replaced)."""
    folder = parts_dir(Path(out))
    if folder.is_dir():
        shutil.rmtree(folder)
    elif folder.exists():
        folder.unlink()
    folder.mkdir(parents=True)
    return folder


def write_part(frame: pd.DataFrame, folder: str, number: int, suffix: str) -> None:
    """One partition's output as ``part-NNNNN`` in ``folder`` (runs on a worker)."""
    path = Path(folder) / f"part-{number:05d}{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def finish_output(out: Path) -> None:
    """CSV: the parts joined into ``out`` (one header) in partition order, streamed; Parquet: left as parts."""
    out = Path(out)
    if _suffix(out) == ".parquet":
        return
    folder = parts_dir(out)
    with out.open("wb") as sink:
        header_written = False
        for part in sorted(folder.glob("part-*.csv")):
            with part.open("rb") as source:
                header = source.readline()
                if not header_written:
                    sink.write(header)
                    header_written = True
                shutil.copyfileobj(source, sink, 1 << 20)
    shutil.rmtree(folder)
