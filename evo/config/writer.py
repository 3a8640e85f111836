"""The resolved scenario written back: plain tables with every default filled in (``[agent]``: kind, the
kind's own keys, then the keys every kind has), and TOML text by tomli-w that reads back to an equal
scenario."""

from __future__ import annotations

import dataclasses
from typing import Any

import tomli_w

from evo.config.schema import OperatorConfig, Scenario


def to_dict(s: Scenario) -> dict[str, Any]:
    """The fully resolved scenario as plain tables (every default filled in)."""

    def plain(obj: Any) -> Any:
        if isinstance(obj, OperatorConfig):
            return {"scheme": obj.scheme, **dict(obj.params)}
        if dataclasses.is_dataclass(obj):
            return {f.name: plain(getattr(obj, f.name))
                    for f in dataclasses.fields(obj) if f.name != "source"}
        if isinstance(obj, dict):
            return {k: plain(v) for k, v in obj.items()}
        if isinstance(obj, tuple):
            return [plain(v) for v in obj]
        return obj

    d = plain(s)
    agent = d["agent"]  # the kind's own keys sit beside the ones every kind has, after kind
    d["agent"] = {"kind": agent.pop("kind"), **agent.pop("params"), **agent}
    for sense in ("felt", "hidden"):  # like an empty layout: no declaration, every feature seen
        if not d["scenario"][sense]:
            del d["scenario"][sense]
    if d["true_objective"] is None:
        del d["true_objective"]
    for g in [*d["worlds"]["train"]["objects"],
              *(o for w in d["worlds"]["shift"].values() for o in w["objects"])]:
        if not g["variants"]:
            del g["variants"]
        else:
            del g["features"]
        if g["variant_per"] == "object":  # the default: files written before the key existed read the same
            del g["variant_per"]
    for w in [d["worlds"]["train"], *d["worlds"]["shift"].values()]:
        if not w["layout"]:
            del w["layout"]
    return d



def dumps(s: Scenario) -> str:
    """TOML text of the resolved scenario (``tomli_w``: a table per section, per ``worlds.train`` and per
    ``worlds.shift.NAME``; every key and string quoted and escaped as TOML needs);
    ``loads(dumps(s))`` gives back an equal scenario."""
    return tomli_w.dumps(to_dict(s), multiline_strings=False)
