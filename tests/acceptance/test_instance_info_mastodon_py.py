"""The instance's smaller endpoints through Mastodon.py's own calls: rules,
extended description, peers, languages and translation languages. Every
raw response is checked against its Mastodon entity.

Accounts: ``alice`` from KERERU_USERS.
"""

from __future__ import annotations

import pytest

from mastodon_types import check_entity
from test_scenario_mastodon_py import log_in

pytestmark = pytest.mark.server


def test_instance_information(kereru, api_log):
    alice = kereru.user("alice")
    a = log_in(kereru, alice, api_log)

    a.instance_rules()
    rules = api_log.last("GET", "/api/v1/instance/rules").json()
    assert isinstance(rules, list)
    assert check_entity("List[Rule]", rules) == []

    a.instance_extended_description()
    extended = api_log.last("GET", "/api/v1/instance/extended_description").json()
    assert check_entity("ExtendedDescription", extended) == []

    peers = a.instance_peers()
    assert isinstance(peers, list) and all(isinstance(p, str) for p in peers)
    assert alice.host not in peers

    languages = a.instance_languages()
    assert {"code": "en", "name": "English"} in [dict(l) for l in languages]
    assert dict(a.instance_translation_languages()) == {}
    api_log.check()
