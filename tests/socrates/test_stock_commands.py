"""Django's stock commands without --database: the right database, both, or one line."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from socrates.databases import APP_DATABASES
from specs.models import Project
from tests.accounts.factories import UserFactory
from tests.postgres import run_manage
from tests.specs.factories import ProjectFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

SAY_WHICH = "say which database: --database auth or --database specs"


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def sections(output: str) -> dict[str, list[str]]:
    """The app labels listed under each "Database '...':" heading."""
    found, current = {}, None
    for line in output.splitlines():
        if line.startswith("Database '"):
            current = found.setdefault(line.split("'")[1], [])
        elif line and not line.startswith(" "):
            current.append(line)
    return found


# showmigrations ------------------------------------------------------------


def test_showmigrations_lists_each_database_with_only_its_own_apps():
    output = run("showmigrations")
    assert sections(output) == {alias: sorted(apps) for alias, apps in APP_DATABASES.items()}
    assert "[ ]" not in output


def test_showmigrations_with_labels_shows_only_their_databases():
    assert sections(run("showmigrations", "billing", "specs")) == {"specs": ["billing", "specs"]}


def test_showmigrations_plan_keeps_each_databases_migrations_apart():
    output = run("showmigrations", "--plan")
    auth, specs = output.split("Database 'specs':")
    assert "[X]  accounts.0001_initial" in auth
    assert "specs.0001_initial" not in auth
    assert "[X]  specs.0001_initial" in specs
    assert "accounts." not in specs


def test_showmigrations_with_database_is_stock():
    output = run("showmigrations", "--database", "specs")
    assert "Database '" not in output
    # Stock: every app, those of auth too (recorded there, none of their tables).
    assert "accounts\n [X] 0001_initial" in output


def test_showmigrations_names_a_database_it_cannot_use_in_one_line():
    url = "postgresql://postgres@127.0.0.1:5432/stock_no_such_database"
    result = run_manage("showmigrations", env={"DATABASE_URL_AUTH": url})
    assert result.exit_code == 1
    assert result.stderr.startswith(f"CommandError: database 'auth' ({url}): ")
    assert result.stderr.count("\n") == 1


def test_showmigrations_refuses_an_app_in_no_database():
    with pytest.raises(CommandError, match=r"^App 'staticfiles' is in no database"):
        run("showmigrations", "staticfiles")


# sqlmigrate ----------------------------------------------------------------


@pytest.mark.parametrize(("app_label", "alias"), [("specs", "specs"), ("accounts", "auth")])
def test_sqlmigrate_uses_the_apps_database(app_label, alias):
    output = run("sqlmigrate", app_label, "0001")
    assert output.startswith("BEGIN;")
    assert "CREATE TABLE" in output
    assert output == run("sqlmigrate", app_label, "0001", database=alias)


def test_sqlmigrate_names_an_unknown_app():
    with pytest.raises(CommandError, match=r"^No installed app with label 'nope'\.$"):
        run("sqlmigrate", "nope", "0001")


# dumpdata and loaddata -----------------------------------------------------


def test_dumpdata_without_labels_asks_for_the_database():
    with pytest.raises(CommandError, match=f"^{SAY_WHICH}$"):
        run("dumpdata")


def test_dumpdata_refuses_labels_on_both_databases():
    with pytest.raises(CommandError) as caught:
        run("dumpdata", "accounts.User", "specs")
    assert str(caught.value) == (
        "labels on both databases (auth: accounts.User; specs: specs); "
        "dump each with --database auth or --database specs"
    )


def test_dumpdata_with_database_and_no_labels_dumps_only_that_database():
    project = ProjectFactory()
    rows = json.loads(run("dumpdata", database="specs"))
    assert {"model": "specs.project", "pk": str(project.pk)} in [
        {"model": row["model"], "pk": row["pk"]} for row in rows
    ]
    assert not [row for row in rows if row["model"].split(".")[0] in APP_DATABASES["auth"]]


def test_project_round_trip_lands_in_specs(tmp_path):
    project = ProjectFactory(name="Round trip")
    fixture = tmp_path / "project.json"
    run("dumpdata", "specs.Project", pks=str(project.pk), output=str(fixture))
    Project.objects.using("specs").filter(pk=project.pk).delete()

    assert run("loaddata", str(fixture)) == "Installed 1 object(s) from 1 fixture(s)\n"
    assert Project.objects.using("specs").get(pk=project.pk).name == "Round trip"


def test_user_round_trip_lands_in_auth(tmp_path):
    user = UserFactory(username="roundtrip")
    fixture = tmp_path / "user.json"
    run("dumpdata", "accounts.User", pks=str(user.pk), output=str(fixture))
    User.objects.using("auth").filter(pk=user.pk).update(username="changed")

    run("loaddata", str(fixture))
    assert User.objects.using("auth").get(pk=user.pk).username == "roundtrip"


def test_loaddata_refuses_rows_of_both_databases_and_loads_them_one_database_at_a_time(
    tmp_path,
):
    project = ProjectFactory(name="Mixed")
    rows = json.loads(run("dumpdata", "accounts.User", pks=str(project.owner_id)))
    rows += json.loads(run("dumpdata", "specs.Project", pks=str(project.pk)))
    fixture = tmp_path / "mixed.json"
    fixture.write_text(json.dumps(rows))
    Project.objects.using("specs").filter(pk=project.pk).update(name="changed")

    with pytest.raises(CommandError) as caught:
        run("loaddata", str(fixture))
    assert str(caught.value) == (
        "the fixtures hold rows of both databases: "
        "load them with --database auth and again with --database specs"
    )
    assert Project.objects.using("specs").get(pk=project.pk).name == "changed"

    # Excluding one database's apps leaves the other's rows, routed.
    run("loaddata", str(fixture), exclude=["accounts"])
    assert Project.objects.using("specs").get(pk=project.pk).name == "Mixed"

    output = run("loaddata", str(fixture), database="auth")
    assert output == "Installed 1 object(s) (of 2) from 1 fixture(s)\n"


def test_loaddata_from_stdin_asks_for_the_database():
    with pytest.raises(CommandError, match=f"^stdin can't be read twice: {SAY_WHICH}$"):
        run("loaddata", "-", format="json")


# dbshell, flush, inspectdb -------------------------------------------------


@pytest.mark.parametrize("command", ["dbshell", "flush", "inspectdb"])
def test_refuses_without_database(command):
    with pytest.raises(CommandError, match=f"^{SAY_WHICH}$"):
        run(command)


def test_inspectdb_with_database_reads_it():
    assert "class Projects(models.Model):" in run("inspectdb", "projects", database="specs")


def test_manage_py_refuses_in_one_line_with_exit_code_1():
    # No database is touched: the refusal comes before any connection.
    result = run_manage("dbshell", env={})
    assert (result.exit_code, result.stderr) == (1, f"CommandError: {SAY_WHICH}\n")
