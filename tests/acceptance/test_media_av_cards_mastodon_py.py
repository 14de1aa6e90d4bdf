"""Video and audio uploads, link preview cards and translation through
Mastodon.py's own calls: ``media_post`` (v2: 202 then polled until the
worker of ``kereru serve`` has finished the file), ``status_post`` with the
video, ``status_card``, ``status_translate`` (404: no translation backend,
as Mastodon answers). Every raw response is checked against its Mastodon
entity. The files are made by Debian's ffmpeg (scripts/ensure-test-deps).

Accounts: ``alice`` from KERERU_USERS.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from mastodon import MastodonNotFoundError

from mastodon_types import check_entity
from test_scenario_mastodon_py import log_in

pytestmark = pytest.mark.server


def ffmpeg(path, *args):
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is not installed (scripts/ensure-test-deps installs it)")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(path)], check=True)
    return path


def test_video_and_audio_uploads(kereru, api_log, tmp_path):
    a = log_in(kereru, kereru.user("alice"), api_log)
    video = ffmpeg(tmp_path / "clip.mp4", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10",
                   "-f", "lavfi", "-i", "sine=frequency=440", "-t", "1",
                   "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac")
    media = a.media_post(str(video), "video/mp4", description="a test pattern", synchronous=True)
    first = api_log.last("POST", "/api/v2/media")
    assert first.status == 202 and first.json()["url"] is None
    assert media.type == "video" and media.url.endswith(".mp4")
    assert media.meta.original.frame_rate == "10/1"
    assert media.meta.original.width == 64 and media.meta.original.duration > 0.5

    status = a.status_post("a test pattern", media_ids=[media])
    assert status.media_attachments[0].id == media.id
    assert status.media_attachments[0].type == "video"

    sound = ffmpeg(tmp_path / "tone.mp3", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "1",
                   "-c:a", "libmp3lame")
    audio = a.media_post(str(sound), "audio/mpeg", synchronous=True)
    assert audio.type == "audio" and audio.url.endswith(".mp3")
    assert audio.meta.original.duration > 0.5
    api_log.check()


def test_cards_and_translation(kereru, api_log):
    a = log_in(kereru, kereru.user("alice"), api_log)
    status = a.status_post("no link in this one")
    assert a.status_card(status) is None
    with pytest.raises(MastodonNotFoundError):
        a.status_translate(status, "de")
    refused = api_log.last("POST", f"/api/v1/statuses/{status.id}/translate")
    assert refused.status == 404 and refused.json() == {"error": "Not Found"}
    shown = api_log.last("GET", f"/api/v1/statuses/{status.id}").json()
    assert shown["card"] is None
    assert check_entity("Status", shown) == []
    api_log.check()
