"""The pytest plugin (entry point ``pytest11``): a server per session, a corp per test.

``wecom_mock`` is a :class:`~wecom_mock.MockServer` started once for the session;
``wecom_corp`` is a :class:`~wecom_mock.Tenant`, a fresh corp with the default directory,
deleted after the test. Nothing needs configuring; the ini options ``wecom_mock_binary`` and
``wecom_mock_args`` (for example ``--seed 7``) change what is started.
"""

import shlex
from typing import Iterator

import pytest

from ._server import AdminError, MockServer, Tenant


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("wecom_mock_binary", "the wecom-mock binary to start (default: the packaged one)", default="")
    parser.addini("wecom_mock_args", "extra wecom-mock options, as on a command line", default="")


@pytest.fixture(scope="session")
def wecom_mock(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """One wecom-mock server for the whole test session."""
    binary = pytestconfig.getini("wecom_mock_binary") or None
    args = shlex.split(pytestconfig.getini("wecom_mock_args"))
    with MockServer(args=args, binary=binary) as server:
        yield server


@pytest.fixture
def wecom_corp(wecom_mock: MockServer) -> Iterator[Tenant]:
    """A fresh corp for this test (``url``, ``corpid``, ``secret``, ``agentid``), deleted after."""
    tenant = wecom_mock.tenant()
    yield tenant
    try:
        wecom_mock.delete_corp(tenant.corpid)
    except AdminError as err:
        if err.status != 404:  # the test may have deleted it itself
            raise
