"""The one domain error: it carries a code of the catalogue, never one made up on the spot."""

import pytest

from portal.codes import CODES
from portal.errors import PortalError


def test_an_error_of_the_catalogue_carries_its_stage_message_and_hint():
    error = PortalError("LNK-L004", reference="LK-000001")
    assert (error.code, error.stage) == ("LNK-L004", CODES["LNK-L004"].stage)
    assert "LK-000001" in error.message and error.hint


def test_a_code_outside_the_catalogue_is_refused_where_it_is_raised():
    with pytest.raises(ValueError, match="LNK-X999"):
        PortalError("LNK-X999", "Something went wrong.")
