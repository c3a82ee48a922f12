"""The HTML report: a standalone page (no script, nothing beside it) with the totals, the
diagram inline when Graphviz can draw it, and each block and named group a <details> whose
summary is its subtotal; the same figures as the table."""
import re
import shutil
from html.parser import HTMLParser

import pytest

import netspec
from netspec.cli import main
from netspec.reports import render


class Tags(HTMLParser):
    """Counts elements and checks that every one that opens also closes, in order."""

    VOID = {"meta", "br", "img", "path", "polygon", "ellipse", "polyline", "stop"}

    def __init__(self):
        super().__init__()
        self.stack, self.count, self.open_details = [], {}, 0

    def handle_starttag(self, tag, attrs):
        self.count[tag] = self.count.get(tag, 0) + 1
        if tag == "details" and "open" in dict(attrs):
            self.open_details += 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.count[tag] = self.count.get(tag, 0) + 1

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    tags.close()
    assert tags.stack == []
    return tags


@pytest.fixture(scope="module")
def resnet():
    return netspec.analyze("specs/resnet18.yaml")


def test_a_standalone_page(resnet):
    page = render(resnet, "html")
    assert page.startswith("<!DOCTYPE html>\n<html lang='en'>") and page.endswith("</html>\n")
    assert "<style>" in page and "<script" not in page and "http" not in page.split("<svg")[0]
    tags = parse(page)
    groups = resnet.groups()
    assert tags.count["details"] == len(groups) == 15  # layer1..4, 8 blocks, 3 downsamples
    assert tags.count["summary"] == len(groups)
    assert tags.open_details == len(groups)  # without --depth, everything is shown


def test_the_page_has_the_tables_figures(resnet):
    page = render(resnet, "html")
    for figure in ("11,689,512", "1,814,073,344", "8,380,904"):
        assert figure in page
    for r in resnet.layers:  # every layer has its row
        assert f">{r.name}</span>" in page
    assert ">5-18</span>" in page and ">layer1</span>" in page and ">14 layers</span>" in page


def test_depth_closes_the_groups_below_it(resnet):
    tags = parse(render(resnet, "html", depth=1))
    assert tags.open_details == 0 and tags.count["details"] == 15
    tags = parse(render(resnet, "html", depth=2))
    assert tags.open_details == 4  # layer1..4 open, their blocks closed


def test_names_are_escaped():
    a = netspec.analyze("name: '<b>&'\ninput: [4]\nlayers: [relu]\n")
    page = render(a, "html")
    assert "<b>&" not in page and "&lt;b&gt;&amp;" in page


def _can_draw() -> bool:
    try:
        import graphviz  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None


@pytest.mark.skipif(not _can_draw(), reason="needs graphviz and its dot")
def test_the_diagram_is_inline(tmp_path):
    out = tmp_path / "r.html"
    assert main(["report", "lenet5", "-o", str(out)]) == 0
    page = out.read_text()
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert "c1" in svg and "61,706 parameters" in svg
    parse(page)
    assert "<svg" not in netspec.analyze("specs/lenet5.yaml").report("html", diagram=False)


def test_without_graphviz_the_page_has_no_diagram(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "graphviz", None)
    page = netspec.analyze("specs/lenet5.yaml").report("html")
    assert "<svg" not in page and "class='diagram'" not in page and "c1" in page


def test_columns_fit_their_widest_cell(resnet):
    """One grid for all rows: each column as wide as its widest cell (in ch)."""
    columns = re.search(r"\.row\{grid-template-columns:([^}]*)\}", render(resnet, "html"))
    widths = [int(w.removesuffix("ch")) for w in columns.group(1).split()]
    assert len(widths) == 11 and widths[-1] == len("1,814,073,344") + 1
