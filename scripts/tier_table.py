"""Ten real searches (postcodes in all four nations, three towns, two areas) with their
tier counts and the position of the first "here" result, before and after a change.

    python scripts/tier_table.py dump OUT.json
        runs the searches through the listing (django.test.Client, every page) against
        the database the settings point at (the seeded SQLite register: load_seeds,
        import_postcodes --demo) and writes each one's results in order, with their
        tier where the code gives one
    python scripts/tier_table.py table BEFORE.json AFTER.json
        prints the Markdown table. A result's tier is the one the AFTER run gives it
        (1 here, 2 covering, 3 nation or UK-wide); a BEFORE result the AFTER run does
        not list is counted as "other" (it does not serve the place)

Run `dump` in each worktree (the code before, the code after), each with its own
seeded database, then `table` once.
"""

import json
import os
import sys
from pathlib import Path

SEARCHES = [
    ("Postcode, Runcorn (England)", {"postcode": "WA7 1AB"}),
    ("Postcode, Wrexham (Wales)", {"postcode": "LL11 1AY"}),
    ("Postcode, Cardiff (Wales)", {"postcode": "CF10 1AA"}),
    ("Postcode, Glasgow (Scotland)", {"postcode": "G1 1AA"}),
    ("Postcode, Belfast (Northern Ireland)", {"postcode": "BT1 1AA"}),
    ("Town typed: Widnes", {"q": "Widnes"}),
    ("Town typed: Liverpool", {"q": "Liverpool"}),
    ("Town typed: Runcorn", {"q": "Runcorn"}),
    ("Area: Halton", {"area": "halton"}),
    ("Area: Glasgow City", {"area": "glasgow-city"}),
]


def dump(out: str) -> None:
    sys.path.insert(0, str(Path.cwd()))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "directory.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    client = Client()
    found = {}
    for label, params in SEARCHES:
        rows, page, url = [], 1, "/initiatives/"
        while True:
            response = client.get(url, {**params, "page": page}, follow=True)
            context = response.context
            if context is None or "page" not in context:
                break
            current = context["page"]
            rows += [[row.name, getattr(row, "tier", None)] for row in current]
            if not current.has_next():
                break
            # A town typed in the box may have been redirected to a place search.
            url, params = response.request["PATH_INFO"], _params(response)
            page += 1
        found[label] = rows
    Path(out).write_text(json.dumps(found, indent=1))


def _params(response) -> dict:
    from django.http import QueryDict

    query = QueryDict(response.request.get("QUERY_STRING", ""), mutable=True)
    query.pop("page", None)
    return {key: query.getlist(key) for key in query}


def _summary(rows, tiers: dict) -> tuple[str, str]:
    counts = {1: 0, 2: 0, 3: 0, None: 0}
    first = None
    for position, (name, _tier) in enumerate(rows, start=1):
        tier = tiers.get(name)
        counts[tier] += 1
        if tier == 1 and first is None:
            first = position
    other = f" + {counts[None]} other" if counts[None] else ""
    words = f"{len(rows)} ({counts[1]}/{counts[2]}/{counts[3]}{other})"
    return words, str(first) if first else "none"


def table(before_path: str, after_path: str) -> None:
    before = json.loads(Path(before_path).read_text())
    after = json.loads(Path(after_path).read_text())
    print(
        "| search | before: results (here/covering/nation or UK + other) | first here "
        "| after | first here |"
    )
    print("| --- | --- | --- | --- | --- |")
    for label, _params in SEARCHES:
        tiers = dict(after.get(label, []))
        b, b_first = _summary(before.get(label, []), tiers)
        a, a_first = _summary(after.get(label, []), tiers)
        print(f"| {label} | {b} | {b_first} | {a} | {a_first} |")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "dump":
        dump(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
