"""Query-count helper: how many SQL statements each page and export sends, for a generated city.

``statement_counts(app, scale)`` fills the test database with ``bench-data``'s generator at
``scale``, signs in as each role, requests every GET page and export the URL map has (discovered,
so new pages are covered without a list) and returns ``{(role, endpoint): statements}``. Comparing
two scales shows which pages do work per row (N+1 queries, chunked loads): their counts grow with
the data, when a page should send the same statements however large the city.
"""
from __future__ import annotations

from datetime import date

from tracker.bench_data import LOGINS, PASSWORD, Scale, load
from tracker.bench_data.pages import StatementLog, discover, sample_ids
from tracker.extensions import db

ROLES = ("office", "leader", "contact", "reviewer")
# Two cities: in the small one (a year and a half) every list of the contact's unit has a few rows and
# fits on one page; the large one (five years, records ×25) fills many pages, so anything done per
# row shows as more statements. Both end on a fixed day, so the data never depends on the clock.
SMALL = Scale("test-small", units=4, towns=1, users=16, tasks=90, applications=24, first_year=2025)
LARGE = Scale("test-large", units=10, towns=3, users=60, tasks=1_600, applications=400)
HISTORY_ENDS = date(2026, 6, 30)


def _client(app, username: str):
    from tests.conftest import CSRF_META
    client = app.test_client()
    token = CSRF_META.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, f"{username} could not sign in"
    return client


def statement_counts(app, scale: Scale, roles=ROLES) -> dict[tuple[str, str], int]:
    """Statements of one request to each page and export, per role, on a city of ``scale``.

    Each URL is requested once to warm per-process caches (calendar, templates), then counted.
    Pages a role may not open (403/404) or that redirect are left out for that role.
    """
    with app.app_context():
        load(scale, today=HISTORY_ENDS, force=True, echo=lambda line: None)
        samples = sample_ids(LOGINS["contact"])
        engine = db.engine
    pages, exports, _ = discover(app, samples)
    log = StatementLog(engine)
    counts = {}
    try:
        for role in roles:
            client = _client(app, LOGINS[role])
            for endpoint, url in pages + exports:
                response = client.get(url)
                response.get_data()
                if response.status_code in (403, 404) or 300 <= response.status_code < 400:
                    continue
                assert response.status_code == 200, f"{role} {url}: HTTP {response.status_code}"
                with log.capture():
                    client.get(url).get_data()
                counts[(role, endpoint)] = log.count
    finally:
        log.close(engine)
    return counts
