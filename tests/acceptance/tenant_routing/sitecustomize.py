"""Loaded at start-up by a Python whose PYTHONPATH holds this folder (see
clients.toot_env): when KERERU_TENANT_ROUTES is set ("a.test=http://127.0.0.1:8080;..."),
every requests.Session of the process sends those hosts' requests to the
given loopback address with the tenant in the Host header. This is how the
real toot CLI, which builds its own sessions, reaches one tenant of a Kererū
on loopback. Without the variable it does nothing."""

import os

if os.environ.get("KERERU_TENANT_ROUTES"):
    import sys

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if here not in sys.path:
        sys.path.insert(0, here)
    import clients

    clients.install_routes(clients.parse_routes(os.environ["KERERU_TENANT_ROUTES"]))
