"""AWS Lambda entry point of the collector (HTTP API, payload 2.0): `app.lambda_handler`.

Everything lives in the `manyi` package, so `manyi serve` runs the very same code; the
questionnaires this function accepts ship next to this file in `questionnaires/`
(`manyi.versions.BUNDLED_FOLDER`).
"""

from manyi.collector.handler import create_lambda_handler

lambda_handler = create_lambda_handler()
