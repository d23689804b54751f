"""Code that says one thing and does another: middleware that only passes the request on,
settings read with a second default or straight from the environment, form checks whose answer
is thrown away."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("accounts", "linking", "portal")
# Settings are read from the environment here and nowhere else.
# The settings, and the test settings, which read the id pytest-xdist gives each test process.
SETTINGS = ROOT / "portal" / "settings"
ENVIRONMENT_READERS = {
    *(f"portal/settings/{path.name}" for path in SETTINGS.glob("*.py")),
    "portal/env.py",
    "portal/settings_test.py",
}
# The benchmark tooling starts servers and workers of its own and hands them an environment; the
# sandbox cloud is a project of its own, with its own settings read from its environment.
BENCH = ("portal/bench/", "linking/management/commands/bench_", "linking/cloud/sandbox/")


def product_modules() -> dict[str, ast.Module]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in name:
                modules[name] = ast.parse(path.read_text(), filename=name)
    return modules


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def environment_reads(tree: ast.Module) -> list[int]:
    """Lines reading a variable: os.environ.get / [...] / `in os.environ`, os.getenv."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            environ_get = node.func.attr == "get" and _is_os_environ(node.func.value)
            getenv = node.func.attr == "getenv" and getattr(node.func.value, "id", "") == "os"
            if environ_get or getenv:
                lines.append(node.lineno)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            if _is_os_environ(node.value):
                lines.append(node.lineno)
        elif isinstance(node, ast.Compare) and any(_is_os_environ(c) for c in node.comparators):
            lines.append(node.lineno)
    return lines


def test_middleware_in_the_settings_each_do_something():
    passing_on = []
    for dotted in settings.MIDDLEWARE:
        module_name, class_name = dotted.rsplit(".", 1)
        if module_name.split(".")[0] not in PACKAGES:
            continue
        cls = getattr(importlib.import_module(module_name), class_name)
        hooks = [name for name in vars(cls) if name.startswith("process_")]
        call = ast.parse(inspect.getsource(cls.__call__).strip()).body[0]
        only_passes_on = ast.unparse(call.body[-1]) == "return self.get_response(request)" and (
            len(call.body) == 1
            or (
                len(call.body) == 2
                and isinstance(call.body[0], ast.Expr)
                and isinstance(call.body[0].value, ast.Constant)
            )
        )
        if only_passes_on and not hooks:
            passing_on.append(dotted)
    assert not passing_on


def test_settings_are_read_from_the_environment_by_the_settings_only():
    reads = {
        name: lines
        for name, tree in product_modules().items()
        if name not in ENVIRONMENT_READERS
        and not name.startswith(BENCH)
        and (lines := environment_reads(tree))
    }
    assert not reads


def test_each_environment_variable_is_read_once():
    trees = {path.name: ast.parse(path.read_text()) for path in sorted(SETTINGS.glob("*.py"))}
    seen: dict[str, list[str]] = {}
    for module, tree in trees.items():
        assert environment_reads(tree) == [], module
    for module, node in ((m, n) for m, tree in trees.items() for n in ast.walk(tree)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id.startswith("env_")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            seen.setdefault(node.args[0].value, []).append(f"{module}:{node.lineno}")
    assert {name: lines for name, lines in seen.items() if len(lines) > 1} == {}


def test_settings_are_read_without_a_default_of_their_own():
    """A `getattr(settings, NAME, default)` hides the one default in portal/settings/."""
    fallbacks = {
        name: [node.lineno for node in ast.walk(tree) if _is_settings_getattr(node)]
        for name, tree in product_modules().items()
    }
    assert {name: lines for name, lines in fallbacks.items() if lines} == {}


def _is_settings_getattr(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("getattr", "hasattr")
        and bool(node.args)
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == "settings"
    )


def test_no_form_is_validated_for_nothing():
    """`form.is_valid()` as a statement: its answer is lost and cleaned_data may be partial."""
    ignored = {
        name: lines
        for name, tree in product_modules().items()
        if (
            lines := [
                node.lineno
                for node in ast.walk(tree)
                if isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "is_valid"
            ]
        )
    }
    assert not ignored


MESSAGE_FUNCTIONS = {"success", "error", "info", "warning"}
# What a form shows beside its fields, on pages in the reader's language.
FORM_WORDS = {"label", "help_text", "empty_label"}
# The sandbox cloud is a project of its own, with its own console in English.
SANDBOX = "linking/cloud/sandbox/"


def _untranslated_words(call: ast.Call, *, in_forms: bool) -> list[ast.expr]:
    """The words a person reads that a call gets as a literal or an f-string, not translated:
    `doing=` of the step-up, the message of `messages.success(request, ...)` and its kin, and a
    form field's label and help text."""
    func = call.func
    names = {"doing"} | (FORM_WORDS if in_forms else set())
    words = [kw.value for kw in call.keywords if kw.arg in names]
    if (
        isinstance(func, ast.Attribute)
        and func.attr in MESSAGE_FUNCTIONS
        and isinstance(func.value, ast.Name)
        and func.value.id == "messages"
        and len(call.args) >= 2
    ):
        words.append(call.args[1])
    return [w for w in words if _has_words(w)]


def _has_words(node: ast.expr) -> bool:
    # An f-string that only puts translated parts together ("{message} {hint} ({code})") is fine.
    parts = node.values if isinstance(node, ast.JoinedStr) else [node]
    return any(
        isinstance(part, ast.Constant) and any(c.isalpha() for c in str(part.value))
        for part in parts
    )


def test_step_up_actions_flash_messages_and_form_labels_are_translated():
    found = {
        name: [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and _untranslated_words(node, in_forms=name.endswith("forms.py"))
        ]
        for name, tree in product_modules().items()
        if not name.startswith(SANDBOX)
    }
    assert {name: lines for name, lines in found.items() if lines} == {}
