"""A Celery worker killed (SIGKILL) in the middle of processing: the task is not
lost (``acks_late``; ``reject_on_worker_lost`` for a pool process), runs again,
and the item ends ``done`` with every derived row exactly once.

The kill lands inside the task's database transaction, after its derived rows
were written and before commit (a checkpoint of the test worker's app, see
``tests/faults/celery_app.py``), so the test also shows that the dead run's
writes vanish with it.
"""

from __future__ import annotations

import os
import re
import signal
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from evidence.ais.analyse import AnalysisParams, analyse
from evidence.ais.demo import DUNAI, RAJIN
from evidence.ais.synthetic import SyntheticVessel, synthetic_track
from evidence.ais.synthetic import to_marinecadastre_csv as to_csv
from evidence.ais.validate import parse_and_validate
from tests.faults.conftest import wait_until

pytestmark = pytest.mark.faults

IMAGE_STEPS = {
    "content_credentials": 1,
    "derivatives": 1,
    "georeference": 1,
    "hash": 1,
    "metadata": 1,
    "near_duplicates": 1,
    "phash": 1,
    "verify": 1,
}
AIS_STEPS = {"analyse": 1, "parse": 1, "store": 1, "validate": 1, "vessels": 1}
# The extract's design: three ships, each with 8 passages between two ports (so
# 9 port calls) and one dark period at sea.
AIS_SHIPS = 3
AIS_PORT_CALLS = AIS_SHIPS * (8 + 1)
AIS_GAPS = AIS_SHIPS * 1
# Two visibility timeouts' worth: a restarted worker redelivers an unacked message
# once it is older than this (see tests/faults/celery_app.py).
VISIBILITY_SECONDS = "2"
IMAGES = Path(__file__).resolve().parents[1] / "data" / "images"


@pytest.fixture(scope="session")
def images(tmp_path_factory) -> dict[str, Path]:
    """A test photo and a 24-megapixel enlargement of it (a near-duplicate)."""
    small = IMAGES / "plain.jpg"
    big = tmp_path_factory.mktemp("fault-images") / "plain-enlarged.jpg"
    with Image.open(small) as picture:
        picture.convert("RGB").resize((6000, 4000), Image.Resampling.BICUBIC).save(
            big, quality=90
        )
    return {"big": big, "small": small}


@pytest.fixture(scope="session")
def ais_extract(tmp_path_factory) -> dict:
    """About 400,000 positions of three ships with dark periods at sea, and what
    the pure parser and analysis make of them (the expected counts)."""
    start = datetime(2023, 8, 1, tzinfo=UTC)
    leg = timedelta(hours=16, minutes=30)
    tracks = []
    for n in range(3):
        first = start + timedelta(hours=7 * n)
        # Dark for 13 h in the middle of passage 1 (after a 3-day dwell).
        dark_from = first + timedelta(days=3) + leg + timedelta(days=3, hours=2)
        tracks.append(
            synthetic_track(
                # MID 400: allocated to no country, still a ship's MMSI format.
                vessel=SyntheticVessel(mmsi=400_000_101 + n, name=f"FAULT {n}"),
                origin=RAJIN,
                destination=DUNAI,
                start=first,
                runs=8,
                interval=timedelta(seconds=20),
                speed_knots=6.0,
                dwell=timedelta(days=3),
                dark=[(dark_from, dark_from + timedelta(hours=13))],
                seed=n,
            )
        )
    content = to_csv(tracks)
    path = tmp_path_factory.mktemp("fault-ais") / "fault-ais-extract.csv"
    path.write_bytes(content)
    result = parse_and_validate(content)
    analysis = analyse(result.positions, ports=[RAJIN, DUNAI], params=AnalysisParams())
    return {
        "path": path,
        "rows": result.rows_read,
        "kept": result.rows_kept,
        "gaps": len(analysis.gaps),
        "port_calls": len(analysis.port_calls),
    }


def _task_ids(log: str, task: str) -> list[str]:
    return re.findall(rf"Task {re.escape(task)}\[([0-9a-f-]+)\] received", log)


def _open_transactions(stack) -> int:
    """Sessions holding a transaction open while their client does other work."""
    return stack.query(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = 'provenance' AND state = 'idle in transaction'"
    )[0][0]


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def _checkpoint_pid(folder: Path, name: str, worker, timeout: float = 60) -> int:
    reached = folder / f"{name}.reached"
    wait_until(
        reached.exists,
        timeout=timeout,
        what=f"the {name} task to reach its checkpoint",
        context=lambda: worker.log()[-4000:],
    )
    return int(wait_until(lambda: reached.read_text().strip(), timeout=5, what="pid"))


@pytest.mark.parametrize("victim", ["worker", "pool-process"])
def test_image_task_killed_mid_transaction_runs_again_and_finishes_once(
    stack, tmp_path, images, victim
):
    people = stack.remote("make_team", slug=f"kill-image-{victim}")
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    task = "evidence.tasks.process_image"
    env = {"FAULTS_CHECKPOINT_DIR": str(checkpoints)}
    if victim == "worker":
        env["FAULTS_VISIBILITY_TIMEOUT"] = VISIBILITY_SECONDS
    with ExitStack() as workers:
        first = workers.enter_context(
            stack.worker(
                pool="solo" if victim == "worker" else "prefork", extra_env=env
            )
        )
        small = stack.remote(
            "add_image",
            team=people["team"],
            actor=people["editor"],
            path=str(images["small"]),
        )
        wait_until(
            lambda: stack.item_state(small) == "done",
            timeout=60,
            what="the small image to be processed",
            context=lambda: first.log()[-4000:],
        )
        (checkpoints / "image.armed").touch()
        big = stack.remote(
            "add_image",
            team=people["team"],
            actor=people["editor"],
            path=str(images["big"]),
        )
        pid = _checkpoint_pid(checkpoints, "image", first)
        # Mid-task: the derived rows are written but not committed.
        assert stack.item_state(big) == "running"
        if victim == "worker":
            assert pid == first.process.pid
        else:
            assert pid != first.process.pid  # a prefork pool process
        killed_task = _task_ids(first.log(), task)[-1]
        _kill(pid)
        if victim == "worker":
            first.process.wait(timeout=10)
            assert stack.item_state(big) == "running"
            # Nothing is acked or failed: the restarted worker gets the message.
            again = workers.enter_context(stack.worker(pool="solo", extra_env=env))
        else:
            again = first  # the pool replaces its process; the master requeues
        wait_until(
            lambda: stack.item_state(big) in ("done", "failed"),
            timeout=60,
            what="the image task to run again",
            context=lambda: again.log()[-4000:],
        )
        # The very task that was killed ran again, to success.
        if victim == "worker":
            assert _task_ids(again.log(), task) == [killed_task]
        else:
            assert _task_ids(first.log(), task).count(killed_task) == 2
            assert "WorkerLostError" in first.log()
        assert f"{task}[{killed_task}] succeeded" in again.log()

    facts = stack.remote("image_facts", item=big)
    assert facts == {
        "state": "done",
        "error": "",
        "details": 1,
        "size": [[6000, 4000]],
        "near": [[big, small], [small, big]],
        "custody_steps": IMAGE_STEPS,
        "audit": {"evidence.add": 1, "evidence.processed": 1},
        "chain_problems": [],
    }


def test_ais_task_killed_mid_copy_transaction_runs_again_and_finishes_once(
    stack, tmp_path, ais_extract
):
    people = stack.remote("make_team", slug="kill-ais")
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    (checkpoints / "ais.armed").touch()
    task = "evidence.tasks.process_ais"
    env = {
        "FAULTS_CHECKPOINT_DIR": str(checkpoints),
        "FAULTS_VISIBILITY_TIMEOUT": VISIBILITY_SECONDS,
    }
    with ExitStack() as workers:
        first = workers.enter_context(stack.worker(extra_env=env))
        item = stack.remote(
            "add_ais",
            team=people["team"],
            actor=people["editor"],
            path=str(ais_extract["path"]),
        )
        pid = _checkpoint_pid(checkpoints, "ais", first, timeout=90)
        assert pid == first.process.pid
        # All positions went through COPY in the open transaction; progress (its
        # own connection) says so, yet none is visible to anyone else.
        during = stack.remote("item_state", item=item)
        assert during == {
            "state": "running",
            "error": "",
            "progress": [ais_extract["rows"], ais_extract["rows"]],
            "positions": 0,
        }
        assert _open_transactions(stack) == 1  # the worker's, and no other
        killed_task = _task_ids(first.log(), task)[-1]
        _kill(pid)
        first.process.wait(timeout=10)
        # PostgreSQL rolls the dead worker's transaction back.
        wait_until(
            lambda: _open_transactions(stack) == 0,
            timeout=10,
            what="the killed worker's transaction to end",
        )
        assert stack.remote("item_state", item=item)["positions"] == 0

        again = workers.enter_context(stack.worker(extra_env=env))
        wait_until(
            lambda: stack.item_state(item) in ("done", "failed"),
            timeout=90,
            what="the AIS task to run again",
            context=lambda: again.log()[-4000:],
        )
        assert _task_ids(again.log(), task) == [killed_task]
        assert f"{task}[{killed_task}] succeeded" in again.log()

    # The pure parser and analysis see what the extract was built to hold.
    assert ais_extract["kept"] == ais_extract["rows"]  # nothing in it is invalid
    assert (ais_extract["gaps"], ais_extract["port_calls"]) == (
        AIS_GAPS,
        AIS_PORT_CALLS,
    )
    facts = stack.remote("ais_facts", item=item)
    assert facts == {
        "state": "done",
        "error": "",
        "rows_read": ais_extract["rows"],
        "rows_kept": ais_extract["kept"],
        "positions": ais_extract["kept"],
        "repeated_positions": 0,
        "gaps": AIS_GAPS,
        "repeated_gaps": 0,
        "port_calls": AIS_PORT_CALLS,
        "repeated_port_calls": 0,
        "vessels": AIS_SHIPS,
        "custody_steps": AIS_STEPS,
        # One add and one processed, whatever the killed run had written.
        "audit": {"evidence.add": 1, "evidence.processed": 1},
        "chain_problems": [],
    }
