"""The house style of the experiments' figures (nsnn_sim.experiments._style): legends off the data, panel
letters, the quick-mode mark, titles that fit, and the files (PNG at 300 dpi, PDF, SVG)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nsnn_sim.analysis.plotting import save_figure  # noqa: E402
from nsnn_sim.experiments import _style as style  # noqa: E402


@pytest.fixture(autouse=True)
def house_style():
    with style.context():
        yield
    plt.close("all")


def _frame(ax):
    return ax.get_window_extent(ax.figure.canvas.get_renderer())


def test_a_legend_over_the_data_moves_to_a_free_corner_of_its_panel():
    figure, ax = style.subplots()
    ax.plot([0.6, 0.8, 1.0], [0.9, 1.0, 0.95], "o-", label="data in the upper right")
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.legend(loc="upper right")
    figure.draw_without_rendering()
    assert style.covered(ax) > 0  # the check sees the overlap it is to remove
    style.finish(figure)
    figure.draw_without_rendering()
    assert style.covered(ax) == 0
    assert _frame(ax).contains(*ax.get_legend().get_window_extent().p0)  # still inside the panel


def test_a_legend_with_no_free_place_goes_beside_the_panel_and_the_figure_grows():
    figure, (full, other) = style.subplots(1, 2)
    x, y = np.meshgrid(np.linspace(0, 1, 40), np.linspace(0, 1, 40))
    full.plot(x.ravel(), y.ravel(), ".", label="points everywhere")
    full.legend()
    other.plot([0, 1], [0, 1], label="a line")
    other.legend(loc="upper left")
    width = figure.get_figwidth()
    figure.draw_without_rendering()
    before = _frame(full).width
    style.finish(figure)
    figure.draw_without_rendering()
    legend = full.get_legend().get_window_extent()
    assert style.covered(full) == 0 and legend.x0 >= _frame(full).x1  # right of the panel
    assert not legend.overlaps(_frame(other))  # and clear of the next one
    assert figure.get_figwidth() > width and _frame(full).width > 0.9 * before  # the panel keeps its size


def test_reference_lines_are_not_data_but_lines_through_the_legend_are():
    figure, ax = style.subplots()
    ax.axhline(0.5, color="k")
    ax.plot([0, 1], [0, 1])
    figure.draw_without_rendering()
    centre = _frame(ax).shrunk(0.2, 0.2).anchored("C", _frame(ax))
    assert style.covered(ax, centre) == 1  # the diagonal crosses the middle; the axhline does not count
    corner = _frame(ax).shrunk(0.2, 0.2).anchored("NW", _frame(ax))
    assert style.covered(ax, corner) == 0


def test_every_panel_gets_a_letter_but_twins_and_empty_panels():
    figure, axes = style.subplots(2, 2)
    for ax in axes.flat:
        ax.plot([0, 1], [1, 0])
        ax.set_ylabel("y (unit)")
        ax.set_title("a title")
    axes[0, 1].twinx().plot([0, 1], [0, 1])
    axes[1, 1].axis("off")
    style.finish(figure)
    figure.draw_without_rendering()
    letters = style.panel_letters(figure)
    assert [text.get_text() for text in letters] == ["a", "b", "c"]
    assert [text.axes for text in letters] == [axes[0, 0], axes[0, 1], axes[1, 0]]
    for text in letters:  # left of the y label, level with the title
        box, label = text.get_window_extent(), text.axes.yaxis.label.get_window_extent()
        assert box.x1 <= label.x0 + 1 and box.y0 >= _frame(text.axes).y1


def test_a_quick_run_is_marked_and_a_full_run_is_not():
    for quick in (True, False):
        figure, ax = style.subplots()
        ax.plot([0, 1], [0, 1])
        style.finish(figure, quick=quick)
        assert any(text.get_text() == style.QUICK_MARK for text in figure.texts) == quick


def test_a_title_wider_than_its_panel_is_broken_into_lines_that_fit():
    figure, (left, right) = style.subplots(1, 2)
    left.set_title("a title much too long for one panel of the standard size, so it must wrap")
    right.set_title("short")
    style.finish(figure)
    figure.draw_without_rendering()
    assert "\n" in left.get_title(loc="left") and "\n" not in right.get_title(loc="left")
    assert left._left_title.get_window_extent().width <= 0.97 * _frame(left).width


def test_save_figure_writes_a_300_dpi_png_and_pdf_and_svg_with_text_as_text(tmp_path):
    from PIL import Image

    def draw():
        figure, ax = style.subplots()
        ax.plot([0, 1], [0, 1])
        ax.set_xlabel("time (s)")
        return figure

    path = save_figure(draw(), tmp_path / "figure.png")
    assert path == tmp_path / "figure.png"
    assert round(Image.open(path).info["dpi"][0]) == 300
    svg = (tmp_path / "figure.svg").read_text()
    assert "time (s)" in svg  # text, not paths
    assert (tmp_path / "figure.pdf").read_bytes().startswith(b"%PDF")
    save_figure(draw(), tmp_path / "again.png")
    assert (tmp_path / "again.svg").read_text() == svg  # no dates, the same bytes
    assert (tmp_path / "again.pdf").read_bytes() == (tmp_path / "figure.pdf").read_bytes()


@pytest.mark.parametrize("call, message", [
    (lambda path: save_figure(plt.figure(), path, dpi=0), "dpi=0"),
    (lambda path: save_figure(plt.figure(), path, vector="yes"), "vector must be True or False"),
])
def test_save_figure_refuses_bad_arguments_naming_them(tmp_path, call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call(tmp_path / "figure.png")
