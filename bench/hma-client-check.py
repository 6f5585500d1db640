#!/usr/bin/env python3
"""
Runs Meta's python-threatexchange StopNCII client (the code HMA's `stop_ncii` exchange
uses) against a running Rempart, and checks what a platform would get.

    python3 bench/hma-client-check.py --base http://127.0.0.1:8080 --key rk_… [--hashes 2000] [--cli]

Needs python-threatexchange importable (`pip install threatexchange`, or a checkout on
PYTHONPATH). Use a scratch Rempart (an empty data directory): the check registers victims'
cases with random hashes through the public API, withdraws some of them, and withdraws the
rest at the end. The platform key comes from `rempart platform add NAME`. If the server
keeps the public rate limit (REMPART_RATE_LIMIT, 60 a minute per address), start it with
REMPART_RATE_LIMIT=0 or keep --hashes small: each 1,000 hashes is one registration.

What is checked (one line each, exit status 1 if any check fails):
  auth        a wrong key is refused (401) on FetchHashes and SubmitFeedback; a base URL
              entered with a trailing slash still works
  full fetch  from startTimestamp 10, pageSize 800, several pages, through the exchange
              wrapper's fetch_iter with HMA's checkpoint-rewind assertion; every record
              deserialises (the client silently drops a record it cannot read: a logged
              error fails the check); nothing written during paging is skipped
  interrupt   a fetch stopped after one page (HMA's time limit) resumes from that page's
              checkpoint and misses nothing
  quiet       an incremental fetch on a bank that did not change
  changes     registrations (images and a video's MD5) and a withdrawal, then an
              incremental fetch: new values Active, withdrawn ones hashStatus Withdrawn
  limitation  what the wrapper does with a withdrawn record (README "Using Rempart from HMA":
              it keeps it, testing hashValue instead of hashStatus); a fresh fetch holds only
              live values (the documented remedy)
  feedback    SubmitFeedback through the client; the records come again in the next
              incremental fetch with CSPFeedbacks naming this platform
  cli         (--cli) the `threatexchange` command line: config, fetch, dataset, in a
              temporary HOME
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import typing as t
import urllib.error
import urllib.request

try:
    import requests
    from threatexchange.exchanges.clients.stopncii import api
    from threatexchange.exchanges.collab_config import CollaborationConfigBase
    from threatexchange.exchanges.impl import stop_ncii_api
    from threatexchange.signal_type.md5 import VideoMD5Signal
    from threatexchange.signal_type.pdq.signal import PdqSignal
except ImportError as error:  # pragma: no cover - the operator's environment
    sys.exit(f"python-threatexchange is not importable ({error}); pip install threatexchange, or put a checkout on PYTHONPATH")

PAGE = 800  # what the client sends
failures: t.List[str] = []


def check(ok: bool, name: str, detail: str) -> bool:
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)
    if not ok:
        failures.append(name)
    return ok


class DroppedRecords(logging.Handler):
    """The client logs and drops a record dacite cannot read; any such log fails the run."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: t.List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage()[:300])


# ---- Rempart's public API (the victim's side), with the standard library only ----------


class Rempart:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def _call(self, method: str, path: str, body: t.Any = None, secret: str | None = None) -> t.Any:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if secret:
            headers["Authorization"] = f"Bearer {secret}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise SystemExit(f"{method} {path} answered {error.code}: {error.read()[:300]!r}") from None

    def register(self, pdq: t.Sequence[str], video: t.Optional[dict] = None) -> dict:
        body: t.Dict[str, t.Any] = {}
        if pdq:
            body["hashes"] = [{"algorithm": "pdq", "value": v, "quality": 100} for v in pdq]
        if video:
            body["videos"] = [video]
        created = self._call("POST", "/v1/cases", body)
        if created.get("heldHashes"):
            raise SystemExit(f"the server held {created['heldHashes']} hashes for review (allow-list or burst rules): use a scratch server")
        return created

    def withdraw(self, case: dict) -> None:
        self._call("DELETE", f"/v1/cases/{case['caseNumber']}", secret=case["caseSecret"])


def random_pdq(n: int) -> t.List[str]:
    return [f"{random.getrandbits(256):064x}" for _ in range(n)]


# ---- the client under test ------------------------------------------------------------


class RecordingClient(api.StopNCIIAPI):
    """The real client; only remembers each FetchHashes response it parsed."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.responses: t.List[api.FetchHashesResponse] = []

    def fetch_hashes(self, **kwargs: t.Any) -> api.FetchHashesResponse:
        response = super().fetch_hashes(**kwargs)
        self.responses.append(response)
        return response


class Fetch(t.NamedTuple):
    pages: t.List[api.FetchHashesResponse]
    checkpoint: t.Optional[stop_ncii_api.StopNCIICheckpoint]
    updates: int


def fetch(
    exchange: stop_ncii_api.StopNCIISignalExchangeAPI,
    client: RecordingClient,
    state: t.Dict[t.Tuple[str, str], t.Any],
    checkpoint: t.Optional[stop_ncii_api.StopNCIICheckpoint],
    between_pages: t.Optional[t.Callable[[int], None]] = None,
    stop_after: t.Optional[int] = None,
) -> Fetch:
    """HMA's fetcher loop (background_tasks/fetcher.py), merging as its storage does."""
    client.responses.clear()
    updates = 0
    for n, delta in enumerate(exchange.fetch_iter([PdqSignal, VideoMD5Signal], checkpoint), start=1):
        assert delta.checkpoint is not None
        progress = delta.checkpoint.get_progress_timestamp()
        if checkpoint is not None:
            previous = checkpoint.get_progress_timestamp()
            assert previous is None or progress is None or previous <= progress, "checkpoint time rewound?"
        checkpoint = delta.checkpoint
        for key, value in delta.updates.items():
            updates += 1
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
        if between_pages:
            between_pages(n)
        if stop_after is not None and n >= stop_after:
            break
    return Fetch(list(client.responses), checkpoint, updates)


def records_of(pages: t.Iterable[api.FetchHashesResponse]) -> t.Dict[str, api.StopNCIIHashRecord]:
    """Later records replace earlier ones (they are snapshots)."""
    latest: t.Dict[str, api.StopNCIIHashRecord] = {}
    for page in pages:
        for record in page.hashRecords:
            latest[record.hashValue] = record
    return latest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="Rempart's URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--key", required=True, help="a platform key (rk_…)")
    parser.add_argument("--hashes", type=int, default=2000, help="image hashes to register first (default 2000: 3 pages of 800)")
    parser.add_argument("--cli", action="store_true", help="also run the threatexchange command line in a temporary HOME")
    args = parser.parse_args()

    dropped = DroppedRecords()
    logging.getLogger().addHandler(dropped)
    feed_base = args.base.rstrip("/") + "/stopncii/v1"
    rempart = Rempart(args.base)
    print(f"client: threatexchange from {os.path.dirname(api.__file__)}")
    print(f"server: {feed_base}")

    # -- auth ----------------------------------------------------------------------------
    wrong = api.StopNCIIAPI("unused", "rk_wrong", {api.StopNCIIEndpoint.SubmitFeedback: "rk_wrong"}, base_url_override=feed_base)
    for name, call in (
        ("FetchHashes", lambda: wrong.fetch_hashes()),
        ("SubmitFeedback", lambda: wrong.submit_feedback(api.StopNCIISignalType.ImagePDQ, "0" * 64, api.StopNCIICSPFeedbackValue.Blocked)),
    ):
        try:
            call()
            check(False, "auth", f"{name} with a wrong key succeeded")
        except requests.HTTPError as error:
            check(error.response.status_code == 401, "auth", f"{name} with a wrong key: HTTP {error.response.status_code}")

    # A base URL pasted with a trailing slash: the client then asks for …/v1//FetchHashes.
    slashed = api.StopNCIIAPI("unused", args.key, base_url_override=feed_base + "/")
    try:
        page = slashed.fetch_hashes(page_size=1)
        check(True, "auth", f"base_url_override with a trailing slash ({feed_base}/): FetchHashes answers ({page.count} record)")
    except requests.HTTPError as error:
        check(False, "auth", f"base_url_override with a trailing slash: HTTP {error.response.status_code}")

    # -- seed ----------------------------------------------------------------------------
    cases: t.List[dict] = []
    active: t.Set[str] = set()
    per_case = 1000
    for start in range(0, args.hashes, per_case):
        values = random_pdq(min(per_case, args.hashes - start))
        cases.append({**rempart.register(values), "values": values})
        active.update(values)
    case_numbers = {c["caseNumber"] for c in cases}

    client = RecordingClient(
        "unused", args.key, {api.StopNCIIEndpoint.SubmitFeedback: args.key}, base_url_override=feed_base
    )
    collab = CollaborationConfigBase(name="REMPART", api=stop_ncii_api.StopNCIISignalExchangeAPI.get_name(), enabled=True)
    exchange = stop_ncii_api.StopNCIISignalExchangeAPI(collab, client)
    pdq = PdqSignal.get_name()

    # -- full fetch, with a registration between pages 1 and 2 ------------------------------
    during: t.List[dict] = []

    def register_during(page: int) -> None:
        if page == 1:
            values = random_pdq(50)
            during.append({**rempart.register(values), "values": values})

    state: t.Dict[t.Tuple[str, str], t.Any] = {}
    full = fetch(exchange, client, state, None, between_pages=register_during)
    during_values = set(during[0]["values"])
    cases.extend(during)
    case_numbers.update(c["caseNumber"] for c in during)
    sizes = [p.count for p in full.pages]
    check(
        len(full.pages) >= math.ceil(args.hashes / PAGE) and all(p.count == len(p.hashRecords) <= PAGE for p in full.pages),
        "full fetch",
        f"{len(full.pages)} pages from startTimestamp=10 (counts {sizes}), checkpoint {full.checkpoint and full.checkpoint.update_time}",
    )
    stamps = [p.nextSetTimestamp for p in full.pages]
    check(stamps == sorted(stamps), "full fetch", f"nextSetTimestamp never goes back across pages: {stamps}")
    check(not full.pages[-1].hasMoreRecords and not full.pages[-1].nextPageToken, "full fetch", "last page: hasMoreRecords false, no nextPageToken")
    missing = [v for v in active if (pdq, v) not in state]
    check(not missing, "full fetch", f"{len(active) - len(missing)}/{len(active)} registered values in the wrapper's state")
    records = records_of(full.pages)
    bad = [r for v, r in records.items() if v in active and (r.hashStatus != api.StopNCIICaseStatus.Active or r.signalType != api.StopNCIISignalType.ImagePDQ)]
    check(not bad, "full fetch", "every registered value: signalType ImagePDQ, hashStatus Active")
    refs = {ref for r in records.values() for ref in r.caseNumbers}
    check(bool(refs) and not (refs & case_numbers), "full fetch", f"caseNumbers hold {len(refs)} opaque refs (e.g. {next(iter(refs), '?')}), never a case number")
    check(not dropped.messages, "full fetch", f"records the client could not deserialise and dropped: {len(dropped.messages)} {dropped.messages[:1]}")

    seen_during = len([v for v in during_values if (pdq, v) in state])
    catch_up = fetch(exchange, client, state, full.checkpoint)
    missing = [v for v in during_values if (pdq, v) not in state]
    check(
        not missing,
        "full fetch",
        f"written during paging: {seen_during}/50 in that session, {50 - len(missing)}/50 after the next incremental fetch ({catch_up.updates} records)",
    )
    active |= during_values

    # -- interrupted after one page, resumed from that page's checkpoint ---------------------
    partial_state: t.Dict[t.Tuple[str, str], t.Any] = {}
    first = fetch(exchange, client, partial_state, None, stop_after=1)
    rest = fetch(exchange, client, partial_state, first.checkpoint)
    missing = [v for v in active if (pdq, v) not in partial_state]
    check(
        not missing,
        "interrupt",
        f"stopped after page 1 (checkpoint {first.checkpoint and first.checkpoint.update_time}), resumed: "
        f"{len(rest.pages)} more pages, {len(active) - len(missing)}/{len(active)} values",
    )

    # -- quiet incremental fetch -----------------------------------------------------------
    quiet = fetch(exchange, client, state, catch_up.checkpoint)
    check(
        quiet.checkpoint is not None and catch_up.checkpoint is not None and quiet.checkpoint.update_time >= catch_up.checkpoint.update_time,
        "quiet",
        f"incremental fetch on an unchanged bank: {quiet.updates} records (only those of the checkpoint's own second may come again), "
        f"checkpoint {catch_up.checkpoint and catch_up.checkpoint.update_time} -> {quiet.checkpoint and quiet.checkpoint.update_time}",
    )

    # -- registrations, a video, a withdrawal -----------------------------------------------
    new_values = random_pdq(30)
    md5 = f"{random.getrandbits(128):032x}"
    frames = random_pdq(2)
    video = {"md5": md5, "frames": [{"t": i * 0.4, "value": v, "quality": 100} for i, v in enumerate(frames)]}
    cases.append({**rempart.register(new_values, video), "values": new_values + frames})
    withdrawn_case = during[0]
    rempart.withdraw(withdrawn_case)
    cases.remove(withdrawn_case)
    withdrawn = set(withdrawn_case["values"])
    active = (active - withdrawn) | set(new_values) | set(frames)

    changes = fetch(exchange, client, state, quiet.checkpoint)
    records = records_of(changes.pages)
    arrived = [v for v in new_values + frames if records.get(v) and records[v].hashStatus == api.StopNCIICaseStatus.Active]
    video_record = records.get(md5)
    check(
        len(arrived) == len(new_values) + len(frames) and video_record is not None and video_record.signalType == api.StopNCIISignalType.VideoMD5,
        "changes",
        f"incremental fetch ({changes.updates} records): {len(arrived)}/{len(new_values) + len(frames)} new PDQ values Active, "
        f"VideoMD5 record {'present' if video_record else 'MISSING'}",
    )
    told = [v for v in withdrawn if records.get(v) and records[v].hashStatus == api.StopNCIICaseStatus.Withdrawn]
    all_members_withdrawn = all(
        s == api.StopNCIICaseStatus.Withdrawn for v in told for s in records[v].caseNumbers.values()
    )
    check(
        len(told) == len(withdrawn) and all_members_withdrawn,
        "changes",
        f"withdrawn case: {len(told)}/{len(withdrawn)} values come as hashStatus Withdrawn (caseNumbers all Withdrawn)",
    )
    kept = [v for v in withdrawn if (pdq, v) in state]
    if kept:
        print(
            f"NOTE  limitation: the wrapper kept {len(kept)}/{len(withdrawn)} withdrawn values in its state "
            "(_get_delta_mapping tests record.hashValue, not record.hashStatus; README 'Using Rempart from HMA')"
        )
    else:
        print(f"NOTE  the wrapper dropped all {len(withdrawn)} withdrawn values (its _get_delta_mapping tests hashStatus)")

    fresh_state: t.Dict[t.Tuple[str, str], t.Any] = {}
    fresh = fetch(exchange, client, fresh_state, None)
    fresh_values = {v for (kind, v) in fresh_state if kind == pdq}
    check(
        not (fresh_values & withdrawn) and active <= fresh_values,
        "limitation",
        f"a fresh fetch from startTimestamp=10 ({len(fresh.pages)} pages): {len(active & fresh_values)}/{len(active)} live values, "
        f"{len(fresh_values & withdrawn)} withdrawn (the remedy: rebuild the bank)",
    )

    # -- feedback --------------------------------------------------------------------------
    # A second with no write, then a checkpoint: the next fetch returns only what feedback moved.
    time.sleep(1.2)
    settled = fetch(exchange, client, state, changes.checkpoint)
    blocked, not_blocked = new_values[0], new_values[1]
    client.submit_feedback(api.StopNCIISignalType.ImagePDQ, blocked, api.StopNCIICSPFeedbackValue.Blocked, {"reviewed"})
    client.submit_feedbacks(
        {
            (api.StopNCIISignalType.ImagePDQ, not_blocked): api.StopNCIICSPFeedback(api.StopNCIICSPFeedbackValue.NotBlocked, {"benign"}),
            (api.StopNCIISignalType.VideoMD5, md5): api.StopNCIICSPFeedback(api.StopNCIICSPFeedbackValue.Blocked),
        }
    )
    after = fetch(exchange, client, state, settled.checkpoint)
    records = records_of(after.pages)

    def feedback_of(value: str) -> t.List[t.Tuple[str, t.Set[str], str]]:
        record = records.get(value)
        return [(f.feedbackValue.value, set(f.tags), f.source) for f in record.CSPFeedbacks] if record else []

    got = {v: feedback_of(v) for v in (blocked, not_blocked, md5)}
    sources = {s for fb in got.values() for (_, _, s) in fb}
    check(
        [x[:2] for x in got[blocked]] == [("Blocked", {"reviewed"})]
        and [x[:2] for x in got[not_blocked]] == [("NotBlocked", {"benign"})]
        and [x[0] for x in got[md5]] == ["Blocked"]
        and len(sources) == 1
        and "" not in sources,
        "feedback",
        f"after SubmitFeedback the next incremental fetch ({after.updates} records) carries CSPFeedbacks: {got}",
    )
    moved = set(records)
    check(
        {blocked, not_blocked, md5} <= moved and set(frames) <= moved,
        "feedback",
        f"the records moved: the three reported on, and the video's {len(set(frames) & moved)}/{len(frames)} frame records "
        f"(feedback is about the whole video); {len(moved - {blocked, not_blocked, md5} - set(frames))} others",
    )
    metadata = state.get((pdq, blocked))
    check(
        metadata is not None and str(metadata).startswith("POSITIVE_CLASS +1"),
        "feedback",
        f"the wrapper's view of the blocked value: {metadata}",
    )

    # -- the threatexchange command line ----------------------------------------------------
    if args.cli:
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "HOME": home, "TX_STOPNCII_KEYS": f"{args.key},unused,{feed_base}"}

            def tx(*argv: str) -> str:
                run = subprocess.run([sys.executable, "-m", "threatexchange.cli.main", *argv], env=env, capture_output=True, text=True)
                if run.returncode != 0:
                    raise SystemExit(f"threatexchange {' '.join(argv)} failed ({run.returncode}): {run.stderr[-600:]}")
                return run.stdout

            def held() -> t.Set[str]:
                return {line.split()[1] for line in tx("dataset", "-P", "-S").splitlines() if line.startswith("pdq ")}

            tx("config", "collab", "edit", "stop_ncii", "REMPART", "--create")
            tx("fetch")
            first_values = held()
            check(active <= first_values and not (first_values & withdrawn), "cli", f"threatexchange fetch: {len(active & first_values)}/{len(active)} live values, no withdrawn one")
            gone_case = cases.pop(0)
            rempart.withdraw(gone_case)
            tx("fetch")
            second_values = held()
            still = set(gone_case["values"]) & second_values
            print(f"NOTE  cli: after withdrawing {len(gone_case['values'])} values and fetching again, the CLI still holds {len(still)} of them (the wrapper's limitation)")
            match = tx("match", "--only-signal", "pdq", "--hashes", "photo", "--", gone_case["values"][0]) if still else ""
            if match:
                print(f"NOTE  cli: threatexchange match on a withdrawn value: {match.strip()[:160]}")

    # -- clean up ----------------------------------------------------------------------------
    for case in cases:
        rempart.withdraw(case)
    print(f"{'OK' if not failures else 'FAILED'}: {len(failures)} failed check(s){': ' + ', '.join(sorted(set(failures))) if failures else ''}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
