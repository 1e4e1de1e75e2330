"""Fonts for figures with Chinese (and Japanese) text: boundary names, T/CI 231 labels.

matplotlib's default DejaVu Sans has no CJK glyphs, so a name such as 深圳市 is drawn as
empty boxes. :func:`font_rc` returns the rcParams of a fallback chain: DejaVu Sans for Latin
text, then a CJK font -- an installed full one when there is one (:data:`SYSTEM_CJK`, e.g.
``apt install fonts-noto-cjk``), else the Noto Sans CJK SC subset shipped in
``urbansat/data/fonts`` (GB 2312 plus kana plus every CJK character of urbansat's texts and
sample boundaries; OFL 1.1, see its PROVENANCE.md). The report draws inside
``matplotlib.rc_context(font_rc())``; in a notebook, :func:`use_cjk_font` sets it globally.
"""

from __future__ import annotations

import functools
import importlib.resources
import unicodedata
from collections.abc import Iterable
from typing import Any, cast

__all__ = ["SYSTEM_CJK", "cjk_family", "font_rc", "missing_glyphs", "use_cjk_font"]

#: Installed CJK families preferred over the bundled subset (full character sets).
SYSTEM_CJK = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)

_BUNDLED = "NotoSansCJKsc-Regular-subset.otf"
# control, format and unassigned code points draw nothing; private-use ones draw a box
_INVISIBLE = frozenset({"Cc", "Cf", "Cn", "Cs"})


@functools.cache
def _bundled_path() -> str:
    return str(importlib.resources.files("urbansat.data") / "fonts" / _BUNDLED)


@functools.cache
def cjk_family() -> tuple[str, str]:
    """Family name and file of the CJK font used: an installed full font, else the bundled one.

    Returns
    -------
    tuple of (str, str)
        ``(family, path)``; the bundled font is registered with matplotlib's font manager.
    """
    from matplotlib import font_manager

    installed = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for name in SYSTEM_CJK:
        if name in installed and _BUNDLED not in installed[name]:
            return name, installed[name]
    path = _bundled_path()
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name(), path


def font_rc() -> dict[str, Any]:
    """Return the rcParams of the fallback chain DejaVu Sans -> CJK font (module docstring).

    Returns
    -------
    dict
        For ``matplotlib.rc_context`` or ``matplotlib.rcParams.update``.
    """
    return {"font.family": ["DejaVu Sans", cjk_family()[0]]}


def use_cjk_font() -> str:
    """Set the CJK fallback chain in matplotlib's global rcParams; return the CJK family.

    Returns
    -------
    str
        The CJK family name now in ``rcParams["font.family"]``.
    """
    import matplotlib as mpl

    mpl.rcParams.update(cast("Any", font_rc()))
    return cjk_family()[0]


@functools.cache
def _charmaps() -> tuple[frozenset[int], ...]:
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    paths = [font_manager.findfont("DejaVu Sans"), cjk_family()[1]]
    out = []
    for p in paths:
        with TTFont(p, lazy=True, fontNumber=0) as f:
            out.append(frozenset(f.getBestCmap() or {}))
    return tuple(out)


def missing_glyphs(texts: Iterable[str]) -> str:
    """Characters of ``texts`` that no font of the chain can draw (sorted, unique).

    Parameters
    ----------
    texts : iterable of str
        Labels to be drawn (boundary names, ids, titles).

    Returns
    -------
    str
        The characters that would show as boxes; empty when every one is covered.

    Examples
    --------
    >>> missing_glyphs(["深圳市 Shenzhen", "福田区"])
    ''
    """
    maps = _charmaps()
    chars = {
        c
        for t in texts
        for c in str(t)
        if not c.isspace() and unicodedata.category(c) not in _INVISIBLE
    }
    return "".join(sorted(c for c in chars if not any(ord(c) in m for m in maps)))
