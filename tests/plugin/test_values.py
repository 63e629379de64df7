"""The SDK's bug with unknown values, and the workaround kept in provider/plugin/values.py."""
from __future__ import annotations

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime import rpc

from pulumi_objectcopy.core.api import UNKNOWN
from pulumi_objectcopy.plugin import values


def test_sdk_still_cannot_marshal_computed():
    """When this fails, the SDK marshals PropertyValue.computed(): make values.unknown() return it, and delete
    this test."""
    with pytest.raises(ValueError, match="Unsupported value type"):
        PropertyValue.computed().marshal()


def test_the_workaround_sends_the_engines_unknown_sentinel():
    assert values.unknown().marshal().string_value == rpc.UNKNOWN
    assert values.from_plain(UNKNOWN).marshal().string_value == rpc.UNKNOWN
    nested = values.from_plain({"a": UNKNOWN}).marshal()
    assert nested.struct_value.fields["a"].string_value == rpc.UNKNOWN


def test_unknowns_from_the_engine_reach_the_core_as_unknown():
    wire = PropertyValue.unmarshal(PropertyValue(rpc.UNKNOWN).marshal())
    assert values.to_plain(wire) is UNKNOWN
    assert values.to_plain(PropertyValue.computed()) is UNKNOWN


def test_integers_cross_as_numbers_and_come_back_whole():
    from pulumi_objectcopy.core.schema import INT, Prop
    size = Prop("size", INT, "bytes", output=True)
    assert values.from_plain(5).value == 5.0
    assert values.to_plain(PropertyValue(5.0), size) == 5 and isinstance(values.to_plain(PropertyValue(5.0), size),
                                                                          int)
