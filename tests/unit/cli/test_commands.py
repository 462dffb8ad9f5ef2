"""The ``bluelabel`` console script, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.samples import build_pdf, sample_pages

BLUELABEL = str(Path(sys.executable).parent / "bluelabel")


def run(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BLUELABEL, *args], capture_output=True, text=True, input=stdin, cwd=cwd, timeout=120
    )


VALID = """\
workflow:
  name: Valid
  version: "1"
steps:
  - id: ingest
    agent: ingestion_agent
"""


def test_validate_ok_and_problems(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(VALID)
    (tmp_path / "bad.yml").write_text(VALID.replace("agent: ingestion_agent", "agnet: x"))
    ok = run("validate", str(tmp_path / "good.yaml"))
    assert ok.returncode == 0 and ok.stdout == ""
    assert ok.stderr.strip() == f"ok: {tmp_path / 'good.yaml'} (valid, 1 step)"  # not "1 steps"
    both = run("validate", "--quiet", str(tmp_path))  # a folder: every *.yaml / *.yml
    assert both.returncode == 1
    lines = both.stdout.splitlines()
    assert lines == [
        f"{tmp_path / 'bad.yml'}:5: step 'ingest': missing required key 'agent'; set it to one of: "
        "digest, digest_agent, email, email_agent, inbox, inbox_agent, ingestion, "
        "ingestion_agent, periodic_digest, periodic_digest_agent",
        f"{tmp_path / 'bad.yml'}:6: step 'ingest': unknown key 'agnet'; did you mean 'agent'?",
    ]


def test_validate_reports_dag_ids_used_twice(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "b.yaml").write_text(VALID)
    result = run("validate", "-q", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'b.yaml'}:2: dag_id 'valid' is also used by {tmp_path / 'a.yaml'}; Airflow "
        "keeps only one of them: give this workflow its own 'dag_id' (or name)"
    ]


def test_validate_root_option(tmp_path: Path) -> None:
    (tmp_path / "workflows").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "in.json").write_text(
        json.dumps({"task_type": "text", "content": {"text": "x"}})
    )
    (tmp_path / "workflows" / "wf.yaml").write_text(VALID + "    input_file: tests/in.json\n")
    assert run("validate", str(tmp_path / "workflows" / "wf.yaml")).returncode == 1
    assert run("validate", "--root", str(tmp_path), str(tmp_path / "workflows")).returncode == 0


def test_ingest_pdf_prints_json_and_digest_prints_it(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(build_pdf(sample_pages(3), metadata={"Title": "Quarterly report"}))
    store = str(tmp_path / "store")
    result = run("ingest", str(pdf), "--store", store)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"content_id", "content_type", "metadata", "content_length", "text_layer"} <= set(data)
    assert data["metadata"]["title"] == "Quarterly report" and data["page_count"] == 3
    for fmt, marker in (
        ("markdown", "## 1. Quarterly report"),
        ("html", "Quarterly report</h2>"),
    ):
        digest = run("digest", "--store", store, "--format", fmt, "--limit", "5")
        assert digest.returncode == 0 and marker in digest.stdout
    as_json = json.loads(
        run(
            "digest", "--store", store, "--format", "json", "--content-id", data["content_id"]
        ).stdout
    )
    assert as_json["items"][0]["content_id"] == data["content_id"]


def test_ingest_text_inline_and_stdin(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    inline = json.loads(
        run("ingest", "Airflow runs tasks.", "--type", "text", "--store", store).stdout
    )
    piped = json.loads(run("ingest", "-", "--store", store, stdin="Piped text about DAGs.").stdout)
    assert inline["content_type"] == piped["content_type"] == "text"
    assert inline["content_id"] != piped["content_id"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # --type text was given: saying "use --type text" would send the user in a circle
        (
            ["notes.txt", "--type", "text"],
            "notes.txt: file not found (it names a file, so it is not taken for the text "
            "itself; to ingest such text, pipe it in: ... | bluelabel ingest - --type text)",
        ),
        (["notes.txt"], "notes.txt: file not found"),  # --type text would not help either
        (["report.pdf", "--type", "pdf"], "report.pdf: file not found"),
        (["stray-words"], "stray-words: file not found (to ingest text itself use --type text)"),
    ],
)
def test_a_missing_file_says_it_is_missing(tmp_path: Path, args: list[str], message: str) -> None:
    result = run("ingest", *args, "--store", str(tmp_path / "store"), cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"bluelabel: ingest failed: {message}\n"


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "file is empty"),
        (b"hello", "not a PDF"),
        (build_pdf(["locked"], user_password="pw"), "a password is needed"),
        (build_pdf(sample_pages(2))[:300], "corrupt or truncated"),
    ],
    ids=["empty", "text", "encrypted", "truncated"],  # the same in every xdist worker
)
def test_ingest_failure_is_one_line_and_writes_nothing(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    pdf = tmp_path / "input.pdf"
    pdf.write_bytes(content)
    store = tmp_path / "store"
    result = run("ingest", str(pdf), "--store", str(store))
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(pdf) in lines[0] and reason in lines[0]
    assert "Traceback" not in result.stderr
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "x.pdf").write_bytes(b"nope")
    result = run("--debug", "ingest", str(tmp_path / "x.pdf"), "--store", str(tmp_path / "s"))
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_encrypted_pdf_with_password(tmp_path: Path) -> None:
    pdf = tmp_path / "locked.pdf"
    pdf.write_bytes(build_pdf(["Secret plans for the scheduler."], user_password="pw"))
    result = run("ingest", str(pdf), "--password", "pw", "--store", str(tmp_path / "s"))
    assert result.returncode == 0 and json.loads(result.stdout)["metadata"]["encrypted"] is True


def test_schema_command() -> None:
    result = run("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"] == "Bluelabel workflow"


def test_usage_error_exit_code() -> None:
    assert run("frobnicate").returncode == 2
