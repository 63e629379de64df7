import pytest

from pulumi_objectcopy.transfer.plan import STREAM_MAX_PART, STREAM_THRESHOLD
from pulumi_objectcopy.transfer.plan import plan_parts as plan
from pulumi_objectcopy.stores.base import BadRequest, GiB, Limits, MiB, UsageError

S3 = Limits()  # 5 GiB single copy, parts of 5 MiB to 5 GiB, 10,000 parts


def sizes(parts):
    return [p.size for p in parts]


def test_single_request_up_to_the_store_limit_server_side():
    assert plan(5 * GiB, S3, threshold=None, part_size=None, concurrency=8, server_side=True) is None
    parts = plan(5 * GiB + 1, S3, threshold=None, part_size=None, concurrency=8, server_side=True)
    assert len(parts) == 8 and sum(sizes(parts)) == 5 * GiB + 1  # fewest parts that keep 8 busy


def test_parts_cover_the_object_exactly_with_inclusive_ranges():
    parts = plan(12 * MiB + 17, S3, threshold=1, part_size=5 * MiB, concurrency=3, server_side=True)
    assert [(p.number, p.start, p.end) for p in parts] == [
        (1, 0, 5 * MiB - 1), (2, 5 * MiB, 10 * MiB - 1), (3, 10 * MiB, 12 * MiB + 16)]


def test_user_threshold_is_inclusive_like_boto3():
    assert plan(8 * MiB - 1, S3, threshold=8 * MiB, part_size=8 * MiB, concurrency=10, server_side=True) is None
    assert len(plan(8 * MiB, S3, threshold=8 * MiB, part_size=8 * MiB, concurrency=10, server_side=True)) == 1
    assert len(plan(2 * GiB, S3, threshold=8 * MiB, part_size=8 * MiB, concurrency=10, server_side=True)) == 256


def test_streamed_copies_cap_the_part_size():
    assert plan(STREAM_THRESHOLD, S3, threshold=None, part_size=None, concurrency=8, server_side=False) is None
    parts = plan(4 * GiB, S3, threshold=None, part_size=None, concurrency=8, server_side=False)
    assert max(sizes(parts)) == STREAM_MAX_PART and len(parts) == 32


def test_part_floor_and_part_count_ceiling():
    tiny = plan(6 * MiB, S3, threshold=1, part_size=None, concurrency=64, server_side=True)
    assert sizes(tiny) == [5 * MiB, 1 * MiB]
    huge = plan(48 * 1024 * GiB, S3, threshold=None, part_size=None, concurrency=1, server_side=True)
    assert len(huge) == 9831 and max(sizes(huge)) == 5 * GiB  # 48 TiB in parts of at most 5 GiB
    many = plan(50 * GiB, Limits(max_parts=10), threshold=None, part_size=None, concurrency=1000, server_side=True)
    assert sizes(many) == [5 * GiB] * 10  # the part count, not the concurrency, sets the size here
    with pytest.raises(BadRequest, match="do not fit in 10 parts"):
        plan(60 * GiB, Limits(max_parts=10), threshold=None, part_size=None, concurrency=1, server_side=True)


@pytest.mark.parametrize("part_size,message", [(1 * MiB, "outside this store's bounds"),
                                               (6 * GiB, "outside this store's bounds")])
def test_a_part_size_the_store_refuses_is_a_usage_error(part_size, message):
    with pytest.raises(UsageError, match=message):
        plan(10 * GiB, S3, threshold=1, part_size=part_size, concurrency=4, server_side=True)


def test_too_many_parts_for_the_given_size_says_what_would_fit():
    with pytest.raises(UsageError, match="use at least"):
        plan(100 * GiB, S3, threshold=1, part_size=5 * MiB, concurrency=4, server_side=True)


def test_a_performance_cutoff_below_the_hard_limit():
    fast = Limits(multipart_cutoff=64 * MiB)
    assert plan(64 * MiB - 1, fast, threshold=None, part_size=None, concurrency=8, server_side=True) is None
    assert sizes(plan(64 * MiB, fast, threshold=None, part_size=None, concurrency=8, server_side=True)) == [8 * MiB] * 8
    assert len(plan(2 * GiB, fast, threshold=None, part_size=None, concurrency=8, server_side=True)) == 8
