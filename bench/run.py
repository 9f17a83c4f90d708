"""Benchmark of the hot paths on PostgreSQL at province scale, printed as a Markdown table.

    make bench                               # 100,000 nominations
    BENCH_NOMINATIONS=1000000 make bench     # the DESIGN.md scale

It builds a fresh database (`BENCH_DATABASE_URL`, default commend_bench on the local server)
with the migrations, a province of 10 districts × 10 communes × 10 cells, and the nominations
spread over every state, then times, each many times:

- one workflow action (approve) through the service, committed: the hot path;
- the same transaction's statements run by pgbench, for the database's own floor;
- a reviewer's queue page, a province-wide list page and the summary report, through the API;
- recovery after a fault, with the default settings: the real-service tests that stop Redis, stop
  the SMTP server and SIGKILL a worker mid-burst (tests/test_tasks_real.py) report how long the
  notices took to arrive after the service came back (BENCH_RECOVERY=0 skips them).
"""

import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.orm import sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from web import create_app  # noqa: E402 (after the path is set)
from web.database import make_engine, normalise_url  # noqa: E402
from workflow import accounts, services  # noqa: E402
from workflow.models import Campaign, Nomination, Unit, User, utcnow  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/commend_bench")
NOMINATIONS = int(os.environ.get("BENCH_NOMINATIONS", "100000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))
DISTRICTS = COMMUNES = CELLS = 10
# Share of nominations per state; the rest are drafts.
MIX = (
    ("commune_review", 0.35),
    ("district_review", 0.15),
    ("province_review", 0.05),
    ("commended", 0.25),
    ("returned", 0.05),
)


def fresh_database():
    target = sa.make_url(normalise_url(URL))
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()


def build_tree(session):
    """Units and one user per role and unit; returns (units by code, users by username)."""
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
            language="vi",
            password_hash=accounts.hash_password("bench"),
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


def load_nominations(engine, session, units, users, campaign):
    """Bulk-insert the nominations with Core, 10,000 rows a statement batch."""
    cells = [u for u in units.values() if u.level == "cell"]
    rng = random.Random(5)  # noqa: S311 (a repeatable spread of states, not a secret)
    now = utcnow()
    rows = []
    for index in range(NOMINATIONS):
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
                "campaign_id": campaign.id,
                "cell_id": cell.id,
                "kind": "individual" if index % 3 else "collective",
                "nominee_name": f"Nguyễn Văn {index}",
                "title": f"Mô hình số {index}",
                "field": "Kinh tế",
                "summary": "Tóm tắt",
                "achievements": "Thành tích",
                "target_level": "province",
                "state": state,
                "version": 2,
                "pending_unit_id": pending.id if pending else None,
                "pending_since": now - dt.timedelta(minutes=index) if pending else None,
                "recognized_level": "district" if state == "commended" else None,
                "returned_by_unit_id": commune.id if state == "returned" else None,
                "created_by_id": users[cell.code].id,
                "created_at": now,
                "updated_at": now,
            }
        )
        if len(rows) == 10_000:
            session.execute(sa.insert(Nomination), rows)
            rows = []
    if rows:
        session.execute(sa.insert(Nomination), rows)
    session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")


def timed(function, rounds):
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p95": samples[int(len(samples) * 0.95) - 1],
        "per_second": 1000 / statistics.mean(samples),
    }


def bench_actions(make_session, reviewer_id):
    """Approve distinct nominations pending at one commune, one committed transaction each."""
    session = make_session()
    reviewer = session.get(User, reviewer_id)
    ids = session.scalars(
        sa.select(Nomination.id)
        .where(Nomination.pending_unit_id == reviewer.unit_id)
        .order_by(Nomination.id)
        .limit(ROUNDS)
    ).all()
    session.close()
    queue = iter(ids)

    def approve():
        with make_session() as work:
            actor = work.get(User, reviewer_id)
            nomination = services.get_nomination(work, actor, next(queue))
            services.perform(work, nomination, actor, action="approve", version=nomination.version)
            work.commit()

    return timed(approve, len(ids)), len(ids)


PGBENCH_SCRIPT = """\\set id random(1, {count})
BEGIN;
SELECT n.*, u.path FROM nominations n JOIN units u ON u.id = n.cell_id
  WHERE n.id = :id;
SELECT * FROM units WHERE code IN ('P', 'D0', 'D0C0');
UPDATE nominations SET version = version + 1, updated_at = now()
  WHERE id = :id AND version = version;
INSERT INTO history (nomination_id, action, from_state, to_state, actor_id, actor_unit_id, at)
  VALUES (:id, 'approve', 'commune_review', 'district_review', 1, 1, now()) RETURNING id;
SELECT * FROM users WHERE active
  AND ((role = 'secretary' AND unit_id = 4) OR (role = 'reviewer' AND unit_id = 3));
INSERT INTO outbox (key, notice, nomination_id, recipient_email, language, context, status,
                    attempts, created_at)
  VALUES (md5(random()::text), 'forwarded', :id, 'a@bench.example.org', 'vi', '{{}}',
          'pending', 0, now()),
         (md5(random()::text), 'forwarded', :id, 'b@bench.example.org', 'vi', '{{}}',
          'pending', 0, now());
COMMIT;
"""


def bench_pgbench(seconds=10):
    """The same statements, run by pgbench on one connection: the floor under our hot path."""
    target = sa.make_url(normalise_url(URL))
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT.format(count=NOMINATIONS))
    result = subprocess.run(
        [
            "pgbench",
            "-n",
            "-c",
            "1",
            "-T",
            str(seconds),
            "-r",
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
    latency = next(line for line in result.stdout.splitlines() if "latency average" in line)
    per_second = float(tps.split("=")[1].split()[0])
    average = float(latency.split("=")[1].split()[0])
    return {"p50": average, "p95": float("nan"), "per_second": per_second}


def bench_recovery():
    """Run the fault tests of tests/test_tasks_real.py and read back what they measured."""
    with tempfile.TemporaryDirectory() as directory:
        report = Path(directory) / "recovery.jsonl"
        database = sa.make_url(normalise_url(URL)).set(database="commend_bench_recovery")
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


def main():
    fresh_database()
    app = create_app(
        {
            "ENVIRONMENT": "testing",
            "DATABASE_URL": URL,
            "SECRET_KEY": "bench",
            "OUTBOX_DISPATCH_ON_COMMIT": False,
        }
    )
    with app.app_context():
        upgrade()
    engine = app.extensions["database"].engine
    make_session = sessionmaker(bind=engine, expire_on_commit=False)
    started = time.perf_counter()
    with make_session() as session:
        units, users = build_tree(session)
        today = services.today()
        campaign = Campaign(
            name="Đợt đo",
            year=today.year,
            unit=units["P"],
            submission_deadline=today + dt.timedelta(days=30),
        )
        session.add(campaign)
        session.commit()
        load_nominations(engine, session, units, users, campaign)
        tokens = {}
        for code in ("D0C0", "D0", "P"):
            tokens[code], _ = accounts.issue_token(session, users[code], hours=2)
        session.commit()
        reviewer_id = users["D0C0"].id
    loaded = time.perf_counter() - started

    client = app.test_client()

    def get(path, code):
        def call():
            response = client.get(path, headers={"Authorization": f"Bearer {tokens[code]}"})
            assert response.status_code == 200, response.get_data(as_text=True)

        return call

    results = []
    actions, count = bench_actions(make_session, reviewer_id)
    results.append((f"approve, committed ({count} nominations)", actions))
    results.append(("same statements in pgbench, 10 s", bench_pgbench()))
    reads = ROUNDS // 3
    results.append(("district queue, 20 a page", timed(get("/api/v1/queue", "D0"), reads)))
    results.append(
        (
            "province list, 50 a page, page 100",
            timed(get("/api/v1/nominations?per_page=50&page=100", "P"), reads),
        )
    )
    results.append(
        (
            "province list, search q=Mô hình số 4242",
            timed(get("/api/v1/nominations?q=M%C3%B4+h%C3%ACnh+s%E1%BB%91+4242", "P"), reads),
        )
    )
    results.append(("province summary report", timed(get("/api/v1/reports/summary", "P"), reads)))

    total = engine.connect().execute(sa.select(sa.func.count()).select_from(Nomination)).scalar()
    lines = [
        f"commend benchmark: {total:,} nominations, PostgreSQL, loaded in {loaded:.0f} s "
        f"({dt.date.today().isoformat()}, {os.cpu_count()} cores)",
        "",
        "| operation | p50 ms | p95 ms | per second |",
        "|---|---:|---:|---:|",
    ]
    for name, numbers in results:
        p95 = "—" if numbers["p95"] != numbers["p95"] else f"{numbers['p95']:.1f}"
        lines.append(f"| {name} | {numbers['p50']:.1f} | {p95} | {numbers['per_second']:.0f} |")
    if os.environ.get("BENCH_RECOVERY", "1") != "0":
        lines += [
            "",
            "Recovery after a fault, default settings (tests/test_tasks_real.py):",
            "",
            "| fault | notices delivered | from the service's return to the last notice | copies |",
            "|---|---:|---:|---:|",
        ]
        for row in bench_recovery():
            lines.append(
                f"| {row['fault']} | {row['delivered']}/{row['delivered']} | "
                f"{row['seconds']:.1f} s | {row['copies']} |"
            )
    report = "\n".join(lines)
    print(report)
    (ROOT / "bench" / "results.md").write_text(report + "\n", encoding="utf-8")
    engine.dispose()


if __name__ == "__main__":
    main()
