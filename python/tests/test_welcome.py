"""After the scan, as a callback handler without an SDK does it: plain HTTP with the standard
library, the welcome code from the scan, the greeting in the mock's messages."""

import json
import urllib.parse
import urllib.request

# A fixed instant after 2021-07-10 (the list cutoff), so nothing depends on the wall clock.
T0 = 1_750_000_000


def _wecom_call(url: str, path: str, token: str, body=None, **query: str) -> dict:
    """One WeCom call over plain HTTP with the standard library, as a handler without an SDK
    makes it: GET with the query, or POST with a JSON body."""
    params = urllib.parse.urlencode({"access_token": token, **query})
    data = None if body is None else json.dumps(body).encode()
    method = "GET" if body is None else "POST"
    request = urllib.request.Request(f"{url}/cgi-bin/{path}?{params}", data=data, method=method)
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def test_a_handler_greets_a_scanned_customer_with_its_welcome_code_over_plain_http(wecom_mock, wecom_corp):
    wecom_mock.set_clock(T0, corpid=wecom_corp.corpid)
    url, token = wecom_corp.url, wecom_mock.token(wecom_corp.corpid, wecom_corp.secret)
    members = _wecom_call(url, "externalcontact/get_follow_user_list", token)
    assert "zhangsan" in members["follow_user"]
    way = {"type": 1, "scene": 2, "user": ["zhangsan"]}
    created = _wecom_call(url, "externalcontact/add_contact_way", token, way)
    customer = wecom_mock.scan(wecom_corp.corpid, created["config_id"])

    greeting = {"welcome_code": customer["welcome_code"], "text": {"content": "欢迎!"}}
    assert _wecom_call(url, "externalcontact/send_welcome_msg", token, greeting)["errcode"] == 0
    sent = [m for m in wecom_mock.messages(wecom_corp.corpid) if m["kind"] == "welcome"]
    assert [(m["from"], m["to"], m["text"]["content"]) for m in sent] == [
        ("zhangsan", customer["external_userid"], "欢迎!")
    ]
    assert _wecom_call(url, "externalcontact/send_welcome_msg", token, greeting)["errcode"] == 41051
    customers = _wecom_call(url, "externalcontact/list", token, userid="zhangsan")
    assert customers["external_userid"] == [customer["external_userid"]]
