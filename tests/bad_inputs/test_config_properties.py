"""Property tests of the job-config parser (issue 15 checks): random damage, never a raw error.

The shipped demo job (``urbansat demo``'s TOML, every section the library knows) is damaged
at random in two ways:

* in its parsed form: one leaf value replaced by a value of another type or a hostile number
  (NaN, +-inf, negative, huge, empty string, list, table), one key deleted, or an unknown key
  added, then :func:`~urbansat.pipeline.config.parse_job_config`;
* in its text: a line deleted, duplicated, or a character replaced, then
  :func:`~urbansat.pipeline.config.load_job_config`.

Each result must be a :class:`~urbansat.pipeline.config.JobConfig` or a
:class:`~urbansat.errors.ConfigError` (an :class:`~urbansat.errors.UrbansatError`) whose message
names the file and, for a damaged value, the key; never a raw ``TypeError``/``ValueError``/
``KeyError`` from inside. A NaN or infinite number must never be accepted. The demo inputs
themselves are read, never written (hash before and after).
"""

from __future__ import annotations

import copy
import hashlib
import math
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from urbansat.cli.job_cmds import write_demo_config
from urbansat.errors import ConfigError, UrbansatError
from urbansat.pipeline.config import JobConfig, load_job_config, parse_job_config

_DIR = Path(tempfile.mkdtemp(prefix="urbansat-configprop-"))
_PATH = write_demo_config(_DIR)
_TEXT = _PATH.read_text(encoding="utf-8")
_RAW = tomllib.loads(_TEXT)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and list indices) to a scalar or list-of-scalars value."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(node, list) and node and all(isinstance(v, dict) for v in node):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


_LEAVES = [p for p in _leaves(_RAW) if p]
_INPUTS = {
    p: hashlib.sha256(p.read_bytes()).hexdigest()
    for p in {
        Path(s)
        for s in _TEXT.split('"')
        if s.startswith("/") and Path(s).is_file()  # absolute input paths of the demo job
    }
}

_HOSTILE = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 0, -1, 10**12, 1e300, "", "nan"]),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), max_size=2),
)


def _set(raw: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _delete(raw: dict[str, Any], path: tuple[Any, ...]) -> None:
    node: Any = raw
    for key in path[:-1]:
        node = node[key]
    if isinstance(node, dict):
        del node[path[-1]]


def _has_nonfinite(cfg: Any) -> bool:
    """True if any float in the parsed config (a pydantic model) is NaN or infinite."""
    data = cfg.model_dump() if hasattr(cfg, "model_dump") else cfg

    def walk(v: Any) -> bool:
        if isinstance(v, float):
            return not math.isfinite(v)
        if isinstance(v, dict):
            return any(walk(x) for x in v.values())
        if isinstance(v, (list, tuple)):
            return any(walk(x) for x in v)
        return False

    return walk(data)


def _judge(parse: Any, *, key: str | None) -> None:
    try:
        cfg = parse()
    except ConfigError as err:
        msg = str(err)
        assert "demo_job.toml" in msg or "<mapping>" in msg, msg
        if key is not None and isinstance(key, str):
            assert key in msg or "TOML" in msg or "missing" in msg.lower(), (key, msg)
    except UrbansatError as err:  # e.g. a path that now names no file: the library's error
        assert str(err), err
    else:
        assert isinstance(cfg, JobConfig)
        assert not _has_nonfinite(cfg), "a NaN or infinite number was accepted"


_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_SETTINGS
@given(path=st.sampled_from(_LEAVES), value=_HOSTILE)
def test_hostile_value_anywhere(path: tuple[Any, ...], value: Any) -> None:
    raw = copy.deepcopy(_RAW)
    _set(raw, path, value)
    last = next((k for k in reversed(path) if isinstance(k, str)), None)
    _judge(
        lambda: parse_job_config(raw, base_dir=_DIR, source=str(_PATH), text=_TEXT),
        key=last,
    )


@_SETTINGS
@given(path=st.sampled_from(_LEAVES), unknown=st.booleans())
def test_key_deleted_or_unknown_key_added(path: tuple[Any, ...], unknown: bool) -> None:
    raw = copy.deepcopy(_RAW)
    if unknown:
        _set(raw, (*path[:-1], "bakground_buffer_km"), 10.0)  # a typo of a real key
        parse = lambda: parse_job_config(raw, base_dir=_DIR, source=str(_PATH))  # noqa: E731
        try:
            parse()
        except ConfigError as err:
            assert "bakground_buffer_km" in str(err), str(err)
        else:
            raise AssertionError(f"unknown key at {path[:-1]} accepted")
        return
    _delete(raw, path)
    _judge(lambda: parse_job_config(raw, base_dir=_DIR, source=str(_PATH)), key=None)


def _get(raw: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = raw
    for key in path:
        node = node[key]
    return node


#: string settings of the demo job where free text is fine (a blank name is still a name)
_FREE_TEXT = {"name"}
_STRING_LEAVES = [p for p in _LEAVES if isinstance(_get(_RAW, p), str) and p[-1] not in _FREE_TEXT]


def test_blank_string_setting_refused_with_its_key() -> None:
    """A blank path, glob, column name, method, table or zone is refused, naming the key."""
    assert len(_STRING_LEAVES) >= 15, _STRING_LEAVES
    for path in _STRING_LEAVES:
        raw = copy.deepcopy(_RAW)
        _set(raw, path, "  " if len(path) % 2 else "")
        dotted = ".".join(f"[{k}]" if isinstance(k, int) else str(k) for k in path)
        dotted = dotted.replace(".[", "[")
        try:
            parse_job_config(raw, base_dir=_DIR, source=str(_PATH), text=_TEXT)
        except ConfigError as err:
            assert dotted in str(err), (dotted, str(err))
        else:
            raise AssertionError(f"{dotted} = '' accepted")


_LINES = _TEXT.splitlines(keepends=True)


@_SETTINGS
@given(
    line=st.integers(0, len(_LINES) - 1),
    action=st.sampled_from(["delete", "duplicate", "replace_char"]),
    char=st.sampled_from(['"', "=", "[", "]", "{", "}", ",", "#", "\x00", "é", "\\", " "]),
    pos=st.integers(0, 200),
)
def test_damaged_text(line: int, action: str, char: str, pos: int, tmp_path: Path) -> None:
    lines = list(_LINES)
    if action == "delete":
        del lines[line]
    elif action == "duplicate":
        lines.insert(line, lines[line])
    else:
        text = lines[line]
        i = pos % max(len(text), 1)
        lines[line] = text[:i] + char + text[i + 1 :]
    p = tmp_path / "demo_job.toml"
    p.write_text("".join(lines), encoding="utf-8")
    _judge(lambda: load_job_config(p), key=None)


def test_demo_inputs_untouched() -> None:
    """The properties above read the demo's inputs and never modify them."""
    assert _INPUTS, "the demo job names no absolute input file"
    for p, digest in _INPUTS.items():
        assert hashlib.sha256(p.read_bytes()).hexdigest() == digest, p
