"""Start the ``wecom-mock`` server (a stateful fake of WeCom's "Contact Me" and "Join Group"
APIs) from Python tests, and drive its control surface.

The wheel carries the compiled ``wecom-mock`` binary; this module only starts it and speaks
HTTP to it, with the standard library alone. With pytest installed, the ``wecom_mock`` (one
server per session) and ``wecom_corp`` (a fresh corp per test) fixtures come with it.

>>> from wecom_mock import MockServer
>>> with MockServer() as mock:                       # doctest: +SKIP
...     token = mock.token()                         # the default corp's app
...     tenant = mock.tenant()                       # a corp of its own
"""

from importlib.metadata import PackageNotFoundError, version

from ._server import (
    BINARY_ENV,
    AdminError,
    ApiError,
    MockServer,
    MockServerError,
    Tenant,
    find_binary,
)

try:
    __version__ = version("wecom-mock")
except PackageNotFoundError:  # imported from a source checkout
    __version__ = "0+unknown"

__all__ = [
    "BINARY_ENV",
    "AdminError",
    "ApiError",
    "MockServer",
    "MockServerError",
    "Tenant",
    "find_binary",
    "__version__",
]
