"""Curators writing while the public reads: N writers saving initiatives through the
admin's change form over HTTP, as curators do, for a fixed time.

Used by scripts/loadtest beside scripts/loadtest_client.py. Each writer has a signed-in
session of its own; all of them edit the same few records, so they collide. Each save
opens the change page (its version), then posts a summary no one else writes. A save
answered with a redirect is reported as saved; one answered with the form again was
refused (someone saved the record first: the version check). Afterwards every summary
reported saved must be in the record's history: any that is not is a lost write.
Prints saves, refusals, lost writes (target 0) and 5xx (target 0); exits non-zero if
any write was lost or any response was a 5xx.

    python scripts/loadtest_writers.py --port 8765 --writers 4 --duration 60
"""

import argparse
import http.client
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter
from importlib import import_module
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.urls import reverse  # noqa: E402

from initiatives.models import Initiative  # noqa: E402
from tests.admin_forms import form_data  # noqa: E402

HOST = "127.0.0.1"  # Only ever this machine.
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


def signed_in_session(user) -> str:
    """A session for `user`, as signing in makes (no password, no lockout counting)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key


class Writer(threading.Thread):
    def __init__(self, n, port, session, pks, deadline, tally, saved, lock):
        super().__init__(name=f"writer {n}", daemon=True)
        self.port, self.session, self.pks, self.deadline = port, session, pks, deadline
        self.tally, self.saved, self.lock = tally, saved, lock
        self.random = random.Random(n)

    def request(self, method, path, body=None, cookies=""):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        headers = {
            "Host": f"{HOST}:{self.port}",
            "X-Forwarded-Proto": "https",
            "Cookie": f"sessionid={self.session}{cookies}",
        }
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://{HOST}:{self.port}{path}"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode(errors="replace"), response
        finally:
            conn.close()

    def count(self, what):
        with self.lock:
            self.tally[what] += 1

    def run(self):
        while time.monotonic() < self.deadline:
            pk = self.random.choice(self.pks)
            path = reverse("admin:initiatives_initiative_change", args=[pk])
            try:
                status, page, response = self.request("GET", path)
                if status >= 500:
                    self.count("5xx")
                    continue
                token, version = TOKEN.search(page), VERSION.search(page)
                cookie = response.getheader("Set-Cookie") or ""
                csrf = re.search(r"csrftoken=([^;]+)", cookie)
                if not (token and version and csrf):
                    self.count("unreadable page")
                    continue
                summary = f"Load test write {uuid.uuid4().hex}"
                data = form_data(
                    Initiative.objects.get(pk=pk),
                    summary=summary,
                    version=version.group(1),
                    csrfmiddlewaretoken=token.group(1),
                )
                body = urlencode(data, doseq=True)
                status, _, _ = self.request(
                    "POST", path, body=body, cookies=f"; csrftoken={csrf.group(1)}"
                )
            except (OSError, http.client.HTTPException):
                self.count("no answer")
                continue
            if status >= 500:
                self.count("5xx")
            elif status == 302:
                self.count("saved")
                with self.lock:
                    self.saved.append((pk, summary))
            elif status == 200:
                self.count("refused (version check)")
            else:
                self.count(f"HTTP {status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--records", type=int, default=10, help="how many records they share")
    args = parser.parse_args()

    user, _ = get_user_model().objects.get_or_create(
        username="loadtest-writer", defaults={"is_staff": True, "is_superuser": True}
    )
    pks = list(
        Initiative.objects.filter(slug__startswith="gen-")
        .order_by("pk")
        .values_list("pk", flat=True)[: args.records]
    ) or list(Initiative.objects.order_by("pk").values_list("pk", flat=True)[: args.records])
    if not pks:
        print("No initiatives to write to.")
        return 1
    tally: Counter = Counter()
    saved: list[tuple[int, str]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + args.duration
    writers = [
        Writer(n, args.port, signed_in_session(user), pks, deadline, tally, saved, lock)
        for n in range(args.writers)
    ]
    started = time.monotonic()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(args.duration + 120)
    elapsed = time.monotonic() - started

    history = Initiative.history.model.objects
    lost = [
        (pk, summary)
        for pk, summary in saved
        if not history.filter(id=pk, summary=summary).exists()
    ]
    print(
        f"\nCurators writing: {args.writers} writers on {len(pks)} shared records ({elapsed:.0f} s)"
    )
    for what in ["saved", "refused (version check)", "5xx", "no answer", "unreadable page"]:
        print(f"  {what:<26}{tally[what]:>8}")
    for what, n in sorted(tally.items()):
        if what.startswith("HTTP "):
            print(f"  {what:<26}{n:>8}")
    print(f"  {'lost writes':<26}{len(lost):>8}   (saved, but not in the history afterwards)")
    return 1 if lost or tally["5xx"] else 0


if __name__ == "__main__":
    sys.exit(main())
