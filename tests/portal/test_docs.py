"""The documentation stays true of the code: settings, make targets, links and dependencies.

Cheap checks over the files themselves; a failure names what to document or fix.
"""

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
CONFIGURATION = ROOT / "docs" / "configuration.md"

ENV_READERS = {"env_str", "env_bool", "env_int", "env_list"}
PREFIXED = re.compile(r"(?:PORTAL|DJANGO)_[A-Z0-9_]+")


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def settings_environment_variables() -> set[str]:
    """Every environment variable the modules of portal/settings/ read: the first argument of
    their env_* helpers and of os.environ.get, names tested with `in os.environ`, and any
    PORTAL_* or DJANGO_* name they spell."""
    trees = [ast.parse(path.read_text()) for path in (ROOT / "portal" / "settings").glob("*.py")]
    names = set()
    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.Call) and node.args:
            first, func = node.args[0], node.func
            reads = (isinstance(func, ast.Name) and func.id in ENV_READERS) or (
                isinstance(func, ast.Attribute)
                and func.attr == "get"
                and _is_os_environ(func.value)
            )
            if reads and isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant):
            if any(_is_os_environ(c) for c in node.comparators):
                names.add(node.left.value)
        elif isinstance(node, ast.Constant) and PREFIXED.fullmatch(str(node.value)):
            names.add(node.value)
    return names


def code_in(text: str) -> list[str]:
    """The fenced blocks and inline code spans of a Markdown text."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.M | re.S)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.M | re.S)
    return fenced + re.findall(r"`([^`\n]+)`", prose)


def makefile_targets() -> set[str]:
    targets = set()
    for line in (ROOT / "Makefile").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*:(?!=)", line)
        if match:
            targets.update(match.group(1).split())
    return targets


def github_anchor(heading: str) -> str:
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.M | re.S)
    return {github_anchor(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.M)}


def dependency_names(requirements: list[str]) -> set[str]:
    return {canonical(re.split(r"[\[<>=!~; ]", req, maxsplit=1)[0]) for req in requirements}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip().strip("`").lower())


def test_every_environment_variable_of_the_settings_is_documented():
    names = settings_environment_variables()
    # The parse must find what it is meant to find, or the test would pass on nothing.
    assert {"DJANGO_SECRET_KEY", "PORTAL_BASE_URL", "DATABASE_URL", "PORTAL_VAR_DIR"} <= names
    documented = README.read_text() + CONFIGURATION.read_text()
    missing = sorted(n for n in names if not re.search(rf"\b{re.escape(n)}\b", documented))
    assert missing == [], f"document these in README.md or docs/configuration.md: {missing}"


def test_every_make_target_named_in_the_docs_exists():
    targets = makefile_targets()
    assert {"run", "test"} <= targets
    named = set()
    for path in [README, *DOCS]:
        for code in code_in(path.read_text()):
            named.update(
                (path.name, target)
                for target in re.findall(
                    r"(?:^|[\s;&|(])make\s+(?:[A-Z_]+=\S+\s+)*([a-z][\w.-]*)", code
                )
            )
    assert ("README.md", "run") in named and ("README.md", "test") in named
    unknown = sorted((name, target) for name, target in named if target not in targets)
    assert unknown == [], f"make targets named in the docs but not in the Makefile: {unknown}"


def test_every_relative_link_of_the_docs_resolves():
    broken = []
    for path in [README, *DOCS]:
        text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.M | re.S)
        for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # http:, https:, mailto: are not files of the repository
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            if not linked.exists() or (
                linked.suffix == ".md" and anchor and anchor not in anchors_of(linked)
            ):
                broken.append((path.name, target))
    assert broken == [], f"links to no file or heading: {broken}"


def test_the_readme_lists_every_dependency_with_why():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = dependency_names(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        required |= dependency_names(extra)
    section = README.read_text().split("## Dependencies and why", 1)[1]
    listed = set()
    for row in re.findall(r"^\|([^|\n]+)\|([^|\n]+)\|", section, flags=re.M):
        first, why = row[0].strip(), row[1].strip()
        if first in ("package", "---") or not why or set(why) <= {"-"}:
            continue
        listed |= dependency_names([p.strip() for p in first.split(",") if p.strip()])
    assert required - listed == set(), "give these a line in README's Dependencies and why"
    assert listed - required == set(), "README lists packages pyproject.toml does not have"


def test_the_beat_table_lists_every_scheduled_job():
    from django.conf import settings

    tasks = {entry["task"].rsplit(".", 1)[1] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"link_expire_sweep_task", "link_expiry_remind_sweep_task"} <= tasks
    operations = (ROOT / "docs" / "operations.md").read_text()
    table = operations.split("**The beat schedule**", 1)[1].split("\n\n", 2)[1]
    listed = set(re.findall(r"^\|[^|\n]*\(`(\w+)`\)", table, flags=re.M))
    assert tasks - listed == set(), "give these jobs a line in the beat table of operations.md"
    assert listed - tasks == set(), "the beat table lists jobs the schedule does not have"


def test_the_readme_says_delivery_is_at_least_once():
    text = " ".join(README.read_text().split())
    assert "delivered **at least once**" in text
    assert "PORTAL_OUTBOX_CLAIM_SECONDS" in text
