"""The office's outputs of a month: tables, JSON, CSV, XLSX, the HTML report and its charts.

Each takes a `MonthView` (`view.py`: the figures of a month, read from the aggregator's state)
and returns bytes or text; none writes a file or reads a store itself. The rows and labels that
several of them show are made once, in `tables.py`. Where the files go is `manyi.results`'s
business (`outputs.py`), as is everything about counting.
"""
