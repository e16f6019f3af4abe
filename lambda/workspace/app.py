"""AWS Lambda entry point of the staff workspace (HTTP API, payload 2.0): `app.lambda_handler`.

Everything lives in `manyi.workspace`, so `manyi serve` runs the very same code at /workspace/;
the questionnaire versions are the ones shipped beside the collector.
"""

from manyi.workspace.handler import create_lambda_handler

lambda_handler = create_lambda_handler()
