"""manyi (满意): the monthly satisfaction survey of administrative law enforcement.

Kept empty of imports on purpose: the collector's cold start imports only what it uses.
"""

__version__ = "0.1.0"
