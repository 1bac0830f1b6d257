"""Uploaded import files whose preview was never confirmed are deleted after MULU_UPLOAD_TTL_HOURS."""

from __future__ import annotations

import io
import os
import time

from click.testing import CliRunner

from catalog.template_workbook import write_workbook
from cli import main
from tests.web.conftest import csrf_token
from web.editing import sweep_uploads, upload_dir

HOUR = 3600


def _file(directory, name: str, age_hours: float):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(b"PK")
    moment = time.time() - age_hours * HOUR
    os.utime(path, (moment, moment))
    return path


def test_sweep_deletes_only_uploads_older_than_the_limit(tmp_path):
    old = _file(tmp_path, "1_old.xlsx", 25)
    fresh = _file(tmp_path, "1_fresh.xlsx", 23)
    other = _file(tmp_path, "notes.txt", 100)
    assert sweep_uploads(tmp_path, 24) == [old]
    assert not old.exists() and fresh.exists() and other.exists()
    assert sweep_uploads(tmp_path, 24, now=time.time() + 2 * HOUR) == [fresh]
    assert sweep_uploads(tmp_path / "missing", 24) == []


def test_an_upload_sweeps_the_stale_previews_and_keeps_the_fresh_ones(signed_in, container):
    directory = upload_dir(container.settings.instance_path)
    stale = _file(directory, "999_stale.xlsx", container.settings.upload_ttl_hours + 1)
    fresh = _file(directory, "999_fresh.xlsx", 1)
    client = signed_in("officer")
    buffer = io.BytesIO()
    write_workbook(buffer, container.profile, container.vocab, [])
    response = client.post("/workspace/import", content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(client, "/workspace/import"),
                                 "file": (io.BytesIO(buffer.getvalue()), "fill.xlsx")})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert not stale.exists() and fresh.exists()
    assert len(list(directory.glob("*.xlsx"))) == 2  # the fresh one and the upload just previewed


def test_the_command_line_sweeps_with_the_setting_or_an_explicit_age(tmp_path):
    directory = upload_dir(tmp_path)
    old = _file(directory, "1_a.xlsx", 30)
    middle = _file(directory, "1_b.xlsx", 5)
    young = _file(directory, "1_c.xlsx", 0.5)
    env = {"MULU_INSTANCE_PATH": str(tmp_path), "MULU_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}"}
    result = CliRunner().invoke(main, ["uploads", "sweep"], env=env)
    assert result.exit_code == 0, result.output
    assert "1_a.xlsx" in result.output and not old.exists() and middle.exists()
    result = CliRunner().invoke(main, ["uploads", "sweep"], env={**env, "MULU_UPLOAD_TTL_HOURS": "4"})
    assert result.exit_code == 0 and not middle.exists() and young.exists()
    result = CliRunner().invoke(main, ["uploads", "sweep", "--older-than", "0"], env=env)
    assert result.exit_code == 0 and not young.exists() and "1 " in result.output
