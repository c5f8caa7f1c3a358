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
from itertools import pairwise
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


def read_rows(path: Path, partition_bytes: int, required: Sequence[str] = (), keep: Sequence[str] | None = None) -> Any:
    """The file as a Dask DataFrame of strings-preserving columns plus ``__line__`` (each row's line number).

    ``keep``: read only these columns (those the file has); a file's other columns are never parsed.

    Raises:
        InvalidInput: the file is missing, of an unsupported type, or lacks a required column.
    """
    import dask
    import dask.dataframe as dd

    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"file not found: {path}")
    if _suffix(path) == ".parquet":
        return ParquetBlocks.open(path, partition_bytes, required, keep)
    if path.is_dir():
        raise InvalidInput(f"{path.name} is a folder, not a CSV file: give one .csv file (or Parquet, a file or a "
                           "folder of parts)")
    # Plain object columns, as the in-process readers give: the scoring functions then see the same values.
    try:
        with dask.config.set({"dataframe.convert-string": False}):
            wanted = set(keep) | set(required) if keep is not None else None
            frame = dd.read_csv(str(path), dtype=str, keep_default_na=False, na_values=[""],
                                blocksize=partition_bytes,
                                usecols=(lambda c: c in wanted) if wanted is not None else None)
            first_line = 2
        return _numbered_csv(frame, path, required, first_line)
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        # empty, not UTF-8, an unterminated quote, unreadable: the file's fault, said in one line
        reason = str(exc).split("Original Message:")[-1].strip().splitlines()[0][:300] if str(exc) else ""
        raise InvalidInput(f"cannot read {path.name} as CSV: {type(exc).__name__}: {reason}") from exc


def _numbered_csv(frame: Any, path: Path, required: Sequence[str], first_line: int) -> Any:
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

    A user whose rows straddle block boundaries goes with the earliest of those blocks: each block drops its
    leading rows of the previous block's last user and takes the following blocks' leading rows of its own
    last user (only those rows travel between workers).
    """

    def __init__(self, frame: Any, stats: pd.DataFrame) -> None:
        self.frame = frame
        self.stats = stats
        self.npartitions = int(frame.npartitions)

    @staticmethod
    def possible(stats: pd.DataFrame) -> bool:
        """Whether every block holds rows, each sorted by user, and the blocks are in user order."""
        if not len(stats) or not stats["sorted"].all():
            return False
        first, last = stats["first"].tolist(), stats["last"].tolist()
        return all(last[i] <= first[i + 1] for i in range(len(stats) - 1))

    def to_delayed(self) -> list[Any]:
        from dask import delayed

        parts = self.frame.to_delayed()
        first, last = self.stats["first"].tolist(), self.stats["last"].tolist()
        out = []
        for i, part in enumerate(parts):
            drop = last[i - 1] if i and last[i - 1] == first[i] else None
            take = last[i] if last[i] != drop else None  # a block all of the previous user's: nothing to add
            heads = []
            j = i + 1
            while take is not None and j < len(parts) and first[j] == take:
                heads.append(delayed(_leading_rows, pure=True)(parts[j], take))
                if last[j] != take:
                    break
                j += 1
            out.append(delayed(_whole_users, pure=True)(part, heads, drop))
        return out


def _whole_users(part: pd.DataFrame, heads: list[pd.DataFrame], drop: str | None) -> pd.DataFrame:
    """A block without the rows of the previous block's last user, with the next blocks' rows of its own."""
    if drop is not None:
        part = part[part["user_id"].astype(str) != drop]
    return pd.concat([part, *heads], ignore_index=True) if heads else part


def _leading_rows(part: pd.DataFrame, user: str) -> pd.DataFrame:
    users = part["user_id"].astype(str).to_numpy()
    return part.iloc[:int(np.argmin(users == user)) if (users != user).any() else len(part)]


class ParquetBlocks:
    """A Parquet file (or folder of files) as groups of whole row groups, read by the tasks themselves.

    Row counts come from the footers, so numbering the rows costs no pass over the data; when the row groups
    are sorted by user (the simulator writes them so), partitions are cut only between users, and no shuffle
    is needed.
    """

    def __init__(self, groups: list[tuple[str, int, int, int]], plan: list[list[int]], columns: list[str],
                 read: list[str] | None = None) -> None:
        self.groups = groups  # (file, row group, rows, uncompressed bytes)
        self.plan = plan  # row groups of each partition
        self.columns = columns
        self.read = read  # the columns the tasks read (None: all)
        self.npartitions = len(plan)
        rows = np.array([g[2] for g in groups], dtype=np.int64)
        self.starts = 1 + np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(np.int64)  # line of each group
        self.ends: list[tuple[str, str]] | None = None  # first and last user of each group (sorted by user)

    @classmethod
    def open(cls, path: Path, partition_bytes: int, required: Sequence[str],
             keep: Sequence[str] | None = None) -> ParquetBlocks:
        import pyarrow.parquet as pq

        files = [path] if path.is_file() else sorted(
            f for f in path.rglob("*.parquet") if f.is_file() and not f.name.startswith(("_", ".")))
        if not files:
            raise InvalidInput(f"no Parquet files in {path}")
        groups: list[tuple[str, int, int, int]] = []
        try:
            columns = list(pq.ParquetFile(files[0]).schema_arrow.names)
            for file in files:
                meta = pq.ParquetFile(file).metadata
                groups += [(str(file), i, meta.row_group(i).num_rows, meta.row_group(i).total_byte_size)
                           for i in range(meta.num_row_groups)]
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot read {path.name} as Parquet: {exc}") from exc
        missing = [c for c in required if c not in columns]
        if missing:
            raise InvalidInput(f"{path.name} lacks required column(s): {', '.join(missing)}",
                               details={"missing_columns": missing, "found": columns})
        read = None if keep is None else [c for c in columns if c in set(keep) | set(required)]
        return cls(groups, _plan([g[3] for g in groups], partition_bytes), columns, read)

    def by_user(self) -> ParquetBlocks | None:
        """The same partitions moved to whole users (a user straddling a cut goes with the earlier partition),
        or ``None`` when the row groups are not sorted by user (then: a shuffle)."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=4) as pool:
            ends = list(pool.map(_user_ends, [(g[0], g[1]) for g in self.groups]))
        if any(e is None for e in ends):
            return None
        bounds = [e for e in ends if e is not None]
        if any(prev[1] > nxt[0] for prev, nxt in pairwise(bounds)):
            return None
        aligned = ParquetBlocks(self.groups, self.plan, self.columns, self.read)
        aligned.ends = bounds
        return aligned

    def to_delayed(self) -> list[Any]:
        from dask import delayed

        out = []
        for part in self.plan:
            groups = [self.groups[g][:2] for g in part]
            drop, take, follow = None, None, []
            if self.ends is not None:
                first, before = part[0], part[0] - 1
                if before >= 0 and self.ends[before][1] == self.ends[first][0]:
                    drop = self.ends[first][0]
                take = self.ends[part[-1]][1]
                g = part[-1] + 1 if take != drop else len(self.groups)  # all the previous user's: nothing to add
                while g < len(self.groups) and self.ends[g][0] == take:  # the last user's rows further on
                    follow.append((*self.groups[g][:2], int(self.starts[g])))
                    if self.ends[g][1] != take:
                        break
                    g += 1
            out.append(delayed(_read_groups, pure=True)(groups, int(self.starts[part[0]]), drop,
                                                         follow if follow else None, take, self.read))
        return out

    def to_frame(self) -> Any:
        """The partitions as a Dask DataFrame (for a shuffle)."""
        import dask.dataframe as dd

        meta = _read_groups([self.groups[0][:2]], 1, columns=self.read).iloc[:0]
        return dd.from_delayed(self.to_delayed(), meta=meta, verify_meta=False)


def _plan(sizes: list[int], partition_bytes: int) -> list[list[int]]:
    """Consecutive row groups, up to ``partition_bytes`` (uncompressed) a partition."""
    plan: list[list[int]] = []
    size = 0
    for i, bytes_ in enumerate(sizes):
        if plan and size + bytes_ <= partition_bytes:
            plan[-1].append(i)
            size += bytes_
        else:
            plan.append([i])
            size = bytes_
    return plan


def _user_ends(group: tuple[str, int]) -> tuple[str, str] | None:
    """First and last user of a row group, or ``None`` if its rows are not sorted by user."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    column = pq.ParquetFile(group[0]).read_row_group(group[1], columns=["user_id"]).column(0)
    if len(column) == 0 or column.null_count or not pa_is_string(column.type):
        return None
    if len(column) > 1 and not pc.all(pc.greater_equal(column[1:], column[:-1])).as_py():
        return None
    return str(column[0].as_py()), str(column[-1].as_py())


def pa_is_string(kind: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _read_groups(groups: list[tuple[str, int]], first_line: int, drop: str | None = None,
                 follow: list[tuple[str, int, int]] | None = None, take: str | None = None,
                 columns: list[str] | None = None) -> pd.DataFrame:
    """Some row groups as one pandas frame (strings as objects) with each row's line (1 = the first row).

    ``drop``: leading rows of this user are left out (they go with the previous partition); ``follow``: later
    row groups (with their first line) whose leading rows of user ``take`` are added.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.concat_tables([pq.ParquetFile(file).read_row_group(i, columns=columns) for file, i in groups])
    frame = table.to_pandas()
    frame = frame.assign(**{LINE: np.arange(first_line, first_line + len(frame), dtype=np.int64)})
    if drop is not None:
        frame = frame.iloc[_run_length(frame, drop):]
    pieces = [frame]
    for file, i, line in follow or ():
        more = pq.ParquetFile(file).read_row_group(i, columns=columns).to_pandas()
        more = more.assign(**{LINE: np.arange(line, line + len(more), dtype=np.int64)})
        pieces.append(more.iloc[:_run_length(more, take)])
    return pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else frame.reset_index(drop=True)


def _run_length(frame: pd.DataFrame, user: str | None) -> int:
    """How many leading rows belong to ``user``."""
    users = frame["user_id"].astype(str).to_numpy()
    other = np.flatnonzero(users != user)
    return int(other[0]) if len(other) else len(users)


def by_user(frame: Any, column: str = "user_id", partition_bytes: int = 8 << 20) -> Any:
    """Every row of a user in the same partition: the blocks as they are when the file is sorted by user
    (block boundaries moved to whole users), else one hash shuffle; rows in file order within a partition
    after sorting by ``LINE``."""
    if isinstance(frame, ParquetBlocks):
        aligned = frame.by_user() if column == "user_id" else None
        if aligned is not None:
            return aligned
        frame = frame.to_frame()
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
