"""The house style of every experiment's figure: one look, and figures a reader can trust at a glance.

* :func:`context` -- the same fonts, sizes, colours and line widths (:data:`RC`) for every figure;
* :func:`subplots` -- a grid of panels of one standard size (:data:`PANEL`), laid out by matplotlib's
  constrained layout;
* :func:`finish` -- panel letters (a, b, c, ...), every legend moved off the data (to a free corner of its
  panel, else beside it), and a red "quick mode" mark on figures of quick runs;
* :func:`figure_legend`, :func:`key`, :func:`shades`, :func:`log_ticks` -- one legend for what several
  panels share, colours for ordered levels, plain tick labels on log axes.

:meth:`nsnn_sim.experiments.Experiment.draw` applies :func:`context` and :func:`finish`, and writes the
figure as vector graphics (PDF and SVG, text kept as text) and a 300-dpi PNG
(:func:`nsnn_sim.analysis.plotting.save_figure`), so an experiment's ``figure(data)`` only draws its panels
(with :func:`subplots`) and labels them.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from nsnn_sim.experiments import _style as style
>>> with style.context():
...     figure, (left, right) = style.subplots(1, 2)
...     _ = left.plot([0, 1], [0, 1], label="a line")
...     _ = left.legend()
...     figure = style.finish(figure, quick=True)
>>> [text.get_text() for text in style.panel_letters(figure)]
['a', 'b']
>>> style.covered(left)
0
>>> import matplotlib.pyplot as plt
>>> plt.close(figure)
"""

from __future__ import annotations

import textwrap

import matplotlib
import numpy as np
from cycler import cycler
from matplotlib.collections import Collection, PolyCollection
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import ScaledTranslation

__all__ = ["RC", "PANEL", "PALETTE", "QUICK_MARK", "context", "subplots", "finish",
           "figure_legend", "key", "shades", "covered", "panel_letters", "log_ticks"]

# Tableau 10: distinguishable, and the colours of "C0".."C9" in every figure
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]
PANEL = (4.3, 3.2)  # width, height of one panel (inches)
QUICK_MARK = "QUICK MODE: a small run that checks the pipeline; the numbers are not the paper-scale results"
_LETTER_SIZE = 12
_PAD_POINTS = 6.0
RC = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs on every machine
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.titlelocation": "left",  # after the panel letter
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 7.5,
    "legend.title_fontsize": 8,
    "legend.frameon": False,
    "figure.titlesize": 11,
    "axes.prop_cycle": cycler(color=PALETTE),
    "lines.linewidth": 1.3,
    "lines.markersize": 4,
    "errorbar.capsize": 2,
    "figure.constrained_layout.use": True,
}
# legend positions tried inside a panel, after the one the figure asked for
_INSIDE = ("upper right", "upper left", "lower left", "lower right", "center right", "center left", "upper center",
           "lower center", "center")


def context():
    """``with style.context():`` draws in the house style (:data:`RC`)."""
    return matplotlib.rc_context(RC)


def subplots(nrows: int = 1, ncols: int = 1, panel: tuple[float, float] = PANEL, **keywords):
    """``plt.subplots`` with panels of the standard size ``panel`` (inches) and constrained layout.

    Parameters
    ----------
    nrows, ncols : int
        The grid.
    panel : (float, float)
        Width and height of one panel in inches; the figure is ``(ncols*width, nrows*height)``.
    **keywords
        Passed to :func:`matplotlib.pyplot.subplots` (``sharex``, ``gridspec_kw``, ``squeeze``, ...).
    """
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, figsize=(ncols * panel[0], nrows * panel[1]), layout="constrained", **keywords)


def finish(figure, quick: bool = False):
    """Letter the panels, move every legend off the data, and mark a quick run; return ``figure``.

    Titles wider than their panel are broken into lines. Letters (bold a, b, c, ... in the order the
    panels were made) go to the top left of every panel that has axes showing, twins and colour bars
    excepted: left of the y label, level with the title. A legend inside a panel that covers data
    (:func:`covered`) moves to the first position inside the panel where it covers nothing, else beside
    the panel (right of its tick labels); the figure grows so that the panels keep their size.
    ``quick=True`` puts :data:`QUICK_MARK` in red above the figure.
    """
    figure.draw_without_rendering()  # lay out first: positions below are measured
    _add_letters(figure)
    figure.draw_without_rendering()
    _wrap_titles(figure)
    widened = {}
    for _ in range(4):  # moving a legend re-lays the figure, which can move the others
        figure.draw_without_rendering()
        if not any([_place_legend(legend, widened) for legend in _inner_legends(figure)]):
            break
    if quick:  # above everything; the saved area (the tight bounding box) takes it in
        figure.text(0.0, 1.0, QUICK_MARK, color="#d62728", fontsize=10, fontweight="bold", ha="left",
                    va="bottom", transform=figure.transFigure)
    return figure


def figure_legend(figure, entries: dict, title: str | None = None):
    """One legend for the whole figure, right of the panels: for what several panels share (the colour
    of each model, say), so that no panel carries it. ``entries`` maps labels to matplotlib handles
    (:func:`key` makes one)."""
    return figure.legend(list(entries.values()), list(entries), loc="outside right upper", title=title)


def shades(n: int) -> list:
    """``n`` colours for the levels of an ordered quantity (contrast, say), light to dark (viridis), apart
    from the categorical colours ``C0``.. that name models."""
    return list(matplotlib.colormaps["viridis"](np.linspace(0.8, 0.0, n)))


def key(color="k", linestyle="-", marker="o", **keywords) -> Line2D:
    """A legend handle: a short line (``linestyle``) with a ``marker`` in ``color``; ``linestyle="none"``
    for a marker alone, ``marker="none"`` for a line alone."""
    return Line2D([], [], color=color, linestyle=linestyle, marker=marker, **keywords)


def log_ticks(axis, values=None) -> None:
    """Plain-number tick labels on a log ``axis`` (``ax.xaxis`` or ``ax.yaxis``): ticks at ``values`` if
    given (no minor ticks), else at 1, 2 and 5 times the powers of ten, written 0.5, 1, 2 rather than 5x10^-1."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    if values is not None:
        axis.set_ticks(list(values), [f"{value:g}" for value in values])
        axis.set_ticks([], minor=True)
    else:
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


def panel_letters(figure) -> list:
    """The panel letters :func:`finish` put on ``figure`` (matplotlib ``Text`` objects), in order."""
    return [text for ax in figure.axes for text in ax.texts if text.get_gid() == "panel-letter"]


def covered(ax, box=None) -> int:
    """How many data marks of ``ax`` and its twins lie under ``box`` (display coordinates; default the
    bounding box of ``ax``'s legend, 0 without one).

    Data marks: points and line segments of lines drawn in data coordinates (reference lines such as
    ``axhline`` are not data), error-bar and filled collections, scatter points, bars, images and texts.
    """
    renderer = ax.figure.canvas.get_renderer()
    legend = ax.get_legend()
    if box is None:
        if legend is None or not legend.get_visible():
            return 0
        box = legend.get_window_extent(renderer)
    return sum(_covered_by(artist, box, renderer) for axes in _twins(ax) for artist in axes.get_children()
               if artist is not legend and artist.get_visible())


def _twins(ax) -> list:
    """``ax`` and the axes drawn in the same place (``twinx``/``twiny``)."""
    spec = ax.get_subplotspec()
    return [other for other in ax.figure.axes if other is ax or
            (spec is not None and other.get_subplotspec() == spec and _is_twin(other))] if spec else [ax]


def _is_twin(ax) -> bool:
    """Whether ``ax`` was made by ``twinx``/``twiny`` of an axes made before it in the same place."""
    spec = ax.get_subplotspec()
    before = ax.figure.axes[:ax.figure.axes.index(ax)]
    return spec is not None and any(other.get_subplotspec() == spec for other in before)


def _in_data_coordinates(artist) -> bool:
    axes = artist.axes
    return axes is not None and artist.get_transform().contains_branch(axes.transData)


def _covered_by(artist, box, renderer) -> int:
    """The number of marks of ``artist`` under ``box`` (0 for artists that are not data)."""
    if isinstance(artist, Line2D):
        if not _in_data_coordinates(artist):
            return 0
        points = artist.get_transform().transform(artist.get_xydata())
        points = points[np.isfinite(points).all(axis=1)]
        count = int(box.count_contains(points)) if artist.get_marker() not in ("None", "", " ", None) else 0
        if artist.get_linestyle() not in ("None", "", " ") and len(points) > 1:
            count += int(MplPath(points).intersects_bbox(box, filled=False))
        return count
    if isinstance(artist, Collection):
        return _collection_covered(artist, box)
    if isinstance(artist, Patch):
        return int(_in_data_coordinates(artist) and artist.get_window_extent(renderer).overlaps(box))
    if isinstance(artist, AxesImage):
        return int(artist.get_window_extent(renderer).overlaps(box))
    if isinstance(artist, Text) and artist in artist.axes.texts and artist.get_text():
        return int(artist.get_gid() != "panel-letter" and artist.get_window_extent(renderer).overlaps(box))
    return 0


def _collection_covered(collection, box) -> int:
    offsets = np.asarray(collection.get_offsets())
    if offsets.size and np.any(offsets):  # markers (scatter): their positions
        points = collection.get_offset_transform().transform(offsets)
        return int(box.count_contains(points[np.isfinite(points).all(axis=1)]))
    if not _in_data_coordinates(collection):
        return 0
    transform = collection.get_transform()
    filled = isinstance(collection, PolyCollection)
    return sum(int(transform.transform_path(path).intersects_bbox(box, filled=filled))
               for path in collection.get_paths())


def _panels(figure) -> list:
    """The axes that get a letter: shown, not a twin, not a colour bar."""
    return [ax for ax in figure.axes if ax.get_visible() and ax.axison and not _is_twin(ax)
            and not hasattr(ax, "_colorbar")]


def _titles(ax) -> list:
    """The non-empty titles of ``ax`` (matplotlib keeps the left and right ones, axes.titlelocation, beside
    ``ax.title`` in private attributes)."""
    return [text for text in (ax.title, getattr(ax, "_left_title", None), getattr(ax, "_right_title", None))
            if text is not None and text.get_text()]


def _wrap_titles(figure) -> None:
    """Break a title wider than its panel into lines that fit (the layout leaves titles' widths out)."""
    renderer = figure.canvas.get_renderer()
    for ax in _panels(figure):
        frame = ax.get_window_extent(renderer)
        for title in _titles(ax):
            text, characters = title.get_text(), len(title.get_text())
            # a little room for the letter of the panel to the right; glyphs differ in width, so measure
            while title.get_window_extent(renderer).width > 0.97 * frame.width and characters > 10:
                characters -= 2
                title.set_text(textwrap.fill(text, characters))


def _add_letters(figure) -> None:
    renderer = figure.canvas.get_renderer()
    for index, ax in enumerate(_panels(figure)):
        frame = ax.get_window_extent(renderer)
        decorations = ax.yaxis.get_tightbbox(renderer) if ax.yaxis.get_visible() else None
        left = min(frame.x0, decorations.x0) if decorations is not None else frame.x0
        titles = _titles(ax)
        bottom = (min(text.get_window_extent(renderer).y0 for text in titles) if titles
                  else frame.y1 + _PAD_POINTS * figure.dpi / 72)
        points_per_pixel = 72 / figure.dpi
        # right-aligned just left of the y label, on the baseline of the title
        ax.annotate(chr(ord("a") + index), xy=(0, 1), xycoords="axes fraction",
                    xytext=((left - frame.x0) * points_per_pixel - 2, (bottom - frame.y1) * points_per_pixel),
                    textcoords="offset points", ha="right", va="bottom", fontsize=_LETTER_SIZE,
                    fontweight="bold", gid="panel-letter")


def _inner_legends(figure) -> list:
    """Legends placed in their panel by matplotlib (not anchored elsewhere, nor figure legends)."""
    return [ax.get_legend() for ax in figure.axes if ax.axison and ax.get_legend() is not None
            and ax.get_legend().get_visible() and ax.get_legend().get_bbox_to_anchor().bounds == ax.bbox.bounds]


def _place_legend(legend, widened: dict) -> bool:
    """Move ``legend`` off the data of its panel if it covers any; return whether it moved."""
    ax = legend.axes
    if covered(ax) == 0:
        return False
    for location in _INSIDE:
        legend.set_loc(location)
        if covered(ax) == 0:
            return True
    _beside(legend, widened)
    return True


def _beside(legend, widened: dict) -> None:
    """Put ``legend`` to the right of its panel, clear of the tick labels and labels of the panel and its
    twins, and widen the figure by what the legends beside the panels of that column need."""
    ax = legend.axes
    figure = ax.figure
    renderer = figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    decorations = [axes.yaxis.get_tightbbox(renderer) for axes in _twins(ax) if axes.yaxis.get_visible()]
    right = max([frame.x1] + [box.x1 for box in decorations if box is not None])
    shift = (right - frame.x1) / figure.dpi + _PAD_POINTS / 72  # inches: kept when the layout changes
    legend.set_loc("upper left")
    legend.set_bbox_to_anchor((1, 1), transform=ax.transAxes + ScaledTranslation(shift, 0, figure.dpi_scale_trans))
    # the panels keep their size: the figure grows by the widest legend moved beside each column
    spec = ax.get_subplotspec()
    column = (id(spec.get_gridspec()), spec.colspan.stop) if spec is not None else id(ax)
    need = shift + legend.get_window_extent(renderer).width / figure.dpi
    if need > widened.get(column, 0.0):
        figure.set_figwidth(figure.get_figwidth() + need - widened.get(column, 0.0))
        widened[column] = need
