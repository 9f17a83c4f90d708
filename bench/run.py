"""Benchmark: the numbers of issue 9 and 12, measured in one run, printed and written to
bench/results.md as one table of ratios.

    make bench                                # reads at 100,000 and at 1,000,000 nominations
    BENCH_MILLION=0 make bench                # 100,000 only (a quicker run)
    BENCH_RECOVERY=0 make bench               # without the fault tests (about 2 minutes)
    BENCH_PARTS=actions make bench            # only some of actions,reads,notices,lists,import

It needs pgbench and wrk on the PATH (Debian: apt-get install postgresql-client wrk) and py-spy
in the virtualenv for bench/profile.md.

On PostgreSQL (`BENCH_DATABASE_URL`, default commend_bench on the local server):

- workflow actions through HTTP (gunicorn 4 workers × 4 threads, wrk with 8 connections in a
  process of its own) against pgbench running the same kind of transaction with 8 clients, and
  against `GET /api/v1/me`; with notices queued to Redis, and on the embedded default;
- the queue, a list page deep in a province, a search and the summary report, at 100,000 and
  1,000,000 nominations, each against the `GET /api/v1/me` measured on either side of it (p95,
  the median of five rounds);
- notices delivered by a Celery worker to a local SMTP server against the same worker draining
  no-op tasks;
- a final list of 1,000 and 10,000 rows: the memory its CSV and XLSX take while written, and the
  PDF's render time per 1,000 rows;
- a CSV import of 10,000 accounts;
- recovery after Redis, SMTP or a worker fails (tests/test_tasks_real.py, default settings).
"""

import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.orm import sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import load  # noqa: E402 (bench/load.py, beside this file: gunicorn and wrk)

from web import create_app  # noqa: E402 (after the path is set)
from web.database import make_engine, normalise_url  # noqa: E402
from workflow import accounts, imports, options, policy  # noqa: E402
from workflow.models import (  # noqa: E402
    Campaign,
    Nomination,
    OutboxMessage,
    Unit,
    User,
    searchable,
    utcnow,
)

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/commend_bench")
NOMINATIONS = 100_000
MILLION = 1_000_000
DISTRICTS = COMMUNES = CELLS = 10
# Share of nominations per state; the rest are drafts.
MIX = (
    ("commune_review", 0.35),
    ("district_review", 0.15),
    ("province_review", 0.05),
    ("commended", 0.25),
    ("returned", 0.05),
)


def fresh_database(url):
    target = sa.make_url(normalise_url(url))
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()


def build_tree(session):
    """Units and one user per role and unit; returns (units by code, users by code)."""
    units, users = {}, {}

    def unit(code, name, level, parent):
        path = (parent.path if parent else "/") + code + "/"
        units[code] = Unit(code=code, name=name, level=level, parent=parent, path=path)
        session.add(units[code])
        role = "secretary" if level == "cell" else "reviewer"
        users[code] = User(
            username=f"u-{code}",
            full_name=f"Cán bộ {code}",
            email=f"{code.lower()}@bench.example.org",
            role=role,
            unit=units[code],
            language="vi",  # no password: the load logs in with tokens issued here
        )
        session.add(users[code])
        return units[code]

    province = unit("P", "Tỉnh ủy", "province", None)
    users["admin"] = User(
        username="admin",
        full_name="Quản trị",
        email="admin@bench.example.org",
        role="admin",
        unit=province,
        language="vi",
    )
    session.add(users["admin"])
    for d in range(DISTRICTS):
        district = unit(f"D{d}", f"Huyện ủy {d}", "district", province)
        for c in range(COMMUNES):
            commune = unit(f"D{d}C{c}", f"Đảng ủy xã {d}.{c}", "commune", district)
            for k in range(CELLS):
                unit(f"D{d}C{c}K{k}", f"Chi bộ {d}.{c}.{k}", "cell", commune)
    session.flush()
    return units, users


def load_nominations(engine, units, users, campaign_id, start, stop):
    """Bulk-insert nominations start…stop with Core, 10,000 rows a batch, each committed.

    Asked for their ids, SQLAlchemy sends a batch as statements of 1,000 rows each (its
    "insertmanyvalues"), not a statement per row: the totals' triggers then write each unit's
    row once per statement (see the migration `unit_totals`). A row rewritten many times in one
    transaction grows a chain of versions that each rewrite walks: a million rows in one
    transaction took minutes more than in batches."""
    cells = [u for u in units.values() if u.level == "cell"]
    rng = random.Random(start)  # noqa: S311 (a repeatable spread of states, not a secret)
    now = utcnow()
    table = Nomination.__table__
    insert = table.insert().returning(table.c.id)
    rows = []
    with engine.connect() as connection:
        for index in range(start, stop):
            cell = cells[index % len(cells)]
            commune, district = units[cell.code[:-2]], units[cell.code[:-4]]
            draw, state = rng.random(), "draft"
            for name, share in MIX:
                if draw < share:
                    state = name
                    break
                draw -= share
            pending = {
                "commune_review": commune,
                "district_review": district,
                "province_review": units["P"],
            }.get(state)
            rows.append(
                {
                    "campaign_id": campaign_id,
                    "cell_id": cell.id,
                    "kind": "individual" if index % 3 else "collective",
                    "nominee_name": f"Nguyễn Văn {index}",
                    "title": f"Mô hình số {index}",
                    # Core writes skip the ORM's event, so the text search reads is folded here.
                    "search_text": searchable(f"Nguyễn Văn {index}", f"Mô hình số {index}"),
                    "field": "Kinh tế",
                    "summary": "Tóm tắt",
                    "achievements": "Thành tích",
                    "target_level": "province",
                    "state": state,
                    "version": 2,
                    "pending_unit_id": pending.id if pending else None,
                    "pending_since": now - dt.timedelta(minutes=index) if pending else None,
                    "recognized_level": "district" if state == "commended" else None,
                    "recognized_unit_id": district.id if state == "commended" else None,
                    "returned_by_unit_id": commune.id if state == "returned" else None,
                    "created_by_id": users[cell.code].id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(rows) == 10_000:
                connection.execute(insert, rows)
                connection.commit()
                rows = []
        if rows:
            connection.execute(insert, rows)
            connection.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # The bulk load bumped each counter row (one per cell and state, and their rollup per
        # commune) thousands of times in a few transactions: compact them, as after any bulk
        # import; day-to-day actions change them a row at a time, and autovacuum keeps up.
        connection.exec_driver_sql("VACUUM FULL nomination_counts, unit_counts, unit_totals")
        connection.exec_driver_sql("VACUUM ANALYZE")
        # Write the load's dirty pages out now, not in a checkpoint during the measurements
        # that follow, on the same two cores.
        connection.exec_driver_sql("CHECKPOINT")


def build(url, app):
    """The province, its users, one campaign and 100,000 nominations; tokens for the load."""
    started = time.perf_counter()
    engine = app.extensions["database"].engine
    make = sessionmaker(bind=engine, expire_on_commit=False)
    with make() as session:
        units, users = build_tree(session)
        campaign = Campaign(
            name="Đợt đo",
            year=dt.date.today().year,
            unit=units["P"],
            submission_deadline=dt.date.today() + dt.timedelta(days=30),
            options=options.defaults(),
        )
        session.add(campaign)
        session.commit()
        load_nominations(engine, units, users, campaign.id, 0, NOMINATIONS)
        tokens = {
            code: accounts.issue_token(session, users[code], hours=4)[0]
            for code in users
            if code != "admin" and users[code].role == "reviewer"
        }
        session.commit()
        waiting = session.execute(
            sa.select(Nomination.id, Nomination.pending_unit_id, Nomination.version)
            .where(Nomination.state == "commune_review")
            .order_by(Nomination.id)
        ).all()
        by_unit = {user.unit_id: code for code, user in users.items() if code in tokens}
        pairs = [(number, tokens[by_unit[unit]], version) for number, unit, version in waiting]
    return SimpleNamespace(
        units=units,
        users=users,
        campaign_id=campaign.id,
        tokens=tokens,
        pairs=pairs,
        seconds=time.perf_counter() - started,
    )


PGBENCH_SCRIPT = """\\set id random(1, {count})
BEGIN;
SELECT n.*, u.path FROM nominations n JOIN units u ON u.id = n.cell_id WHERE n.id = :id;
UPDATE nominations SET version = version + 1, updated_at = now()
  WHERE id = :id AND version = version;
INSERT INTO history (nomination_id, action, from_state, to_state, actor_id, actor_unit_id, at)
  VALUES (:id, 'approve', 'commune_review', 'district_review', 1, 1, now()) RETURNING id;
INSERT INTO outbox (key, notice, nomination_id, recipient_email, language, context, status,
                    attempts, server_down, created_at)
  VALUES (md5(random()::text), 'forwarded', :id, 'a@bench.example.org', 'vi', '{{}}',
          'pending', 0, false, now()),
         (md5(random()::text), 'forwarded', :id, 'b@bench.example.org', 'vi', '{{}}',
          'pending', 0, false, now());
COMMIT;
"""


def pgbench(url, *, clients=8, seconds=8):
    """The same kind of transaction, run by pgbench: the database's own speed."""
    target = sa.make_url(normalise_url(url))
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT.format(count=NOMINATIONS))
    result = subprocess.run(
        [
            "pgbench",
            "-n",
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(seconds),
            "-f",
            script.name,
            "-h",
            target.host or "127.0.0.1",
            "-p",
            str(target.port or 5432),
            "-U",
            target.username or "postgres",
            target.database,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(script.name)
    tps = next(line for line in result.stdout.splitlines() if line.startswith("tps"))
    return float(tps.split("=")[1].split()[0])


# Reads ----------------------------------------------------------------------------------------


def reads(url, context, *, rounds=5):
    """(p95 of GET /me, p95 of the route) in ms for each read route, on a server of their own:
    the medians of `rounds` rounds, each measuring every route in turn, each with GET /me before
    and after it on the same connections (`load.paired`). One p95 on a shared machine moves by
    up to 2× between two runs of the same code, and the machine's speed drifts within a run."""
    engine = make_engine(url)
    with engine.connect() as connection:
        # The id 100 pages of 50 deep, newest first: where a keyset page 101 starts.
        deep = connection.scalar(
            sa.select(Nomination.id).order_by(Nomination.id.desc()).offset(5000).limit(1)
        )
    engine.dispose()
    me = ("/api/v1/me", "D0")
    routes = {
        "district queue, 20 a page": ("/api/v1/queue", "D0"),
        "province list, 50 a page, 100 pages deep (after=)": (
            f"/api/v1/nominations?per_page=50&after={deep}",
            "P",
        ),
        "province search, q=Nguyễn Văn 4242": (
            "/api/v1/nominations?q=Nguy%E1%BB%85n%20V%C4%83n%204242",
            "P",
        ),
        "province summary report": ("/api/v1/reports/summary", "P"),
    }
    p95s = {name: ([], []) for name in routes}
    server = load.Server(url)

    def tokened(path, code):
        return path, context.tokens[code]

    try:
        for _ in range(rounds):
            for name, route in routes.items():
                me_p95, route_p95 = load.paired(server.url, tokened(*me), tokened(*route))
                p95s[name][0].append(me_p95)
                p95s[name][1].append(route_p95)
    finally:
        server.stop()
    return {
        name: tuple(statistics.median(values) for values in pair) for name, pair in p95s.items()
    }


# Actions through HTTP -------------------------------------------------------------------------


def current_versions(url, pairs):
    """The pairs with each nomination's version as it is now."""
    engine = make_engine(url)
    with engine.connect() as connection:
        versions = dict(
            connection.execute(
                sa.select(Nomination.id, Nomination.version).where(
                    Nomination.id.in_([number for number, _token, _version in pairs])
                )
            ).all()
        )
    engine.dispose()
    return [(number, token, versions[number]) for number, token, _version in pairs]


def actions(url, context, *, broker, profile_to=None):
    """Approvals through HTTP against GET /me, on a fresh server; uses up fresh nominations.
    Also the CPU each approval costs the app and the database, and (`profile_to`) py-spy's
    samples of one worker meanwhile."""
    server = load.Server(url, broker=broker)
    try:
        me = load.get(f"{server.url}/api/v1/me", context.tokens["D0C0"])
        warm, pairs, context.pairs = (
            context.pairs[:1500],
            context.pairs[1500:9500],
            context.pairs[9500:],
        )
        # pgbench bumped the versions of the nominations it touched: approve on today's.
        warm, pairs = current_versions(url, warm), current_versions(url, pairs)
        # Every worker's connections prepare their statements on first use: warm them first.
        load.approve(server.url + "/", warm, seconds=3)
        spy = profile_to and load.profile(load.workers_of(server), 8, profile_to)
        app, database = load.cpu_seconds("gunicorn"), load.cpu_seconds("postgres:")
        approved = load.approve(server.url + "/", pairs)
        done = approved["rate"] * 8
        approved["app_ms"] = (load.cpu_seconds("gunicorn") - app) / done * 1000
        approved["database_ms"] = (load.cpu_seconds("postgres:") - database) / done * 1000
        if spy:
            spy.wait()
    finally:
        server.stop()
    return me, approved


# Notices through a worker ----------------------------------------------------------------------


def notices_against_noop(url, app, count=2000):
    """Notices sent by a Celery worker to a local SMTP server, against the same worker draining
    no-op tasks: both measured as items per second."""
    from aiosmtpd.controller import Controller

    sys.path.insert(0, str(ROOT / "tests"))
    from test_tasks_real import CeleryProcess, RedisServer  # the tests' own service helpers

    received = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):
            received.append(1)
            return "250 OK"

    directory = Path(tempfile.mkdtemp(prefix="commend-bench-worker-"))
    redis = RedisServer(directory)
    redis.start()
    smtp_port = load.free_port()
    controller = Controller(Inbox(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = {
        **os.environ,
        "COMMEND_ENV": "production",
        "SECRET_KEY": "bench-only-key",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": redis.url,
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "COMMEND_INSTANCE_PATH": str(directory),
    }
    worker = CeleryProcess(
        [
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
        ],
        env,
        directory / "worker.log",
        b"ready.",
    )
    worker.start()
    sender = create_app(
        {
            "ENVIRONMENT": "production",
            "SECRET_KEY": "bench-only-key",
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": redis.url,
            "HAND_OFF_THREAD": False,
        }
    )
    celery_app = sender.extensions["celery"]
    engine = sender.extensions["database"].engine
    try:
        started = time.perf_counter()
        results = [
            celery_app.send_task("celery.accumulate", args=(n,), ignore_result=False)
            for n in range(count)
        ]
        for result in results:
            result.get(timeout=300)
        noop_rate = count / (time.perf_counter() - started)

        rows = [
            {
                "key": f"bench-{n}",
                "notice": "set_password",
                "recipient_email": f"n{n}@bench.example.org",
                "language": "vi",
                "context": {"username": f"n{n}", "full_name": "Bench", "link": "http://x/"},
                "status": "pending",
                "attempts": 0,
                "server_down": False,
                "created_at": utcnow(),
            }
            for n in range(count)
        ]
        with engine.begin() as connection:
            ids = connection.scalars(
                OutboxMessage.__table__.insert().returning(OutboxMessage.__table__.c.id), rows
            ).all()
        from tasks.outbox import SEND, publish

        started = time.perf_counter()
        with sender.app_context():
            publish(celery_app, [(SEND, message_id) for message_id in ids])
        deadline = time.monotonic() + 300
        while len(received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        notice_rate = len(received) / (time.perf_counter() - started)
    finally:
        worker.stop()
        controller.stop()
        redis.stop()
        engine.dispose()
    return noop_rate, notice_rate


# Lists and imports ------------------------------------------------------------------------------


def list_documents(app):
    """Peak memory (MiB) of writing the CSV and XLSX of 1,000 and 10,000 rows, and the PDF's
    render time (s) per 1,000 rows."""
    from tasks import documents

    def fake_list(count):
        province = SimpleNamespace(name="Tỉnh ủy Phú Thọ", parent=None, level="province")
        unit = SimpleNamespace(name="Huyện ủy Cẩm Khê", parent=province, level="district")
        rows = [
            {
                "kind": "individual" if n % 3 else "collective",
                "nominee_name": f"Nguyễn Văn {n}",
                "nominee_birth_year": 1970 + n % 30,
                "nominee_position": "Bí thư chi bộ",
                "unit": f"Chi bộ thôn {n % 97}",
                "title": f"Mô hình số {n}",
                "field": "Kinh tế",
                "achievements": "Hiến đất làm đường, vận động nhân dân " * 4,
            }
            for n in range(count)
        ]
        return SimpleNamespace(
            unit=unit,
            campaign=SimpleNamespace(name="Đợt đo"),
            level="district",
            number=1,
            issued_on=dt.date.today(),
            rows=rows,
            count=count,
            summary={"district": {"collective": count // 3, "individual": count - count // 3}},
        )

    memory = {}
    with app.app_context(), tempfile.TemporaryDirectory() as directory:
        for count in (1000, 10_000):
            made = fake_list(count)
            for file_format in ("csv", "xlsx"):
                path = Path(directory) / f"{count}.{file_format}"
                tracemalloc.start()
                with path.open("wb") as stream:
                    documents.RENDERERS[file_format](made, stream)
                memory[(file_format, count)] = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
        made = fake_list(1000)
        started = time.perf_counter()
        with (Path(directory) / "1000.pdf").open("wb") as stream:
            documents.render_pdf(made, stream)
        pdf_seconds = time.perf_counter() - started
    return memory, pdf_seconds


def account_import(app, units):
    """A users.csv of 10,000 accounts (set-password links, no passwords): check, then import."""
    cells = [code for code, unit in units.items() if unit.level == "cell"]
    lines = ["username,full_name,email,role,unit_code,password"]
    lines += [
        f"nhap{n},Người số {n},nhap{n}@bench.example.org,secretary,{cells[n % len(cells)]},"
        for n in range(10_000)
    ]
    text = "\n".join(lines) + "\n"
    from web.database import db

    with app.app_context():
        started = time.perf_counter()
        errors, _counts = imports.preview(db.session, policy.OPERATOR, "users", text)
        assert not errors, errors[:3]
        imports.import_users(db.session, policy.OPERATOR, text)
        db.session.commit()
        return time.perf_counter() - started


# Recovery ---------------------------------------------------------------------------------------


def recovery(url):
    """Run the fault tests of tests/test_tasks_real.py and read back what they measured."""
    with tempfile.TemporaryDirectory() as directory:
        report = Path(directory) / "recovery.jsonl"
        database = sa.make_url(normalise_url(url)).set(database="commend_bench_recovery")
        env = {
            **os.environ,
            "CI": "1",  # a missing service fails the run instead of skipping it
            "TEST_DATABASE_URL": database.render_as_string(hide_password=False),
            "COMMEND_RECOVERY_REPORT": str(report),
        }
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                str(ROOT / "tests" / "test_tasks_real.py"),
                "-k",
                "within_a_minute",
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        return [json.loads(line) for line in report.read_text().splitlines()]


def write_profile(raw, approved, database_rate):
    """bench/profile.md: where an approval's time goes, from py-spy's samples of the workers."""
    top, samples = load.top_functions(raw)
    lines = [
        "Where an approval's time goes (py-spy, every gunicorn worker, 8 s of approvals through",
        f"HTTP with notices queued to Redis; {samples:,} samples of busy threads, where waiting on",
        "the database in psycopg's `Connection.wait` counts as busy).",
        "",
        f"{approved['rate']:,.0f} approvals/s against pgbench's {database_rate:,.0f} "
        f"transactions/s; CPU per approval: {approved['app_ms']:.1f} ms in the app, "
        f"{approved['database_ms']:.1f} ms in the database (2 cores, shared with wrk).",
        "",
        "| share of samples | frame |",
        "|---:|---|",
        *(f"| {share:.0%} | `{frame}` |" for share, frame in top),
    ]
    (ROOT / "bench" / "profile.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


# The table ----------------------------------------------------------------------------------------


def main():
    for tool in ("pgbench", "wrk"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is not installed (Debian: apt-get install {tool})")
    fresh_database(URL)
    app = create_app(
        {
            "ENVIRONMENT": "production",
            "DATABASE_URL": URL,
            "SECRET_KEY": "bench-only-key",
            "OUTBOX_DISPATCH_ON_COMMIT": False,
            "HAND_OFF_THREAD": False,
        }
    )
    with app.app_context():
        upgrade()
    context = build(URL, app)
    rows = []

    def row(what, value, target, ok):
        rows.append((what, value, target, "yes" if ok else "**no**"))
        print(f"| {what} | {value} | {target} | {rows[-1][3]} |", flush=True)

    parts = os.environ.get("BENCH_PARTS", "actions,reads,notices,lists,import").split(",")

    database_rate = pgbench(URL)
    row("pgbench, the same kind of transaction, 8 clients", f"{database_rate:,.0f}/s", "", True)
    for name, broker in (
        ()
        if "actions" not in parts
        else (
            ("notices queued to Redis", "redis://127.0.0.1:6379/9"),
            ("embedded default", None),
        )
    ):
        raw = Path(tempfile.gettempdir()) / "commend-bench-profile.txt" if broker else None
        me, approved = actions(URL, context, broker=broker, profile_to=raw)
        if raw and raw.exists():
            write_profile(raw, approved, database_rate)
        ratio = approved["rate"] / database_rate
        target = 0.15 if broker else 0.10
        row(
            f"approve through HTTP, 8 clients, {name}: per second ÷ pgbench",
            f"{approved['rate']:,.0f}/s = {ratio:.2f} ×",
            f"≥ {target:.2f} × (goal 0.25 ×)",
            ratio >= target,
        )
        row(
            f"`GET /me` ÷ approve, {name}",
            f"{me['rate']:,.0f}/s ÷ {approved['rate']:,.0f}/s = "
            f"{me['rate'] / approved['rate']:.1f}",
            "goal ≤ 2",
            me["rate"] / approved["rate"] <= 2,
        )
        row(
            f"CPU per approval, {name}: the app (gunicorn) + the database",
            f"{approved['app_ms']:.1f} ms + {approved['database_ms']:.1f} ms",
            "reported",
            True,
        )
        if approved["errors"]:
            refused = ", ".join(f"{n} × {what}" for what, n in approved["refused"].items())
            row(
                f"approvals answered other than 200, {name}",
                f"{approved['errors']} ({refused})",
                "0",
                False,
            )

    scales = [NOMINATIONS] if "reads" in parts else []
    if scales and os.environ.get("BENCH_MILLION", "1") != "0":
        scales.append(MILLION)
    for scale in scales:
        if scale != NOMINATIONS:
            load_nominations(
                app.extensions["database"].engine,
                context.units,
                context.users,
                context.campaign_id,
                NOMINATIONS,
                scale,
            )
        for name, (me, p95) in reads(URL, context).items():
            limit = 2 * me
            row(
                f"{name}, {scale:,} nominations: p95 ms, median of 5 (GET /me on either side: "
                f"{me:.1f})",
                f"{p95:.1f}",
                f"≤ {limit:.1f}",
                p95 <= limit,
            )

    if "notices" in parts:
        noop_rate, notice_rate = notices_against_noop(URL, app)
        row(
            "notices sent by a worker to SMTP ÷ no-op tasks drained by it",
            f"{notice_rate:,.0f}/s ÷ {noop_rate:,.0f}/s = {notice_rate / noop_rate:.2f}",
            "≥ 0.5",
            notice_rate / noop_rate >= 0.5,
        )
    if "lists" in parts:
        memory, pdf_seconds = list_documents(app)
        for file_format in ("csv", "xlsx"):
            small, large = memory[(file_format, 1000)], memory[(file_format, 10_000)]
            row(
                f"list {file_format.upper()}: peak memory written, 1,000 → 10,000 rows",
                f"{small:.1f} → {large:.1f} MiB",
                "does not grow",
                large <= small * 1.2 + 0.5,
            )
        row("list PDF: render time per 1,000 rows", f"{pdf_seconds:.1f} s", "reported", True)
    if "import" in parts:
        seconds = account_import(app, context.units)
        row(
            "CSV import of 10,000 accounts (check, then import)",
            f"{seconds:.0f} s",
            "< 60 s",
            seconds < 60,
        )

    if os.environ.get("BENCH_RECOVERY", "1") != "0":
        for result in recovery(URL):
            row(
                f"recovery: {result['fault']}",
                f"{result['delivered']}/{result['delivered']} in {result['seconds']:.1f} s, "
                f"{result['copies']} {'copy' if result['copies'] == 1 else 'copies'}",
                "≤ 60 s",
                result["seconds"] <= 60,
            )

    lines = [
        f"commend benchmark, PostgreSQL, {os.cpu_count()} cores, {dt.date.today().isoformat()}; "
        f"the province of 100,000 nominations loaded in {context.seconds:.0f} s",
        "",
        "| measure | value | target | met |",
        "|---|---:|---|---|",
        *(f"| {what} | {value} | {target} | {ok} |" for what, value, target, ok in rows),
    ]
    report = "\n".join(lines)
    print(report)
    (ROOT / "bench" / "results.md").write_text(report + "\n", encoding="utf-8")
    app.extensions["database"].engine.dispose()


if __name__ == "__main__":
    main()
