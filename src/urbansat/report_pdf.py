"""Composer: the printable (A4 PDF) form of the HTML report, drawn with matplotlib only.

No browser or HTML engine is needed (CI installs from PyPI only): :func:`html_to_pdf` reads
the report's own HTML (the small, fixed subset :mod:`urbansat.report` writes: headings,
paragraphs, lists, tables, embedded PNG figures with captions, ``<details>``) and lays it
out on A4 portrait pages with :class:`matplotlib.backends.backend_pdf.PdfPages`. The PDF
therefore shows exactly what the HTML shows, with these print rules:

* every boundary section starts on a new page (its heading is the first line of the page);
* a closed ``<details>`` shows its summary line only (the collapsed rows without a value,
  the options JSON), an open one its content;
* tables wrap their cells and repeat their header row after a page break; the numbers are
  the display cells of the HTML (t/kt/Mt, :func:`urbansat.report.display_scale`);
* text is drawn with the CJK fallback chain of :mod:`urbansat.plot.fonts` (the bundled Noto
  Sans CJK subset when no full CJK font is installed) and embedded as TrueType (Type 42) so
  that the text can be searched and copied; a character that no font of the chain has is
  replaced by ``?`` with one :class:`~urbansat.errors.UrbansatWarning` naming it (never a
  box drawn silently).
"""

from __future__ import annotations

import base64
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast

__all__ = ["A4_INCHES", "html_to_pdf"]

#: A4 portrait, 210 x 297 mm, in inches (matplotlib's figure unit).
A4_INCHES = (210 / 25.4, 297 / 25.4)
_W, _H = A4_INCHES[0] * 72.0, A4_INCHES[1] * 72.0  # points
_MARGIN = 42.0  # points (~15 mm)
_TEXT_W = _W - 2 * _MARGIN
_BODY = 8.0  # pt
_LEAD = 1.3  # line height / font size
_DARK = "#17324d"
_STATUS_COLOURS = {
    "status-ok": "#1a7f37",
    "status-partial": "#9a6700",
    "status-from_inventory": "#0550ae",
    "status-rejected": "#cf222e",
}
_GREY_STATUSES = ("not_observable", "no_data", "single_period", "not_applicable")
_BLOCK = frozenset(
    {
        "body", "main", "header", "section", "div", "nav", "ul", "ol", "li", "table", "tr",
        "figure", "figcaption", "details", "summary", "p", "pre", "h1", "h2", "h3", "h4", "img",
    }
)  # fmt: skip
_VOID = frozenset({"br", "img", "meta", "link", "hr", "col"})


# ---------------------------------------------------------------- a minimal DOM of the report


@dataclass
class _El:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_El | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def iter(self, tag: str) -> Iterator[_El]:
        for c in self.children:
            if isinstance(c, _El):
                if c.tag == tag:
                    yield c
                yield from c.iter(tag)


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _El("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = _El(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        if tag not in _VOID:
            self.stack.append(el)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):  # tolerate unclosed children
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def _text(el: _El | str, *, pre: bool = False) -> str:
    """Inline text of an element (``<br>`` -> newline; whitespace collapsed unless ``pre``)."""
    if isinstance(el, str):
        return el if pre else re.sub(r"\s+", " ", el)
    if el.tag == "br":
        return "\n"
    if el.tag in ("style", "script"):
        return ""
    out = "".join(_text(c, pre=pre or el.tag == "pre") for c in el.children)
    return out


def _clean(s: str) -> str:
    return "\n".join(line.strip() for line in s.split("\n")).strip()


def _colour(el: _El) -> str | None:
    """Colour of a cell from the status classes of the spans inside it (as the HTML's CSS)."""
    for c in [el, *(x for x in _walk(el))]:
        for k in c.classes:
            if k in _STATUS_COLOURS:
                return _STATUS_COLOURS[k]
            if k.removeprefix("status-") in _GREY_STATUSES:
                return "#888888"
    return None


def _walk(el: _El) -> Iterator[_El]:
    for c in el.children:
        if isinstance(c, _El):
            yield c
            yield from _walk(c)


# ----------------------------------------------------------------------------- layout blocks


@dataclass
class _Para:
    text: str
    size: float = _BODY
    bold: bool = False
    colour: str = "#222222"
    indent: float = 0.0
    before: float = 2.0
    after: float = 3.0
    mono: bool = False
    rule: bool = False  # a line under it (h2)
    hang: bool = False  # continuation lines indented past a leading bullet


@dataclass
class _Table:
    rows: list[list[tuple[str, str | None]]]  # (text, colour) per cell
    header: int  # leading rows that are headers


@dataclass
class _Image:
    png: bytes
    caption: str


@dataclass
class _Break:
    """A new page (before each boundary section)."""


@dataclass
class _Box:
    """Start/end of a caveat box (amber bar and background)."""

    start: bool


_Block = _Para | _Table | _Image | _Break | _Box

#: Resolution assumed for a PNG that states none (no ``pHYs`` chunk): the report's figures
#: were drawn at 90 dpi before :data:`urbansat.report.FIGURE_DPI` (a report written then).
_PNG_DPI_UNSTATED = 90.0
_INCH_M = 0.0254  # metres per inch (exact, by definition of the international inch)
#: ``pHYs`` chunk layout (PNG specification, 11.3.5.3): x and y pixels per unit (4 bytes
#: each), unit specifier (1 byte; 1 = metre).
_PHYS_FORMAT = ">IIB"
_PHYS_METRE = 1


def _png_dpi(png: bytes) -> float:
    """Resolution (pixels per inch) a PNG states in its ``pHYs`` chunk, else 90.

    matplotlib writes the ``savefig(dpi=...)`` of a figure there, in pixels per metre (PNG
    specification, section 11.3.5.3), so the PDF draws every figure at the physical size it
    was made for, at whatever resolution the report rendered it.

    Parameters
    ----------
    png : bytes
        A PNG file.

    Returns
    -------
    float
        Pixels per inch (the x resolution); 90 when the PNG states none or no metric one.
    """
    import struct

    i = 8  # after the 8-byte PNG signature
    while i + 8 <= len(png):
        n, kind = struct.unpack(">I4s", png[i : i + 8])
        if kind == b"pHYs" and n == struct.calcsize(_PHYS_FORMAT):
            x_ppu, _, unit = struct.unpack(_PHYS_FORMAT, png[i + 8 : i + 8 + n])
            return x_ppu * _INCH_M if unit == _PHYS_METRE and x_ppu > 0 else _PNG_DPI_UNSTATED
        if kind in (b"IDAT", b"IEND"):  # pHYs must precede the image data
            break
        i += 12 + n  # length, type, data, CRC
    return _PNG_DPI_UNSTATED


_HEADINGS = {"h1": 15.0, "h2": 12.0, "h3": 10.0, "h4": 9.0}


def _is_inline(el: _El) -> bool:
    return not any(c.tag in _BLOCK for c in _walk(el))


def _table(el: _El) -> _Table:
    rows: list[list[tuple[str, str | None]]] = []
    header = 0
    for tr in el.iter("tr"):
        cells = [c for c in tr.children if isinstance(c, _El) and c.tag in ("th", "td")]
        if not cells:
            continue
        if all(c.tag == "th" for c in cells) and len(rows) == header:
            header += 1
        rows.append([(_clean(_text(c)), _colour(c)) for c in cells])
    return _Table(rows, header)


def _header(c: _El) -> Iterator[_Block]:
    h1 = next(c.iter("h1"), None)
    yield _Para(_clean(_text(h1)) if h1 else "", size=_HEADINGS["h1"], bold=True)
    for d in c.children:
        if isinstance(d, _El) and d.tag == "div":
            yield _Para(_clean(_text(d)), size=_BODY, colour="#444444", before=0)
    yield _Para("", rule=True, before=0, after=6)


def _section(c: _El) -> Iterator[_Block]:
    if "boundary" in c.classes:
        yield _Break()
    caveat = "caveat" in c.classes
    if caveat:
        yield _Box(start=True)
    yield from _blocks(c)
    if caveat:
        yield _Box(start=False)


def _figure(c: _El) -> Iterator[_Block]:
    img = next(c.iter("img"), None)
    cap = next(c.iter("figcaption"), None)
    src = img.attrs.get("src", "") if img else ""
    if src.startswith("data:image/png;base64,"):
        yield _Image(base64.b64decode(src.split(",", 1)[1]), _clean(_text(cap)) if cap else "")


def _details(c: _El) -> Iterator[_Block]:
    summary = next((d for d in c.children if isinstance(d, _El) and d.tag == "summary"), None)
    if summary is not None:
        yield _Para(_clean(_text(summary)), bold=True, before=4)
    if "open" in c.attrs:
        yield from _blocks(_El("div", children=[d for d in c.children if d is not summary]))


def _blocks(el: _El) -> Iterator[_Block]:  # noqa: PLR0912 - one branch per HTML element
    """Layout blocks of an element, in reading order (module docstring: print rules)."""
    for c in el.children:
        if isinstance(c, str):
            t = _clean(re.sub(r"\s+", " ", c))
            if t:
                yield _Para(t)
            continue
        tag = c.tag
        if tag in ("head", "style", "script", "meta", "title"):
            continue
        if tag == "header":
            yield from _header(c)
        elif tag == "section":
            yield from _section(c)
        elif tag in _HEADINGS:
            yield _Para(
                _clean(_text(c)),
                size=_HEADINGS[tag],
                bold=True,
                colour=_DARK if tag == "h2" else "#222222",
                before=8 if tag == "h2" else 5,
                after=4,
                rule=tag == "h2",
            )
        elif tag == "table":
            yield _table(c)
        elif tag == "figure":
            yield from _figure(c)
        elif tag == "details":
            yield from _details(c)
        elif tag == "pre":
            yield _Para(_text(c, pre=True).strip("\n"), size=6.5, mono=True)
        elif tag in ("ul", "ol"):
            for li in (d for d in c.children if isinstance(d, _El) and d.tag == "li"):
                yield _Para("• " + _clean(_text(li)), indent=8, before=0, after=1.5, hang=True)
        elif tag in ("p", "figcaption", "summary", "li") or (tag == "div" and _is_inline(c)):
            t = _clean(_text(c))
            if t:
                small = "small" in c.classes
                yield _Para(
                    t, size=7.0 if small else _BODY, colour="#555555" if small else "#222222"
                )
        else:  # containers: body, main, div, nav, ...
            yield from _blocks(c)


# ---------------------------------------------------------------------- measuring and drawing


class _Fonts:
    """Character widths (points per point of size) of the fallback chain, cached."""

    def __init__(self, family: list[str]) -> None:
        from matplotlib.backends.backend_agg import RendererAgg
        from matplotlib.font_manager import FontProperties

        self.family = family
        self._r = RendererAgg(10, 10, 72)  # type: ignore[no-untyped-call]
        self._props = {
            (b, m): FontProperties(
                family=["DejaVu Sans Mono", *family] if m else family,
                weight="bold" if b else "normal",
                size=100,
            )
            for b in (False, True)
            for m in (False, True)
        }
        self._w: dict[tuple[str, bool, bool], float] = {}

    def width(self, s: str, size: float, *, bold: bool = False, mono: bool = False) -> float:
        """Width of ``s`` in points at ``size``: the sum of its characters' advances.

        Measured once per character (the CJK font makes every measurement slow) at 100 pt,
        without hinting as in a PDF; kerning is covered by a 3 % margin.
        """
        total = 0.0
        for ch in s:
            k = (ch, bold, mono)
            if k not in self._w:
                prop = self._props[(bold, mono)]
                m = cast("Any", self._r).get_text_width_height_descent  # untyped in matplotlib
                if ch.isspace():  # a lone space measures 0: take it from "a a" - "aa"
                    w = m("a a", prop, ismath=False)[0] - m("aa", prop, ismath=False)[0]
                else:
                    w = m(ch, prop, ismath=False)[0]
                self._w[k] = w / 100.0
            total += self._w[k]
        return total * size * 1.03

    def wrap(
        self, text: str, width: float, size: float, *, bold: bool = False, mono: bool = False
    ) -> list[str]:
        """Greedy line breaks at spaces, after CJK characters and, for long tokens, anywhere."""
        lines: list[str] = []
        for para in text.split("\n"):
            if mono:
                tokens = [para]
            else:
                tokens = re.findall(
                    r"[\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef]|[^\s\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef]+|\s+",
                    para,
                )
            line = ""
            for tok in tokens:
                cand = line + tok
                if (
                    self.width(cand.rstrip(), size, bold=bold, mono=mono) <= width
                    or not line.strip()
                ):
                    line = cand
                else:
                    lines.append(line.rstrip())
                    line = tok.lstrip()
                while self.width(line, size, bold=bold, mono=mono) > width and len(line) > 1:
                    cut = len(line) - 1  # too long even alone (sha256, paths): break inside
                    while cut > 1 and self.width(line[:cut], size, bold=bold, mono=mono) > width:
                        cut -= 1
                    lines.append(line[:cut])
                    line = line[cut:]
            lines.append(line.rstrip())
        return lines


class _Pages:
    """A4 pages filled top to bottom; one matplotlib Figure per page."""

    def __init__(self, pdf: Any, fonts: _Fonts, footer: str) -> None:
        self.pdf, self.fonts, self.footer = pdf, fonts, footer
        self.fig: Any = None
        self.y = 0.0  # points from the top edge
        self.n = 0
        self.box_top: float | None = None  # top of the open caveat box on this page
        self.pending_box = False

    # -- page handling
    def new_page(self) -> None:
        from matplotlib.figure import Figure

        self.close_page()
        self.fig = Figure(figsize=A4_INCHES)
        self.n += 1
        self.y = _MARGIN
        if self.box_top is not None:
            self.box_top = self.y

    def close_page(self) -> None:
        if self.fig is None:
            return
        if self.box_top is not None:
            self._box(self.box_top, self.y)
        self.text(
            _MARGIN, _H - _MARGIN / 2, f"{self.footer} · page {self.n}", 6.5, colour="#777777"
        )
        self.pdf.savefig(self.fig)
        self.fig = None

    def room(self, h: float) -> None:
        """Start a new page when ``h`` points do not fit below the cursor."""
        if self.fig is None or (self.y + h > _H - _MARGIN and self.y > _MARGIN + 1):
            self.new_page()

    @property
    def at_top(self) -> bool:
        return self.fig is None or self.y <= _MARGIN + 1

    # -- primitives (points, origin top-left)
    def text(
        self,
        x: float,
        y: float,
        s: str,
        size: float,
        *,
        bold: bool = False,
        colour: str = "#222222",
        mono: bool = False,
    ) -> None:
        self.fig.text(
            x / _W,
            1 - y / _H,
            s,
            fontsize=size,
            fontweight="bold" if bold else "normal",
            family=["DejaVu Sans Mono", *self.fonts.family] if mono else self.fonts.family,
            color=colour,
            va="top",
            ha="left",
            parse_math=False,
        )

    def hline(
        self, x0: float, x1: float, y: float, *, colour: str = "#cccccc", lw: float = 0.5
    ) -> None:
        from matplotlib.lines import Line2D

        self.fig.add_artist(
            Line2D([x0 / _W, x1 / _W], [1 - y / _H, 1 - y / _H], color=colour, lw=lw)
        )

    def rect(self, x: float, y: float, w: float, h: float, colour: str) -> None:
        from matplotlib.patches import Rectangle

        self.fig.add_artist(
            Rectangle((x / _W, 1 - (y + h) / _H), w / _W, h / _H, color=colour, lw=0, zorder=-1)
        )

    def _box(self, top: float, bottom: float) -> None:
        self.rect(_MARGIN - 6, top - 3, _TEXT_W + 8, bottom - top + 3, "#fff8e5")
        self.rect(_MARGIN - 6, top - 3, 3, bottom - top + 3, "#bf8700")

    # -- blocks
    def add(self, b: _Block) -> None:
        """Lay out one block below the cursor."""
        if isinstance(b, _Break):
            if not self.at_top:
                self.new_page()
        elif isinstance(b, _Box):
            if b.start:
                self.pending_box = True
                return
            if self.box_top is not None and self.fig is not None:
                self._box(self.box_top, self.y)
            self.box_top = None
            self.y += 4
        else:
            if self.pending_box:  # the box opens with the first block inside it
                self.room(3 * _BODY * _LEAD)
                self.y += 4
                self.box_top = self.y
                self.pending_box = False
            if isinstance(b, _Para):
                self.para(b)
            elif isinstance(b, _Image):
                self.image(b)
            else:
                self.table(b)

    def para(self, p: _Para) -> None:
        lead = p.size * _LEAD
        hang = self.fonts.width("• ", p.size) if p.hang else 0.0
        width = _TEXT_W - p.indent - hang
        lines = self.fonts.wrap(p.text, width, p.size, bold=p.bold, mono=p.mono)
        if p.size > _BODY:  # a heading stays with two lines of what follows
            self.room(p.before + lead * len(lines) + 3 * _BODY * _LEAD)
        elif not self.at_top:
            self.y += p.before
        for k, line in enumerate(lines if p.text else []):
            self.room(lead)
            x = _MARGIN + p.indent + (hang if k else 0.0)
            self.text(x, self.y, line, p.size, bold=p.bold, colour=p.colour, mono=p.mono)
            self.y += lead
        if p.rule:
            self.room(2)
            self.hline(_MARGIN, _W - _MARGIN, self.y, colour=_DARK, lw=1.2)
        self.y += p.after

    def image(self, im: _Image) -> None:
        import matplotlib.image as mpimg

        arr = mpimg.imread(io.BytesIO(im.png), format="png")
        h_px, w_px = arr.shape[:2]
        w = min(_TEXT_W, w_px * 72.0 / _png_dpi(im.png))  # the figure's size in points
        h = w * h_px / w_px
        cap = self.fonts.wrap(im.caption, _TEXT_W, 7.0) if im.caption else []
        h_max = _H - 2 * _MARGIN - len(cap) * 7.0 * _LEAD - 6
        if h > h_max:
            w, h = w * h_max / h, h_max
        self.room(h + len(cap) * 7.0 * _LEAD + 6)
        ax = self.fig.add_axes(((_MARGIN) / _W, 1 - (self.y + h) / _H, w / _W, h / _H))
        ax.imshow(arr, interpolation="none", aspect="auto")
        ax.set_axis_off()
        self.y += h + 2
        for line in cap:
            self.text(_MARGIN, self.y, line, 7.0, colour="#555555")
            self.y += 7.0 * _LEAD
        self.y += 6

    def table(self, t: _Table) -> None:
        if not t.rows:
            return
        ncol = max(len(r) for r in t.rows)
        rows = [r + [("", None)] * (ncol - len(r)) for r in t.rows]
        pad = 2.5
        for size in (7.0, 6.5, 6.0, 5.5, 5.0):
            # natural width (one line per cell) and minimum width (the longest word, up to
            # 60 pt: longer tokens such as checksums break anywhere) of every column
            nat = [0.0] * ncol
            low = [0.0] * ncol
            for i, r in enumerate(rows):
                for j, (text, _) in enumerate(r):
                    bold = i < t.header
                    for line in text.split("\n"):
                        nat[j] = max(nat[j], self.fonts.width(line, size, bold=bold) + 2 * pad)
                    for word in re.split(r"\s+", text):
                        w = min(self.fonts.width(word, size, bold=bold), 60.0)
                        low[j] = max(low[j], w + 2 * pad)
            if sum(low) <= _TEXT_W:
                break
        nat = [max(n, m) for n, m in zip(nat, low, strict=True)]
        widths = _fit(nat, low, _TEXT_W)
        lead = size * 1.25

        def cells(r: list[tuple[str, str | None]], bold: bool) -> list[list[str]]:
            return [
                self.fonts.wrap(c[0], max(w - 2 * pad, size), size, bold=bold)
                for c, w in zip(r, widths, strict=True)
            ]

        head = [cells(r, True) for r in rows[: t.header]]
        head_h = sum(max(len(c) for c in h) * lead + 2 * pad for h in head)

        def draw(r: list[tuple[str, str | None]], lines: list[list[str]], bold: bool) -> None:
            h = max(len(c) for c in lines) * lead + 2 * pad
            if bold:
                self.rect(_MARGIN, self.y, sum(widths), h, "#eef2f6")
            x = _MARGIN
            for (_, colour), ls, w in zip(r, lines, widths, strict=True):
                for k, line in enumerate(ls):
                    self.text(x + pad, self.y + pad + k * lead, line, size, bold=bold,
                              colour=colour or "#222222")  # fmt: skip
                x += w
            self.y += h
            self.hline(_MARGIN, _MARGIN + sum(widths), self.y)

        self.y += 2
        self.room(head_h + 3 * lead)
        for r, hl in zip(rows[: t.header], head, strict=True):
            draw(r, hl, True)
        for r in rows[t.header :]:
            lines = cells(r, False)
            if self.y + max(len(c) for c in lines) * lead + 2 * pad > _H - _MARGIN:
                self.new_page()
                for hr, hh in zip(rows[: t.header], head, strict=True):
                    draw(hr, hh, True)  # the header again on the new page
            draw(r, lines, False)
        self.y += 5


def _fit(natural: list[float], low: list[float], avail: float) -> list[float]:
    """Column widths: the natural ones, the widest capped (water-filling) to sum to ``avail``.

    No column gets less than its ``low`` width (the longest word); when even those do not fit,
    the table is as wide as their sum.
    """
    if sum(natural) <= avail:
        return natural
    lo, hi = 0.0, max(natural)
    for _ in range(50):
        cap = (lo + hi) / 2
        if sum(max(m, min(n, cap)) for n, m in zip(natural, low, strict=True)) > avail:
            hi = cap
        else:
            lo = cap
    return [max(m, min(n, lo)) for n, m in zip(natural, low, strict=True)]


def _all_text(blocks: list[_Block]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, _Para):
            out.append(b.text)
        elif isinstance(b, _Image):
            out.append(b.caption)
        elif isinstance(b, _Table):
            out += [c[0] for r in b.rows for c in r]
    return out


def _replace_missing(blocks: list[_Block], lost: str) -> None:
    table = str.maketrans(dict.fromkeys(lost, "?"))
    for b in blocks:
        if isinstance(b, _Para):
            b.text = b.text.translate(table)
        elif isinstance(b, _Image):
            b.caption = b.caption.translate(table)
        elif isinstance(b, _Table):
            b.rows = [[(c[0].translate(table), c[1]) for c in r] for r in b.rows]


def html_to_pdf(html_text: str, path: str | Path, *, title: str = "urbansat report") -> int:
    """Lay out the report HTML on A4 pages and write them to ``path`` (not atomic: see below).

    Parameters
    ----------
    html_text : str
        The HTML of :func:`urbansat.report.render_report`.
    path : str or Path
        PDF file to create (:func:`urbansat.report.write_report_pdf` passes a temporary file
        that it renames into place).
    title : str
        Page footer and PDF metadata title.

    Returns
    -------
    int
        The number of pages written.

    Warns
    -----
    UrbansatWarning
        When the report contains characters that no font of the chain can draw; they are
        printed as ``?`` (the HTML keeps them).
    """
    import warnings

    from urbansat.errors import UrbansatWarning
    from urbansat.plot.fonts import font_rc, missing_glyphs

    tree = _Tree()
    tree.feed(html_text)
    tree.close()
    body = next(tree.root.iter("body"), tree.root)
    blocks = list(_blocks(body))
    lost = missing_glyphs(_all_text(blocks))
    if lost:
        warnings.warn(
            UrbansatWarning(
                f"the PDF report contains characters no available font can draw ({lost!r}); they "
                "are printed as '?' (the HTML report shows them). Install a full font, e.g. "
                "'apt install fonts-noto-cjk'."
            ),
            stacklevel=3,
        )
        _replace_missing(blocks, lost)
    rc = {**font_rc(), "pdf.fonttype": 42}
    # the CJK fonts have one weight: bold CJK text is drawn regular, which matplotlib's font
    # manager logs once per text ("Failed to find font weight bold"); that is the intent here
    fm_log = logging.getLogger("matplotlib.font_manager")
    level = fm_log.level
    fm_log.setLevel(logging.ERROR)
    try:
        return _draw(blocks, rc, path, title)
    finally:
        fm_log.setLevel(level)


def _draw(blocks: list[_Block], rc: dict[str, Any], path: str | Path, title: str) -> int:
    import matplotlib as mpl
    from matplotlib.backends.backend_pdf import PdfPages

    from urbansat._version import __version__

    with mpl.rc_context(cast("Any", rc)):
        fonts = _Fonts(list(rc["font.family"]))
        with PdfPages(
            path,
            metadata={"Title": title, "Creator": f"urbansat {__version__}", "Producer": "urbansat"},
        ) as pdf:
            pages = _Pages(pdf, fonts, footer=title)
            for b in blocks:
                pages.add(b)
            if pages.fig is None:
                pages.new_page()
            pages.close_page()
            return pages.n
