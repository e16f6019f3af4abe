"""The staff workspace (工作台): accounts, dashboards and the audit log, as a Powertools resolver.

`manyi.workspace.app.build_resolver` makes the HTTP app; `manyi.workspace.handler` wraps it for
Lambda (`lambda/workspace/app.py`) and for `manyi serve` (mounted at /workspace/). Heavy imports
(openpyxl, boto3) stay inside the functions that need them.
"""
