"""The docs site: ``make docs``'s strict build passes, a broken link or a page out of the nav
fails it, and the reference holds every setting, step option, CLI command and argument and
plugin API route the code declares, without anyone writing them down."""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bluelabel.cli import build_parser
from bluelabel.config_keys import SETTINGS
from bluelabel.ui_paths import PREFIX
from bluelabel.workflow import workflow_schema
from devtools.docs_reference import agent_options, plugin_openapi
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config),
         "--site-dir", str(site)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = build(REPO / "mkdocs.yml", out)
    assert done.returncode == 0, done.stderr[-5000:]
    return out


def text_of(site: Path, page: str) -> str:
    """The page's text as a reader sees it (tags dropped, entities decoded)."""
    raw = (site / page / "index.html").read_text(encoding="utf-8")
    main = raw.split('<article class="md-content__inner', 1)[1].split("</article>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", "", main))


def test_every_setting_is_in_the_reference(site: Path) -> None:
    text = text_of(site, "reference/settings")
    for spec in SETTINGS:
        assert spec.key in text and f"AIRFLOW__BLUELABEL__{spec.key.upper()}" in text, spec.key
        assert " ".join(spec.description.split()) in " ".join(text.split()), spec.key


def test_every_step_option_of_every_agent_is_in_the_reference(site: Path) -> None:
    text = text_of(site, "reference/step-options")
    sections = re.split(r"\n(?=\w+_agent¶?\n)", text)
    count = 0
    for names, options in agent_options(workflow_schema()):
        (section,) = [s for s in sections if s.startswith(names[0])]
        for option in options:
            assert re.search(rf"^{re.escape(option)}\b", section, re.M), (names[0], option)
            count += 1
    assert count > 40


def test_the_workflow_schema_is_published_as_the_code_declares_it(site: Path) -> None:
    published = json.loads((site / "reference" / "workflow.schema.json").read_text())
    assert published == workflow_schema()
    text = text_of(site, "reference/workflow-schema")
    for key in [*published["properties"]["workflow"]["properties"],
                *published["$defs"]["step"]["properties"]]:  # fmt: skip
        assert key in text, key


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...]):  # type: ignore[no-untyped-def]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from commands(sub, (*path, name))


def test_every_cli_command_and_argument_is_in_the_reference(site: Path) -> None:
    text = text_of(site, "reference/cli")
    found = list(commands(build_parser(), ("bluelabel",)))
    assert len(found) >= 9
    for path, parser in found:
        assert " ".join(path) in text, path
        for action in parser._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in text, (path, option)


def test_every_plugin_api_route_is_in_the_reference(site: Path) -> None:
    text = text_of(site, "reference/plugin-api")
    openapi = plugin_openapi()
    assert len(openapi["paths"]) >= 10
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            assert f"{method.upper()} {PREFIX}{path}" in text, path
            for parameter in operation.get("parameters", []):
                assert parameter["name"] in text, (path, parameter["name"])
    assert json.loads((site / "reference" / "openapi.json").read_text()) == openapi


def test_a_broken_link_or_anchor_or_a_page_out_of_the_nav_fails_the_strict_build(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(REPO / "docs", docs)
    with (docs / "how-to" / "ocr.md").open("a") as page:
        page.write("\nSee [the missing page](../nowhere.md) and [this](../index.md#no-anchor).\n")
    (docs / "orphan-page.md").write_text("# A page no one can reach\n")
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text())
    config.update(docs_dir=str(docs), hooks=[str(REPO / h) for h in config["hooks"]])
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config))
    done = build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert done.returncode != 0
    assert "nowhere.md" in done.stderr and "no-anchor" in done.stderr
    assert "orphan-page.md" in done.stderr
