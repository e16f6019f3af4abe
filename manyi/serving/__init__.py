"""`manyi serve`'s parts: HTTP apps mounted by path prefix beside the built site, on waitress.

wsgi.py        reading a request and answering it, for every app below
lambda_app.py  any Lambda handler (a Powertools resolver app) as a WSGI app, via API events
static.py      the built site's files, with the site's one policy (site_builder.policy)
server.py      the prefix mounts and the production server (waitress), its limits
"""
