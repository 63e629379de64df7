"""ETags are kept as each store spells them and compared case-blind: OSS answers upper-case hex where S3, COS and
Swift answer lower case, users type either, and states recorded by earlier versions hold either."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pulumi_objectcopy.batch import in_sync
from pulumi_objectcopy.stores.base import (ObjectInfo, PreconditionFailed, SourceConditions, etag_key,
                                           normalize_etag, same_etag)
from pulumi_objectcopy.urls import parse

UPPER, LOWER = "3ED1B0F1E0A2C4D5E6F708192A3B4C5D", "3ed1b0f1e0a2c4d5e6f708192a3b4c5d"
EARLY, LATE = datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2025, 1, 1, tzinfo=timezone.utc)


def info(etag: str, *, modified: datetime = EARLY, scheme: str = "oss") -> ObjectInfo:
    return ObjectInfo(url=parse(f"{scheme}://bucket/key"), size=10, etag=etag, last_modified=modified,
                      composite="multipart" if "-" in etag else None)


def test_etags_compare_bare_and_case_blind():
    assert same_etag(f'"{UPPER}"', LOWER) and same_etag(f'W/"{LOWER}"', UPPER)
    assert not same_etag(UPPER, LOWER[:-1] + "e") and not same_etag(UPPER, None) and same_etag(None, None)
    assert normalize_etag(f'"{UPPER}"') == UPPER  # the spelling a store takes back is kept
    assert etag_key(f'"{UPPER}-3"') == LOWER + "-3"


def test_the_md5_of_an_upper_case_etag_is_lower_case_hex():
    assert info(UPPER).md5 == LOWER and info(UPPER + "-2").md5 is None


def test_source_conditions_accept_either_case():
    SourceConditions(if_match=LOWER).check(info(UPPER))
    SourceConditions(if_none_match="0" * 32).check(info(UPPER))
    with pytest.raises(PreconditionFailed, match="if-none-match"):
        SourceConditions(if_none_match=f'"{LOWER}"').check(info(UPPER))
    with pytest.raises(PreconditionFailed, match="if-match"):
        SourceConditions(if_match="0" * 32).check(info(UPPER))


def test_a_multipart_copy_whose_etag_differs_only_in_case_is_in_sync():
    """The copy is older than its source, so only the ETag can say both hold the same bytes (no MD5 of a
    multipart object is known)."""
    assert in_sync(info(UPPER + "-2", modified=LATE), info(LOWER + "-2", modified=EARLY, scheme="s3"))
    assert not in_sync(info(UPPER + "-2", modified=LATE), info("0" * 32 + "-2", modified=EARLY, scheme="s3"))
