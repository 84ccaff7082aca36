"""The tensor-key mapping of a loading strategy (``state_dict_mapping``), as the CLI applies it
(src/loading/keymap.ts): ``remove_prefix``, then ``key_transforms`` (literal substring
replacements, in the order written), then ``add_prefix``. A mapping that would silently drop or
corrupt weights -- two names landing on one key, a name without the prefix to remove, a name that
maps to nothing -- is refused with LoadPlanError instead of being applied.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from .errors import LoadPlanError


def is_identity(m: Optional[Mapping[str, Any]]) -> bool:
    return not m or (not m.get("remove_prefix") and not m.get("add_prefix") and not (m.get("key_transforms") or {}))


def map_key(key: str, m: Optional[Mapping[str, Any]]) -> Optional[str]:
    """One name through the mapping; None when it lacks the prefix to remove."""
    k = key
    if m and m.get("remove_prefix"):
        if not k.startswith(m["remove_prefix"]):
            return None
        k = k[len(m["remove_prefix"]):]
    for frm, to in ((m or {}).get("key_transforms") or {}).items():
        if frm and frm in k:
            k = k.replace(frm, to)
    if m and m.get("add_prefix"):
        k = m["add_prefix"] + k
    return k


def _some(keys: List[str], show: int = 5) -> str:
    shown = ", ".join(json.dumps(k) for k in keys[:show])
    return f"{shown} and {len(keys) - show} more" if len(keys) > show else shown


def key_mapping(keys: Iterable[str], m: Optional[Mapping[str, Any]], where: str = "") -> List[Tuple[str, str]]:
    """[(name in file, key the model expects)]; LoadPlanError listing every problem."""
    keys = list(keys)
    pairs: List[Tuple[str, str]] = []
    unmatched: List[str] = []
    empty: List[str] = []
    targets: Dict[str, List[str]] = {}
    for key in keys:
        to = map_key(key, m)
        if to is None:
            unmatched.append(key)
            continue
        if to == "":
            empty.append(key)
        pairs.append((key, to))
        targets.setdefault(to, []).append(key)
    problems: List[str] = []
    if unmatched:
        problems.append(f"remove_prefix {json.dumps((m or {}).get('remove_prefix'))} does not match {len(unmatched)} of "
                        f"{len(keys)} tensor name(s): {_some(unmatched)}")
    for to, froms in targets.items():
        if len(froms) > 1:
            problems.append(f"tensor names {_some(froms)} all map to {json.dumps(to)} (one would overwrite the other)")
    if empty:
        problems.append(f"tensor name(s) {_some(empty)} map to an empty name")
    if problems:
        raise LoadPlanError(f"{where}the state_dict_mapping does not fit the tensors: " + "; ".join(problems),
                            hint="correct loading_strategy.state_dict_mapping (remove_prefix, add_prefix, key_transforms)")
    return pairs
