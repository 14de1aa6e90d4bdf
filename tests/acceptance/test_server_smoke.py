"""Real clients against a running Kererū: what works today (discovery).

Skipped unless KERERU_URL and KERERU_TENANTS name a running Kererū on
loopback and its tenants (see README.md). The Mastodon client API tests will
sit beside these and use the same fixtures.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from mastodon_types import check_entity

pytestmark = pytest.mark.server

NODEINFO_20 = "http://nodeinfo.diaspora.software/ns/schema/2.0"


def test_every_tenant_links_its_own_nodeinfo(kereru):
    for host in kereru.tenants:
        s = kereru.session(host)
        r = s.get(f"{kereru.base_url(host)}/.well-known/nodeinfo", timeout=30)
        assert r.status_code == 200, (host, r.status_code, r.text[:200])
        links = r.json()["links"]
        assert {link["rel"] for link in links} >= {NODEINFO_20}
        for link in links:
            # every link names the tenant that was asked, not 127.0.0.1
            assert urlsplit(link["href"]).hostname == host.lower(), (host, link)


def test_nodeinfo_through_mastodon_py_is_a_mastodon_nodeinfo(kereru):
    for host in kereru.tenants:
        api = kereru.mastodon(host)
        info = api.instance_nodeinfo()
        assert info.software.name
        raw = kereru.session(host).get(
            next(link["href"] for link in kereru.session(host).get(
                f"{kereru.base_url(host)}/.well-known/nodeinfo", timeout=30).json()["links"]
                if link["rel"] == NODEINFO_20),
            timeout=30).json()
        assert check_entity("Nodeinfo", raw) == []
