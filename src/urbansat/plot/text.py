r"""Text that comes from data (boundary ids and names, source names, legend classes) as written.

matplotlib reads a string with two ``$`` as mathtext: ``"$x$"`` is typeset as an
italic x, and a malformed one (``"$\frac{a}$"``) raises ``ValueError`` when the
figure is drawn, which took the whole HTML report down. Every label that holds a
user's id or name goes through :func:`mathtext_escape` first, so it is shown
exactly as written and never parsed.
"""

from __future__ import annotations

__all__ = ["mathtext_escape"]


def mathtext_escape(text: object) -> str:
    r"""Return ``str(text)`` with every ``$`` escaped, so matplotlib draws it literally.

    Parameters
    ----------
    text : object
        An id, a name, or any value to draw as a label.

    Returns
    -------
    str
        The text with ``$`` replaced by ``\$`` (matplotlib's literal dollar sign).

    Examples
    --------
    >>> mathtext_escape("$x$ park")
    '\\$x\\$ park'
    >>> mathtext_escape(42)
    '42'
    """
    return str(text).replace("$", r"\$")
