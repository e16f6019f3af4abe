"""The one base of every error a user or an operator can act on.

A `ManyiError`'s message says what is wrong and what to do, in a sentence, with the file and
line where there is one. The `manyi` command reports it once (`manyi <command>: <message>`) and
exits 2; the HTTP apps turn their own into 4xx or 503 answers. Anything else that escapes is a
bug, and is left to crash loudly with its traceback (exit 1).

Kept free of imports: the collector's cold path and the CLI load it for nothing.
"""


class ManyiError(Exception):
    """A problem with input, configuration or the environment that someone can fix."""
