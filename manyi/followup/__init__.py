"""回访: monthly follow-up of closed licensing and penalty cases, the visitor never the handler.

Pure parts (settings, import checks, the draw, dispositions, figures) take values and return
values; `service.py` joins them to the case store, the sealer and the audit log.
"""
