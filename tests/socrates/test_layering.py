"""Layers point one way: the core (socrates/) imports no app, and an app's
rules (everything outside its api/ package) never import that package. Every
import statement of the source counts, a function's own included."""

import ast
from importlib.util import resolve_name
from pathlib import Path

from django.apps import apps
from django.conf import settings

CORE = "socrates"


def project_apps() -> list[str]:
    """The installed apps whose package is in this repository, but the core."""
    return [
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).parent == settings.BASE_DIR and config.name != CORE
    ]


def imports(package: str):
    """(file:line, importing module, imported module) for every import in the
    package's source files; ``from a import b`` imports a.b (which is within a)."""
    paths = sorted((settings.BASE_DIR / package).rglob("*.py"))
    assert paths, f"no source files under {package}/"
    for path in paths:
        parts = path.relative_to(settings.BASE_DIR).with_suffix("").parts
        module = ".".join(parts[:-1] if path.name == "__init__.py" else parts)
        here = module if path.name == "__init__.py" else module.rpartition(".")[0]
        where = str(path.relative_to(settings.BASE_DIR))
        for node in ast.walk(ast.parse(path.read_text(), filename=where)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield f"{where}:{node.lineno}", module, alias.name
            elif isinstance(node, ast.ImportFrom):
                base = resolve_name("." * node.level + (node.module or ""), here)
                for alias in node.names:
                    yield f"{where}:{node.lineno}", module, f"{base}.{alias.name}"


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def test_the_core_imports_no_app():
    project = project_apps()

    found = {
        f"{where} imports {imported}"
        for where, _, imported in imports(CORE)
        if any(within(imported, app) for app in project)
    }

    assert "accounts" in project
    assert not found, "\n".join(sorted(found))


def test_an_apps_rules_never_import_its_own_api_package():
    found = {
        f"{where} imports {imported}"
        for app in project_apps()
        for where, importer, imported in imports(app)
        if within(imported, f"{app}.api") and not within(importer, f"{app}.api")
    }

    assert not found, "\n".join(sorted(found))
