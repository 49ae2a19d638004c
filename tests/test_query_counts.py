"""Every page and export sends the same number of SQL statements for a small city and a city ten
times larger (the scale targets: ≤ 20 statements per page, the same at small and large scale)."""
import pytest

from tests.query_counts import LARGE, ROLES, SMALL, statement_counts

pytestmark = pytest.mark.slow  # left out of the calendar matrix's fast subset (see pyproject.toml)

# Pages and exports whose statement count grows with the data, with what grows (none since the
# second phase of the scale work); the test fails when a listed one stops growing, so that this list stays true.
STILL_GROWING: dict = {}
PAGE_LIMIT = 20  # statements per page (a scale target)
# Pages over the limit at the large test city (none since the second phase of the scale work); fails once one is under.
OVER_LIMIT: set = set()


@pytest.fixture(scope="module")
def counts(app):
    return statement_counts(app, SMALL), statement_counts(app, LARGE)


@pytest.mark.parametrize("role", ROLES)
def test_statements_per_page_do_not_grow_with_the_city(counts, role):
    small, large = counts
    measured = sorted(endpoint for r, endpoint in large if r == role)
    assert measured, f"no page measured for {role}"
    grew = {e: (small.get((role, e)), large[(role, e)]) for e in measured
            if small.get((role, e)) != large[(role, e)]}
    unexpected = {e: v for e, v in grew.items() if (role, e) not in STILL_GROWING}
    assert not unexpected, f"statements grew with the data (small, large): {unexpected}"
    fixed = [e for r, e in STILL_GROWING if r == role and e not in grew]
    assert not fixed, f"no longer growing, remove from STILL_GROWING: {fixed}"


def test_pages_send_at_most_twenty_statements(counts):
    _, large = counts
    over = {key: n for key, n in large.items() if n > PAGE_LIMIT and "export" not in key[1]}
    unexpected = {key: n for key, n in over.items() if key not in OVER_LIMIT}
    assert not unexpected, f"pages over {PAGE_LIMIT} statements: {unexpected}"
    fixed = OVER_LIMIT - set(over)
    assert not fixed, f"now within {PAGE_LIMIT} statements, remove from OVER_LIMIT: {sorted(fixed)}"
