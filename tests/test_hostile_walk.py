"""Hostile input never reaches a server error.

Walks every route of the URL map — including routes added later, with no list kept here — as
every role and as an anonymous visitor, and sends hostile values in every path parameter, in
every query parameter and in every form field: control characters, NUL, huge and Unicode digits,
9999 dates, very long strings, formula prefixes, unknown choices, hostile file names. Form fields
are discovered from the forms the pages actually render (as each role sees them), so new forms are
covered too. Any 5xx answer or exception fails the test, listing every request that failed.

The payloads are spread over the parameters deterministically (each parameter gets every payload
once per route and role), which keeps the walk bounded in time; the counts are printed.
"""
import csv
import io
import re
import time
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest

from .test_access_matrix import world  # noqa: F401  (the fixture: users of each role and sample ids)

pytestmark = pytest.mark.slow  # left out of the calendar matrix's fast subset (see pyproject.toml)

ROLES = (None, "office", "leader", "contact", "reviewer")

PAYLOADS = [
    "\x00",
    "a\x01b\x0bc\x1fd\x7f",
    "".join(map(chr, range(0x20))) + "甲",  # every C0 control, tab and line breaks included
    "乙\ufffe丙\uffff丁\ufdd0戊\U0001fffe\U0010ffff",  # what XML 1.0 forbids beyond the controls
    # A lone surrogate (U+D800) cannot be a form value here: the test client encodes values as
    # UTF-8, which has no encoding for it. Path values carry its raw bytes (%ED%A0%80, below);
    # tests/test_forbidden_characters.py posts them in a form body.
    "9" * 40,
    "2147483648",
    "-1",
    "²",
    "١٢٣",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "长" * 3000,
    '=HYPERLINK("http://evil.example/","点击")',
    "+1-2@3",
    "__no_such_choice__",
    "../../etc/passwd",
    "<script>alert(1)</script>'\"",
    "𠀀😀\u202e\ufeff",
    " 1 ",
    "1e309",
    "",
]
REFUSED_SAMPLE = (0, 9, 12)  # NUL, a 9999 date, a very long string
# Names tried on every route besides those its pages use: the usual filters and the names that
# upset url_for(**request.args).
QUERY_NAMES = ["page", "q", "year", "unit", "unit_id", "state", "next", "endpoint", "_method", "_external",
               "_anchor", "id", "from", "to", "sort", "dir", "kind", "flag", "area", "status", "channel"]
INT_PATH_VALUES = ["0", "2147483647", "2147483648", "99999999999999999999", "١", "00001"]
BENIGN = {"date": "2026-03-02", "number": "3", "email": "walker@example.gov.cn", "text": "测试", "textarea": "测试说明",
          "password": "walkerPass2026", "file": None}


class _Forms(HTMLParser):
    """The forms of a page: action, method and fields (name, kind, options)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._select, self.links = [], None, None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "?" in (a.get("href") or ""):
            self.links.append(a["href"])
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select") and a.get("name"):
            kind = "textarea" if tag == "textarea" else "select" if tag == "select" else (a.get("type") or "text")
            field = self._form["fields"].setdefault(a["name"], {"kind": kind, "options": []})
            if kind in ("checkbox", "radio", "hidden") and a.get("value") is not None:
                field["options"].append(a["value"])
            if tag == "select":
                self._select = field
        elif tag == "option" and self._select is not None and a.get("value"):
            self._select["options"].append(a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _path_of(url: str, base: str) -> str:
    parts = urlsplit(url or base)
    return parts.path or urlsplit(base).path


class Walk:
    def __init__(self, app, clients, args):
        self.app, self.clients, self.args = app, clients, args
        self.failures, self.requests, self.served_pairs = [], 0, 0
        self.forms = {}  # POST path -> {field name: {"kind", "options"}}
        self.query_names = {}  # GET path -> names its own forms and links use
        self.links = set()

    def request(self, role, method, url, data=None, files=None):
        client = self.clients[role]
        self.requests += 1
        try:
            if method == "GET":
                response = client.get(url)
            else:
                payload = dict(data or {})
                payload.update(files or {})
                response = client.post(url, payload)
        except Exception as exc:  # an uncaught error is a 500 in production
            self.failures.append(f"{method} {url[:200]!r} as {role or 'anonymous'}: {type(exc).__name__}: "
                                 f"{str(exc)[:200]}")
            return None
        if response.status_code >= 500:
            self.failures.append(f"{method} {url[:200]!r} as {role or 'anonymous'}: HTTP {response.status_code}")
        return response

    # --- discovery ------------------------------------------------------------------------------
    def sample_url(self, rule):
        from flask import url_for
        with self.app.test_request_context():
            return url_for(rule.endpoint, **{a: self.args.get(a, 1) for a in rule.arguments})

    def discover(self, rules):
        """GET every page as every role; remember the forms it renders and the query names it uses."""
        for role in ROLES:
            for rule in rules:
                if "GET" not in rule.methods or rule.endpoint == "static":
                    continue
                url = self.sample_url(rule)
                response = self.request(role, "GET", url)
                if response is None or response.mimetype != "text/html":
                    continue
                parser = _Forms()
                parser.feed(response.get_data(as_text=True))
                for form in parser.forms:
                    path = _path_of(form["action"], url)
                    if form["method"] == "post":
                        fields = self.forms.setdefault(path, {})
                        for name, field in form["fields"].items():
                            if name != "csrf_token":
                                fields.setdefault(name, field)
                    else:
                        self.query_names.setdefault(path, set()).update(form["fields"])
                for href in parser.links:  # the names its links carry (filters, sort, ids)
                    parts = urlsplit(href)
                    names = {pair.split("=")[0] for pair in parts.query.split("&") if pair}
                    self.query_names.setdefault(_path_of(href, url), set()).update(names)

    # --- values -------------------------------------------------------------------------------------
    @staticmethod
    def benign(field):
        if field["options"]:
            return field["options"][0]
        return BENIGN.get(field["kind"], "测试")

    def hostile_form(self, fields, i):
        """Request ``i`` of a form: every field hostile (even i), or benign fields with one hostile."""
        data, files = {}, {}
        names = sorted(fields)
        for j, name in enumerate(names):
            field = fields[name]
            hostile = i % 2 == 0 or j == (i // 2) % max(1, len(names))
            value = PAYLOADS[(i + j) % len(PAYLOADS)] if hostile else self.benign(field)
            if field["kind"] == "file":
                filename = (value or "x") + ".pdf" if hostile else "证据.pdf"
                files[name] = (io.BytesIO(b"%PDF-1.4 walker"), filename)
            elif value is not None:
                data[name] = value
        return data, files

    def hostile_query(self, names, i):
        return urlencode({name: PAYLOADS[(i + j) % len(PAYLOADS)][:500] for j, name in enumerate(sorted(names))})

    # --- the walk -----------------------------------------------------------------------------------
    def targets(self, rules):
        """(method, path, rule) for every rule, plus every other form action the pages rendered
        (e.g. each action form of a record page)."""
        seen = set()
        for rule in rules:
            url = self.sample_url(rule)
            for method in ("GET", "POST"):
                if method in rule.methods:
                    seen.add((method, url))
                    yield method, url, rule
        for path in sorted(self.forms):
            if ("POST", path) not in seen:
                yield "POST", path, None

    def run(self, rules):
        for method, url, rule in self.targets(rules):
            names = set(QUERY_NAMES) | self.query_names.get(url, set())
            fields = self.forms.get(url, {})
            endpoint = rule.endpoint if rule is not None else self.endpoint_of(url, method)
            for role in ROLES:
                if endpoint == "accounts.logout":
                    continue  # signs the walker out; logout is tested on its own
                # A role the route refuses is answered before any view code runs: a few payloads
                # show that; the roles it serves get every payload in every parameter.
                served = self.serves(endpoint, role)
                self.served_pairs += served
                for i in range(len(PAYLOADS)) if served else REFUSED_SAMPLE:
                    query = self.hostile_query(names, i)
                    if method == "GET":
                        self.request(role, "GET", f"{url}?{query}")
                    else:
                        data, files = self.hostile_form(fields, i)
                        self.request(role, "POST", f"{url}?{query}" if i % 4 == 0 else url, data, files)
                if method == "POST":
                    self.request(role, "POST", url, {})  # every field missing
                    if served:
                        self.numbers_in_each_field(role, url, fields)
            if rule is not None:
                self.walk_path(rule, method)

    def numbers_in_each_field(self, role, url, fields):
        """Each field in turn a Unicode digit and a number too large for the database, the others
        benign: the inputs that int() and the integer columns choke on reach every parser."""
        for name in sorted(fields):
            for value in ("²", "9" * 25):
                data, files = {}, {}
                for other, field in fields.items():
                    if field["kind"] == "file":
                        files[other] = (io.BytesIO(b"%PDF-1.4 walker"), "证据.pdf")
                    elif other != name and self.benign(field) is not None:
                        data[other] = self.benign(field)
                if fields[name]["kind"] != "file":
                    data[name] = value
                self.request(role, "POST", url, data, files)

    # --- the documents, after the walk -------------------------------------------------------------
    def document_urls(self, rule):
        """The sample record's files this route serves: every letter, both formats, draft and final."""
        from flask import url_for

        from tracker.applications.letters import LETTERS
        variants = [{}]
        if "letter" in rule.arguments:
            variants = [{"letter": name} for name in LETTERS]
        elif "file_type" in rule.arguments or "fmt" in rule.arguments:
            key = "file_type" if "file_type" in rule.arguments else "fmt"
            variants = [{key: kind, **draft} for kind in ("docx", "xlsx") for draft in ({}, {"draft": "1"})]
        elif rule.endpoint == "scores.export":
            variants = [{}, {"format": "csv"}]
        with self.app.test_request_context():
            for extra in variants:
                yield url_for(rule.endpoint, **{**{a: self.args.get(a, 1) for a in rule.arguments}, **extra})

    def open_documents(self, rules) -> int:
        """Every document and export of the walked records, downloaded as the office once the walk has
        posted its payloads into their forms: no server error, and each file opens (DOCX in
        python-docx, XLSX in openpyxl, CSV as UTF-8). Returns how many files opened."""
        opened = 0
        for rule in rules:
            if not ("export" in rule.endpoint or "template" in rule.endpoint
                    or rule.rule.endswith((".docx", ".xlsx", ".csv"))) or "GET" not in rule.methods:
                continue
            for url in self.document_urls(rule):
                response = self.request("office", "GET", url)
                if response is None or response.status_code != 200 or response.mimetype == "text/html":
                    continue
                try:
                    _open(response)
                except Exception as exc:  # a file that does not open is as broken as a 500
                    self.failures.append(f"GET {url!r} as office: the file does not open: {type(exc).__name__}: "
                                         f"{str(exc)[:200]}")
                else:
                    opened += 1
        return opened

    def endpoint_of(self, path, method):
        try:
            return self.app.url_map.bind("localhost").match(path, method=method)[0]
        except Exception:
            return None

    def serves(self, endpoint, role) -> bool:
        from tracker.access import PUBLIC, rule_for
        with self.app.test_request_context():
            declared = rule_for(endpoint) if endpoint else PUBLIC
        return declared == PUBLIC or (role is not None and declared is not None and role in declared)

    def walk_path(self, rule, method):
        """Hostile values in each path parameter, the others kept at their sample values."""
        sample = {a: quote(str(self.args.get(a, 1)), safe="/") for a in rule.arguments}
        for arg in sorted(rule.arguments):
            converter = rule._converters[arg].__class__.__name__
            values = INT_PATH_VALUES if converter in ("RecordId", "IntegerConverter") else \
                [quote(p[:300], safe="") for p in PAYLOADS if p] + [sample[arg] + "%C2%B2", sample[arg] + "9" * 25,
                                                                    sample[arg] + "%ED%A0%80"]
            for k, value in enumerate(values):
                url = _PATH_ARG.sub(lambda m: value if m.group(1) == arg else sample[m.group(1)], rule.rule)
                self.request(ROLES[k % len(ROLES)], method, url, {} if method == "POST" else None)


_PATH_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _open(response):
    """Read a downloaded file as the program its type names would (raises if it cannot)."""
    data = io.BytesIO(response.data)
    if response.mimetype.endswith("wordprocessingml.document"):
        from docx import Document
        Document(data)
    elif response.mimetype.endswith("spreadsheetml.sheet"):
        from openpyxl import load_workbook
        load_workbook(data).close()
    elif response.mimetype == "text/csv":
        list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    else:
        raise ValueError(f"unexpected type {response.mimetype}")


@pytest.fixture
def clients(app, world, login, browser):  # noqa: F811
    users, _ = world
    return {None: browser, **{role: login(users[role]) for role in ROLES if role}}


def test_no_hostile_input_reaches_a_server_error(app, world, clients, capsys):  # noqa: F811
    _, args = world
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    walk = Walk(app, clients, args)
    started = time.perf_counter()
    walk.discover(rules)
    walk.run(rules)
    opened = walk.open_documents(rules)
    seconds = time.perf_counter() - started
    targets = sum(1 for _ in walk.targets(rules))
    with capsys.disabled():
        print(f"\nhostile walk: {len(rules)} routes ({targets} method/URL targets, {len(walk.forms)} forms "
              f"discovered) × {len(ROLES)} roles × {len(PAYLOADS)} payloads ({walk.served_pairs} target/role pairs "
              f"served get every payload, refused ones {len(REFUSED_SAMPLE)}) = {walk.requests} requests "
              f"in {seconds:.0f} s; {opened} documents and exports opened afterwards")
    assert not walk.failures, f"{len(walk.failures)} requests failed:\n" + "\n".join(walk.failures[:60])
    # the walk really ran: every target asked by every role, the served ones with every payload
    assert walk.served_pairs >= targets and walk.requests >= walk.served_pairs * len(PAYLOADS)
    assert walk.forms, "no form was discovered: the walk would not test any field"
    assert opened >= 15, "the letters, bulletin, report and exports of the sample records did not download"
