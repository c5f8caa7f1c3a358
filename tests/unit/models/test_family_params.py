"""Training parameters of anomaly, spending and credit: unknown keys and bad values named; CLI strings parsed."""

from __future__ import annotations

import pytest

from nivesh_ml.data.splits import split_users
from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.anomaly.params import AnomalyParams
from nivesh_ml.models.credit.params import CreditParams
from nivesh_ml.models.spending.params import SpendingParams


def test_cli_strings_become_typed_values() -> None:
    params = AnomalyParams.from_options({"n_estimators": "60", "blend": "false", "target_fpr": "0.02", "seed": 3})
    assert (params.n_estimators, params.blend, params.target_fpr, params.seed) == (60, False, 0.02, 3)
    spending = SpendingParams.from_options({"config": '{"eligible": ["ets"]}', "horizon": None})
    assert spending.config == {"eligible": ["ets"]} and spending.horizon == 3
    credit = CreditParams.from_options({"monotone": "duration:1, amount:-1", "n_trials": 2.0})
    assert credit.monotone == {"duration": 1, "amount": -1} and credit.n_trials == 2
    assert credit.search().n_trials == 2


@pytest.mark.parametrize(("parse", "options", "named"), [
    (AnomalyParams.from_options, {"n_estimator": 10}, "n_estimator"),
    (AnomalyParams.from_options, {"combiner": "xgboost"}, "combiner"),
    (AnomalyParams.from_options, {"target_fpr": 0.7}, "target_fpr"),
    (AnomalyParams.from_options, {"blend": "maybe"}, "blend"),
    (SpendingParams.from_options, {"horizon": 30}, "horizon"),
    (SpendingParams.from_options, {"config": "[1, 2]"}, "config"),
    (SpendingParams.from_options, {"users": 10}, "users"),  # a prepare option, not a training parameter
    (CreditParams.from_options, {"n_trials": 2.5}, "n_trials"),
    (CreditParams.from_options, {"encoding": "ordinal"}, "encoding"),
    (CreditParams.from_options, {"low_below": 0.5, "high_from": 0.3}, "high_from"),
    (CreditParams.from_options, {"monotone": "duration:up"}, "monotone"),
])
def test_bad_options_are_rejected_by_name(parse: object, options: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidInput, match=named):
        parse(options)  # type: ignore[operator]


def test_params_are_frozen() -> None:
    with pytest.raises(AttributeError):
        AnomalyParams().seed = 1  # type: ignore[misc]


def test_split_users_keeps_each_user_on_one_side() -> None:
    import pandas as pd

    frame = pd.DataFrame({"user_id": [f"u{i % 10}" for i in range(100)], "amount": range(100)})
    kept, held = split_users(frame, 0.3, seed=1)
    assert not set(kept["user_id"]) & set(held["user_id"])
    assert held["user_id"].nunique() == 3 and len(kept) + len(held) == 100
    assert split_users(frame.iloc[::-1], 0.3, seed=1)[1]["user_id"].nunique() == 3
    assert set(split_users(frame.iloc[::-1], 0.3, seed=1)[1]["user_id"]) == set(held["user_id"])
    with pytest.raises(ValueError, match="2 users"):
        split_users(frame[frame["user_id"] == "u1"], 0.3, seed=1)
