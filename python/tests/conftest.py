"""A real third-party WeCom client (wechatpy) pointed at the mock, as a team would point it.

The ``wecom_mock`` and ``wecom_corp`` fixtures are not defined here: they come from the
installed wheel's pytest plugin (entry point ``pytest11``), which is what these tests check.
"""

import pytest
from wechatpy.enterprise import WeChatClient


class MockedWeChatClient(WeChatClient):
    """wechatpy's WeCom client with its base URL (and its hard-coded gettoken URL) moved."""

    def __init__(self, base_url: str, corp_id: str, secret: str) -> None:
        super().__init__(corp_id, secret)
        self.API_BASE_URL = base_url.rstrip("/") + "/cgi-bin/"

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=self.API_BASE_URL + "gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )


@pytest.fixture
def client(wecom_corp) -> MockedWeChatClient:
    """wechatpy, logged in to this test's corp."""
    return MockedWeChatClient(wecom_corp.url, wecom_corp.corpid, wecom_corp.secret)
