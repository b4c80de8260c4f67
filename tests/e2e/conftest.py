"""One private stack shared by the e2e modules that only drive payments through it (a stack costs about a
minute to start: Terraform applies five roots). Each of those modules uses merchants, customers and users of
its own, so they do not see each other's payments. The stack stops as soon as the last test that uses it is
over, so the suites after the e2e ones run with the environment as it was (`private_stack` restores it)."""

from contextlib import ExitStack

import pytest

from smartpay_shared.testing.stack import private_stack

FIXTURE = "shared_stack"
_users = pytest.StashKey[int]()
_stack = ExitStack()


def _uses_it(item) -> bool:
    return FIXTURE in getattr(item, "fixturenames", ())


def pytest_collection_finish(session):
    """How many selected tests use the shared stack (after -k/-m deselection)."""
    session.config.stash[_users] = sum(map(_uses_it, session.items))


@pytest.fixture(scope="session")
def shared_stack(tmp_path_factory):
    info = _stack.enter_context(private_stack(tmp_path_factory.mktemp("shared-stack")))
    try:
        yield info
    finally:
        _stack.close()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    if not _uses_it(item):
        return
    item.config.stash[_users] = item.config.stash.get(_users, 1) - 1
    if item.config.stash[_users] <= 0:
        _stack.close()  # the last user is done: stop the stack now, not at the end of the session
