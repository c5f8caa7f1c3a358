"""Splitting transactions by user: a user's rows all land on one side, so evaluation users are never trained on."""

from __future__ import annotations

import hashlib

import pandas as pd


def split_users(frame: pd.DataFrame, holdout: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(kept, held_out)``: about ``holdout`` of the users (at least one, never all) held out.

    Users are ranked by a hash of the seed and their id, so a user's side does not depend on the order of the
    rows or on numpy's random generator.

    Raises:
        ValueError: fewer than 2 users.
    """
    users = sorted(frame["user_id"].astype(str).unique())
    if len(users) < 2:
        raise ValueError("need at least 2 users to split by user")
    ranked = sorted(users, key=lambda u: hashlib.sha256(f"{seed}:{u}".encode()).hexdigest())
    n_out = min(len(users) - 1, max(1, round(len(users) * holdout)))
    mask = frame["user_id"].astype(str).isin(set(ranked[:n_out]))
    return frame[~mask].reset_index(drop=True), frame[mask].reset_index(drop=True)
