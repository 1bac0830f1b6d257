"""信息资源代码: parsing and building, assignment at registration, and uniqueness under concurrency."""

from __future__ import annotations

import os
import re
import threading
import uuid

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog import codes
from catalog.actor import Actor
from catalog.config import Settings
from catalog.container import Container
from catalog.errors import ValidationError, WorkflowError
from catalog.models import CodeSequence, Resource
from catalog.schema_setup import reset_database
from catalog.services.resource import ResourceService
from tests.catalog.factories import advance, make_actor, make_department, make_user, purge, resource_input

CODE_SHAPE = re.compile(r"^\d{6,16}/\d{6}$")


# -- parse / format ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("307015000001", "shape"),
        ("307015/", "shape"),
        ("/000001", "shape"),
        ("307015/0000a1", "shape"),
        ("307015//000001", "shape"),
        ("307015/000001/2", "shape"),
        ("３０７０１５/０００００１", "shape"),
        ("307015/００００01", "shape"),
        ("", "shape"),
        (None, "shape"),
        ("30701/000001", "classification"),
        ("007015/000001", "classification"),
        ("30701500000000001/000001", "classification"),
        ("307015/000000", "sequence"),
        ("307015/0", "sequence"),
    ],
)
def test_parse_errors(value, rule):
    with pytest.raises(codes.CodeError) as err:
        codes.parse(value)
    assert err.value.rule == rule
    # The offending part: the whole code, or just the 分类码 when that is what is wrong.
    assert err.value.value == (value.split("/")[0] if rule == "classification" else value)
    assert isinstance(err.value, ValueError)


def test_parse_width():
    assert codes.parse("307015/31").sequence == 31
    with pytest.raises(codes.CodeError) as err:
        codes.parse("307015/31", width=6)
    assert err.value.rule == "sequence"
    assert codes.parse("307015/00000031", width=8).sequence_text == "00000031"


def test_parse_parts_and_round_trip():
    code = codes.parse(" 30701502/000031 ")
    assert code.classification == codes.Classification("3", "07", "015", "02")
    assert (code.classification.code, code.classification.item_notation) == ("30701502", "307")
    assert (code.sequence, code.sequence_text) == (31, "000031")
    assert str(code) == "30701502/000031"
    longest = "3070150123456789"
    assert codes.parse(f"{longest}/000001").classification.subcategory == "0123456789"


@pytest.mark.parametrize("value", ["30701", "3070150123456789X", "0070150", "307015\n", " 307015", "３０７０１５",
                                   "30701501234567890", "", None])
def test_parse_classification_errors(value):
    with pytest.raises(codes.CodeError) as err:
        codes.parse_classification(value)
    assert err.value.rule == "classification"


def test_format_code():
    assert codes.format_code("307015", 31) == "307015/000031"
    assert codes.format_code("30701502", 1, width=8) == "30701502/00000001"
    assert codes.format_code("307015", 999999) == "307015/999999"
    with pytest.raises(codes.CodeError) as err:
        codes.format_code("3070", 1)
    assert err.value.rule == "classification"
    for sequence in (0, -1, 1_000_000):
        with pytest.raises(codes.CodeError) as err:
            codes.format_code("307015", sequence)
        assert err.value.rule == "sequence"


# -- assignment at registration ---------------------------------------------------------------------------


def test_code_assigned_at_registration(world):
    resource = world.resource("pending_registration")
    assert resource.code is None and resource.sequence is None
    world.service("manager").transition(resource.id, "register")
    assert CODE_SHAPE.match(resource.code)
    parsed = codes.parse(resource.code, width=6)
    assert parsed.classification.code == resource.classification_code == "307" + world.mzj.catalog_segment
    assert parsed.sequence == resource.sequence == 1
    assert resource.registered_at is not None
    # Found by its code, and exported with it.
    assert world.service("manager").get_by_code(resource.code).id == resource.id
    assert world.service("manager").to_json(resource)["code"] == resource.code


def test_sequence_increments_per_classification(world):
    made = [world.resource("registered"), world.resource("registered"),
            world.resource("registered", classification_code="301"),
            world.resource("registered", department="rsj"),
            world.resource("registered", classification_code="30701502"),
            world.resource("registered")]
    assert [r.code for r in made] == ["307015/000001", "307015/000002", "301015/000001", "307016/000001",
                                      "30701502/000001", "307015/000003"]
    assert len({r.code for r in made}) == len(made)
    rows = world.session.execute(select(CodeSequence.classification_code, CodeSequence.last_value))
    counters = {code: last for code, last in rows}
    assert counters == {"307015": 3, "301015": 1, "307016": 1, "30701502": 1}


def test_codes_are_never_reused(world):
    first = world.resource("published")
    assert first.code == "307015/000001"
    world.service("manager").transition(first.id, "withdraw", comment="数据已停止维护")
    assert first.code == "307015/000001"
    second = world.resource("registered")
    assert second.code == "307015/000002"
    # A registration rolled back takes its counter step with it: no stored code ever had that number.
    third = world.resource("pending_registration")
    with world.session.begin_nested() as savepoint:
        world.service("manager").transition(third.id, "register")
        assert third.code == "307015/000003"
        savepoint.rollback()
    world.session.expire_all()
    fourth = world.resource("registered")
    assert fourth.code == "307015/000003"
    stored = world.session.scalars(select(Resource.code).where(Resource.code.is_not(None))).all()
    assert sorted(stored) == ["307015/000001", "307015/000002", "307015/000003"]


def test_returned_and_republished_resources_keep_their_code(world):
    resource = world.resource("returned_with_code")
    code = resource.code
    advance(world.service(), resource.id, ["submit", "publish", "withdraw", "republish"])
    assert (resource.status, resource.code) == ("published", code)
    assert world.session.scalar(select(CodeSequence.last_value).where(CodeSequence.classification_code == "307015")) == 1


def test_code_width_setting(world, container):
    wide = Container(settings=container.settings.replace(code_sequence_width=8), engine=container.engine,
                     session_factory=container.session_factory)
    resource = world.resource("registered", container=wide)
    assert resource.code == "307015/00000001"


def test_registration_needs_a_full_classification(world):
    bare = make_department(world.session, "nosegment", "无目录段单位", segment=None)
    service = world.service()
    with pytest.raises(ValidationError) as err:
        service.create(resource_input(bare))
    assert "classification_code" in err.value.fields
    assert "信息资源分类" in err.value.fields["classification_code"][0].render("zh_CN")
    resource = service.create(resource_input(bare, classification_code="307099"))
    advance(service, resource.id, ["submit", "register"])
    assert resource.code == "307099/000001"


def test_next_sequence_in_one_session(session):
    assert [codes.next_sequence(session, "399001") for _ in range(3)] == [1, 2, 3]
    assert codes.next_sequence(session, "399002") == 1


# -- concurrency ----------------------------------------------------------------------------------------

THREADS, CALLS = 8, 25


def _in_threads(count: int, work) -> list:
    """Run ``work(index)`` in ``count`` threads started together; re-raise the first failure."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def _hammer_next_sequence(engine, classification_code: str) -> None:
    def work(_index: int) -> list[int]:
        taken = []
        with Session(engine) as session:  # its own session and connection
            for _ in range(CALLS):
                taken.append(codes.next_sequence(session, classification_code))
                session.commit()
        return taken

    numbers = [n for taken in _in_threads(THREADS, work) for n in taken]
    assert len(numbers) == len(set(numbers)) == THREADS * CALLS
    assert sorted(numbers) == list(range(1, THREADS * CALLS + 1))
    for taken in _in_threads(1, work):  # each thread sees its own numbers grow
        assert taken == sorted(taken)
    with Session(engine) as session:
        last = session.scalar(select(CodeSequence.last_value).where(CodeSequence.classification_code == classification_code))
    assert last == THREADS * CALLS + CALLS


def _register_in_parallel(container: Container, per_thread: int = 3) -> None:
    """Register resources from THREADS threads, each in its own transactions; then race on one resource."""
    engine = container.engine
    tag = uuid.uuid4().hex[:8]
    ids: dict[str, list] = {"departments": [], "users": [], "resources": []}
    segment = f"{int(tag, 16) % 900 + 100}"
    classification = f"307{segment}"
    try:
        with Session(engine, expire_on_commit=False) as setup:
            department = make_department(setup, f"race-{tag}", f"并发测试局{tag}", segment=segment)
            officer = make_user(container, setup, f"race.officer.{tag}", "officer", department=department)
            manager = make_user(container, setup, f"race.manager.{tag}", "manager")
            ids["departments"].append(department.id)
            ids["users"] += [officer.id, manager.id]
            officer_actor, manager_actor = make_actor(setup, officer), make_actor(setup, manager)
            service = ResourceService(container, setup, officer_actor)
            for n in range(THREADS * per_thread + 1):
                resource = service.create(resource_input(department, title=f"并发资源 {n}"))
                service.transition(resource.id, "submit")
                ids["resources"].append(resource.id)
            setup.commit()
        batches = [ids["resources"][i * per_thread:(i + 1) * per_thread] for i in range(THREADS)]
        contested = ids["resources"][-1]

        def register(index: int) -> list[str]:
            got = []
            for resource_id in batches[index]:
                with Session(engine) as session:
                    resource = ResourceService(container, session, manager_actor).transition(resource_id, "register")
                    got.append(resource.code)
                    session.commit()
            return got

        taken = [code for got in _in_threads(THREADS, register) for code in got]
        assert len(taken) == len(set(taken)) == THREADS * per_thread
        assert all(CODE_SHAPE.match(code) for code in taken)
        assert sorted(codes.parse(code).sequence for code in taken) == list(range(1, THREADS * per_thread + 1))
        assert {codes.parse(code).classification.code for code in taken} == {classification}

        # Every thread races to register the same resource: one wins, the others see it registered.
        def race(_index: int) -> str:
            with Session(engine) as session:
                try:
                    ResourceService(container, session, manager_actor).transition(contested, "register")
                    session.commit()
                    return "registered"
                except WorkflowError:
                    session.rollback()
                    return "refused"

        outcomes = _in_threads(THREADS, race)
        assert outcomes.count("registered") == 1 and outcomes.count("refused") == THREADS - 1

        with Session(engine) as check:
            rows = check.execute(select(Resource.code, Resource.sequence).where(Resource.id.in_(ids["resources"]))).all()
            assert len(rows) == THREADS * per_thread + 1
            assert len({code for code, _ in rows}) == len(rows)
            assert sorted(sequence for _, sequence in rows) == list(range(1, len(rows) + 1))
            assert check.scalar(select(func.count(func.distinct(Resource.code))).where(
                Resource.code.like(f"{classification}/%"))) == len(rows)
            # …and the database itself refuses a duplicate code.
            taken_by_other = check.scalar(select(Resource.code).where(Resource.id == ids["resources"][1]))
            with pytest.raises(IntegrityError):
                check.execute(update(Resource).where(Resource.id == ids["resources"][0]).values(code=taken_by_other))
            check.rollback()
    finally:
        purge(engine, departments=ids["departments"], users=ids["users"], resources=ids["resources"],
              classification_codes=[classification])


def _is_postgres_url(url: str | None) -> bool:
    return bool(url) and url.startswith(("postgresql", "postgres://"))


@pytest.fixture
def postgres_container(container):
    if not _is_postgres_url(os.environ.get("MULU_TEST_DATABASE_URL")):
        pytest.skip("MULU_TEST_DATABASE_URL is not a PostgreSQL URL")
    return container


@pytest.fixture
def sqlite_file_container(tmp_path):
    """A container of its own on a SQLite file (the thread test commits; nothing to clean up)."""
    container = Container.from_settings(Settings(instance_path=tmp_path))
    reset_database(container.engine)
    yield container
    container.dispose()


@pytest.mark.postgres
def test_next_sequence_is_unique_under_concurrency_postgres(postgres_container):
    code = f"3990{uuid.uuid4().int % 10**8:08d}"  # a 分类码 no other test uses
    try:
        _hammer_next_sequence(postgres_container.engine, code)
    finally:
        purge(postgres_container.engine, classification_codes=[code])


@pytest.mark.postgres
def test_parallel_registrations_postgres(postgres_container):
    _register_in_parallel(postgres_container)


def test_next_sequence_is_unique_under_concurrency_sqlite(sqlite_file_container):
    _hammer_next_sequence(sqlite_file_container.engine, "307015")


def test_parallel_registrations_sqlite(sqlite_file_container):
    _register_in_parallel(sqlite_file_container)


def test_system_actor_is_admin():
    assert Actor.system().role == "admin"


def test_classification_cannot_change_once_registered(world):
    resource = world.resource("returned_with_code")
    officer = world.service(world.actor("officer"))
    with pytest.raises(ValidationError) as err:
        officer.update(resource.id, resource_input(world.mzj, classification_code="301"))
    assert "信息资源分类" in err.value.fields["classification_code"][0].render("zh_CN")
    assert resource.code in err.value.fields["classification_code"][0].render("en")
    assert (resource.classification_code, resource.code) == ("307015", "307015/000001")
    # The same classification, given as 类+项 or in full, is fine.
    officer.update(resource.id, resource_input(world.mzj, classification_code="307", title="改名"))
    officer.update(resource.id, resource_input(world.mzj, classification_code="307015"))
    published = world.resource("published")
    with pytest.raises(ValidationError):
        officer.update(published.id, resource_input(world.mzj, classification_code="30701502"))
    assert officer.pending_change(published.id) is None
    # Before registration the classification may change freely.
    draft = world.resource("returned")
    officer.update(draft.id, resource_input(world.mzj, classification_code="301"))
    assert draft.classification_code == "301015"


def test_sequence_exhausted_is_a_validation_error(world, container):
    narrow = Container(settings=container.settings.replace(code_sequence_width=4), engine=container.engine,
                       session_factory=container.session_factory)
    world.session.add(CodeSequence(classification_code="307015", last_value=9998))
    world.session.flush()
    assert world.resource("registered", container=narrow).code == "307015/9999"
    resource = world.resource("pending_registration", container=narrow)
    with pytest.raises(ValidationError) as err:
        world.service("manager", narrow).transition(resource.id, "register")
    assert "细目" in err.value.fields["classification_code"][0].render("en")
