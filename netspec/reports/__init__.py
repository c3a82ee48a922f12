"""Reports: views of a checked network that format and never compute. The rows of the table
(:mod:`.rows`), the lines under it (:mod:`.summary`), the formats (:mod:`.formats`: table,
Markdown, CSV; :mod:`.html`: the notebook's fragment and the standalone page) and the JSON
contract (:mod:`.json_report`)."""
from .formats import FORMATS, SUFFIXES, notebook_html, render
from .json_report import FORMAT_VERSION, as_dict, invalid

__all__ = ["FORMATS", "FORMAT_VERSION", "SUFFIXES", "as_dict", "invalid", "notebook_html", "render"]
