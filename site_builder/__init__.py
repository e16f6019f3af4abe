"""The static site: a questionnaire page per department and channel, QR codes and leaflets.

Kept free of imports: the collector imports `site_builder.render` lazily to answer a plain-form
post that has errors, and nothing else from here should come along.
"""
