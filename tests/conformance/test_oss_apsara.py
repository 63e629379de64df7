"""The Apsara Stack form of OSS CopyObject (seed 001), chosen by `api = "apsara"` in an oss profile, against the OSS
emulator's OneRouter route. What the seed does not say (where the destination goes, how the call is signed) is an
assumption kept in provider/stores/oss.py; these tests hold the client to it."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pulumi_objectcopy import transfer
from pulumi_objectcopy.stores.base import PreconditionFailed, SourceConditions, WriteOptions
from pulumi_objectcopy.urls import parse


def url(oss, key):
    return parse(f"oss://apsara@{oss.bucket}/{key}")


def test_copy_through_the_one_router(backends, emulators, key_prefix):
    oss = backends("oss")
    oss.put(key_prefix + "src", b"apsara", meta={"tier": "gold"}, content_type="text/plain")
    emulators["oss"].requests.clear()
    result = transfer.copy_object(url(oss, key_prefix + "src"), url(oss, key_prefix + "dst"))
    assert result.method == "server-side" and oss.get(key_prefix + "dst") == b"apsara"
    assert oss.head(key_prefix + "dst")["meta"] == {"tier": "gold"}
    assert [r.path for r in emulators["oss"].requests if r.method == "POST"] == ["/apsara/route/OneRouter/CopyObject"]


def test_tags_replaced_and_metadata_values_refused(backends, key_prefix):
    oss = backends("oss")
    oss.put(key_prefix + "src", b"x", meta={"old": "1"})
    transfer.copy_object(url(oss, key_prefix + "src"), url(oss, key_prefix + "dst"),
                         options=WriteOptions(tags={"env": "dev"}))
    assert oss.head(key_prefix + "dst")["meta"] == {"old": "1"}
    assert oss.client.get_object_tagging(key_prefix + "dst").tag_set.tagging_rule == {"env": "dev"}
    # The seed's call has no parameter for metadata values: refused before anything is sent, with the way out.
    with pytest.raises(Exception, match='cannot set metadata .* set api = "oss"'):
        transfer.copy_object(url(oss, key_prefix + "src"), url(oss, key_prefix + "other"),
                             options=WriteOptions(metadata_directive="REPLACE", metadata={"new": "2"}))
    assert not oss.exists(key_prefix + "other")


@pytest.mark.parametrize("conditions", [SourceConditions(if_match="0123456789abcdef0123456789abcdef"),
                                        SourceConditions(if_unmodified_since=datetime(2001, 1, 1,
                                                                                      tzinfo=timezone.utc))])
def test_a_failed_condition_writes_nothing(backends, key_prefix, conditions):
    oss = backends("oss")
    oss.put(key_prefix + "src", b"x")
    store_url = url(oss, key_prefix + "src")
    from pulumi_objectcopy.stores import open_store
    store = open_store(store_url)
    with pytest.raises(PreconditionFailed):  # the server's own check, not transfer's HEAD in front of it
        store.copy(store.head(store_url), url(oss, key_prefix + "dst"), conditions=conditions,
                   options=WriteOptions())
    assert not oss.exists(key_prefix + "dst")


def test_an_error_inside_a_200_is_an_error(backends, emulators, key_prefix):
    oss = backends("oss")
    oss.put(key_prefix + "src", b"x")
    for _ in range(5):  # more than the retry policy's tries: "system error" is taken as transient
        emulators["oss"].fail_next_copy()
    with pytest.raises(Exception, match="resultCode -1: system error"):
        transfer.copy_object(url(oss, key_prefix + "src"), url(oss, key_prefix + "dst"))
    assert not oss.exists(key_prefix + "dst")
