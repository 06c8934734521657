"""Classic GitFleet's converters: models (or lists of them) to dicts, JSON and pandas."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from enum import Enum
from typing import Any, Dict, List, Optional

from pydantic import BaseModel

__all__ = ["to_dict", "to_json", "to_dataframe", "flatten_dataframe"]


def to_dict(obj: Any) -> Any:
    """A model as a dict (pydantic `model_dump`, dataclass fields, or `__dict__`); a list of
    models as a list of dicts; anything else unchanged."""
    if isinstance(obj, BaseModel):
        return obj.model_dump()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, (list, tuple)):
        return [to_dict(o) for o in obj]
    if hasattr(obj, "__dict__") and not isinstance(obj, type):
        return obj.__dict__
    return obj


def _default(o: Any) -> Any:
    if isinstance(o, (datetime, date)):
        return o.isoformat()
    if isinstance(o, Enum):
        return o.value
    converted = to_dict(o)
    return str(o) if converted is o else converted


def to_json(obj: Any, indent: Optional[int] = None) -> str:
    """JSON text of a model, a list of models, or plain data."""
    if isinstance(obj, BaseModel):
        return obj.model_dump_json(indent=indent)
    return json.dumps(obj, default=_default, indent=indent)


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError("pandas is required for this functionality. Install it with 'pip install pandas'.") from None
    return pandas


def to_dataframe(data: Any) -> Any:
    """A pandas DataFrame with one row per model / dict (nested objects stay dict-valued; see
    `flatten_dataframe`). A gitfleet `Result` converts through Arrow instead."""
    pd = _pandas()
    if hasattr(data, "__arrow_c_stream__") and not isinstance(data, (list, dict)):
        import pyarrow as pa

        return pa.table(data).to_pandas()
    items = data if isinstance(data, list) else [data]
    return pd.DataFrame([to_dict(i) for i in items])


def flatten_dataframe(df: Any, separator: str = "_") -> Any:
    """Dict-valued columns spread into `parent<sep>child` columns (e.g. `owner_login`)."""
    pd = _pandas()

    def flatten(value: Dict[str, Any], prefix: str, out: Dict[str, Any]) -> None:
        for key, v in value.items():
            name = f"{prefix}{separator}{key}" if prefix else str(key)
            if isinstance(v, dict):
                flatten(v, name, out)
            else:
                out[name] = v

    rows: List[Dict[str, Any]] = []
    for record in df.to_dict(orient="records"):
        out: Dict[str, Any] = {}
        flatten(record, "", out)
        rows.append(out)
    return pd.DataFrame(rows)
