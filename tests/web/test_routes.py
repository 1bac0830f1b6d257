"""URL rules shared by every page: ids beyond the database's integers are a 404, not a server error."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/resources/99999999999999999999", "/resources/2147483648",
                                  "/resources/2147483648/history"])
def test_an_id_too_large_for_the_database_is_not_found(client, path):
    assert client.get(path).status_code == 404
