"""Reports: views of a checked network that format and never compute. The rows of the table
(:mod:`.rows`), the lines under it (:mod:`.summary`), the formats (:mod:`.formats`: table,
Markdown, CSV, HTML) and the JSON contract (:mod:`.json_report`)."""
from .formats import FORMATS, render
from .json_report import as_dict

__all__ = ["FORMATS", "as_dict", "render"]
