"""Writing a figure to disk atomically.

Every figure of the package goes through :func:`save_figure`: matplotlib
writes to a temporary file beside the target, which is then renamed over it,
so an interrupted or failing write never leaves half a PNG in place of a
figure written earlier. The figure is closed afterwards (pyplot keeps figures
alive otherwise).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["save_figure"]

log = logging.getLogger(__name__)


def save_figure(fig: Any, path: str | Path, *, dpi: int = 120, close: bool = True, **savefig: Any) -> Path:
    """Write ``fig`` to ``path`` atomically and return the path.

    Parameters
    ----------
    fig
        A matplotlib figure.
    path
        The target; its suffix picks the format (``.png`` when it has none,
        which is then added).
    dpi
        Resolution, passed to ``Figure.savefig``.
    close
        Close the figure afterwards (through pyplot), also when writing fails.
    **savefig
        Further keywords for ``Figure.savefig`` (``bbox_inches`` ...).
    """
    p = Path(path)
    if not p.suffix:
        p = p.with_suffix(".png")
    fmt = p.suffix[1:].lower()
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=f".tmp.{fmt}", dir=p.parent if str(p.parent) else ".")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi, format=fmt, **savefig)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        if close:
            import matplotlib.pyplot as plt

            plt.close(fig)
    log.info("wrote %s", p)
    return p
