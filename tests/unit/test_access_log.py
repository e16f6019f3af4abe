"""The request log line: logfmt a tool parses back exactly, and nothing but what it may hold."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.access_log import MAX_PATH, line, write

PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^ "]+)')


def parse(text: str) -> dict[str, str]:
    """A plain logfmt reader, as log tools have: key=value or key="quoted \\" value"."""
    assert text.startswith("request ")
    fields = {}
    rest = text.removeprefix("request ")
    position = 0
    for match in PAIR.finditer(rest):
        assert rest[position : match.start()].strip() == "", rest
        key, value = match.groups()
        if value.startswith('"'):
            value = re.sub(
                r"\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|U([0-9a-f]{8})|(.))",
                lambda m: m.group(4) or chr(int(m.group(1) or m.group(2) or m.group(3), 16)),
                value[1:-1],
            )
        fields[key] = value
        position = match.end()
    assert rest[position:].strip() == ""
    return fields


def test_a_line_reads_as_it_should() -> None:
    text = line("POST", "/api/submissions", 201, 93, 0.00421, "Xk3m9QpL-1f")
    assert text == (
        "request method=POST path=/api/submissions status=201 bytes=93 ms=4.2 id=Xk3m9QpL-1f"
    )


@pytest.mark.slow
@given(path=st.text(max_size=300), method=st.sampled_from(["GET", "POST", "HEAD", "X Y"]))
def test_any_path_is_parsed_back_exactly_and_the_line_stays_one_line(
    path: str, method: str
) -> None:
    text = line(method, path, 404, 0, 0.5, "id-1")
    assert "\n" not in text
    assert "\r" not in text
    fields = parse(text)
    assert fields == {
        "method": method,
        "path": path[:MAX_PATH],
        "status": "404",
        "bytes": "0",
        "ms": "500.0",
        "id": "id-1",
    }


def test_lines_are_written_whole_and_a_broken_stream_is_ignored() -> None:
    out = io.StringIO()
    write("request a=1", out)
    write("request a=2", out)
    assert out.getvalue() == "request a=1\nrequest a=2\n"
    out.close()
    write("request a=3", out)  # a closed stream: no exception
