"""Flows through the pytest plugin's fixtures with wechatpy as the client under test."""

import pytest
from wechatpy.exceptions import WeChatClientException

from wecom_mock import AdminError, ApiError

# A fixed instant after 2021-07-10 (the list cutoff), so nothing depends on the wall clock.
T0 = 1_750_000_000


def test_scan_sets_state(wecom_mock, wecom_corp, client):
    created = client.external_contact.add_contact_way(type=1, scene=2, user=["zhangsan"], state="spring")
    assert created["qr_code"].startswith(wecom_corp.url)
    customer = wecom_mock.scan(wecom_corp.corpid, created["config_id"])
    assert customer["state"] == "spring"
    detail = client.external_contact.get(customer["external_userid"])
    assert [(f["userid"], f["state"]) for f in detail["follow_user"]] == [("zhangsan", "spring")]


_corps_seen = []


def test_each_test_gets_a_fresh_corp_of_its_own(wecom_mock, wecom_corp):
    assert wecom_corp.corpid != wecom_mock.corpid
    assert wecom_corp.url == wecom_mock.url
    dump = wecom_mock.dump(wecom_corp.corpid)
    assert (dump["contact_ways"], dump["join_ways"], dump["customers"]) == ([], [], [])
    assert wecom_mock.token(wecom_corp.corpid, wecom_corp.secret)
    assert wecom_mock.token(wecom_corp.corpid), "the tenant's own secret by default"
    _corps_seen.append(wecom_corp.corpid)


def test_the_corp_of_an_earlier_test_is_deleted(wecom_mock):
    # Runs after the test above (pytest keeps the file's order).
    assert _corps_seen, "the test before this one did not run"
    with pytest.raises(AdminError) as gone:
        wecom_mock.dump(_corps_seen[0])
    assert (gone.value.status, gone.value.error) == (404, "corp_not_found")


def test_a_temp_chat_ends_on_the_virtual_clock_with_its_conclusions(wecom_mock, wecom_corp, client):
    wecom_mock.set_clock(T0, corpid=wecom_corp.corpid)
    created = client.post(
        "externalcontact/add_contact_way",
        data={
            "type": 1,
            "scene": 2,
            "user": ["zhangsan"],
            "is_temp": True,
            "chat_expires_in": 3600,
            "conclusions": {"text": {"content": "thanks, bye"}},
        },
    )
    customer = wecom_mock.scan(wecom_corp.corpid, created["config_id"])
    assert customer["temp"] is True
    assert wecom_mock.advance_clock(3600, corpid=wecom_corp.corpid) == {"now": T0 + 3600, "frozen": True}
    sent = [m for m in wecom_mock.messages(wecom_corp.corpid) if m["kind"] == "conclusions"]
    assert len(sent) == 1 and sent[0]["corpid"] == wecom_corp.corpid
    assert wecom_mock.dump(wecom_corp.corpid)["customers"] == []
    with pytest.raises(AdminError) as used:
        wecom_mock.scan(wecom_corp.corpid, created["config_id"])
    assert (used.value.status, used.value.error) == (409, "temp_code_used")
    assert wecom_mock.real_clock(wecom_corp.corpid)["frozen"] is False


def test_an_injected_fault_reaches_the_client_once(wecom_mock, wecom_corp, client):
    fault = wecom_mock.add_fault(path="add_contact_way", errcode=-1, times=1, corpid=wecom_corp.corpid)
    assert fault
    with pytest.raises(WeChatClientException) as busy:
        client.external_contact.add_contact_way(type=1, scene=2, user=["zhangsan"])
    assert busy.value.errcode == -1
    assert client.external_contact.add_contact_way(type=1, scene=2, user=["zhangsan"])["config_id"]
    failed = wecom_mock.requests(corpid=wecom_corp.corpid, errcode=-1)
    assert [(r["path"], r["fault"]) for r in failed] == [("/cgi-bin/externalcontact/add_contact_way", fault)]
    wecom_mock.clear_faults(corpid=wecom_corp.corpid)


def test_a_join_lands_in_the_first_group_with_the_configs_state(wecom_mock, wecom_corp, client):
    created = client.post(
        "externalcontact/groupchat/add_join_way",
        data={"scene": 2, "chat_id_list": ["wrmockchat0001"], "state": "vip", "auto_create_room": 0},
    )
    joined = wecom_mock.join(wecom_corp.corpid, created["config_id"], external_userid="wmpythontest0001")
    assert (joined["chat_id"], joined["state"], joined["created_chat"]) == ("wrmockchat0001", "vip", False)
    group = client.post("externalcontact/groupchat/get", data={"chat_id": "wrmockchat0001"})["group_chat"]
    assert {"userid": "wmpythontest0001", "state": "vip"}.items() <= next(
        m for m in group["member_list"] if m["userid"] == "wmpythontest0001"
    ).items()


def test_reset_empties_the_corp_and_keeps_its_credentials(wecom_mock, wecom_corp, client):
    client.external_contact.add_contact_way(type=1, scene=2, user=["zhangsan"])
    assert len(wecom_mock.dump(wecom_corp.corpid)["contact_ways"]) == 1
    wecom_mock.reset(wecom_corp.corpid)
    assert wecom_mock.dump(wecom_corp.corpid)["contact_ways"] == []
    assert wecom_mock.token(wecom_corp.corpid, wecom_corp.secret)


def test_control_surface_errors_carry_status_and_code(wecom_mock, wecom_corp):
    cases = [
        (lambda: wecom_mock.scan(wecom_corp.corpid, "0" * 32), 404, "config_not_found"),
        (lambda: wecom_mock.dump("wwnosuchcorp"), 404, "corp_not_found"),
        (lambda: wecom_mock.set_clock(T0, corpid="wwnosuchcorp"), 404, "corp_not_found"),
        (lambda: wecom_mock.add_fault(path="add_contact_way"), 400, "bad_request"),
    ]
    for call, status, error in cases:
        with pytest.raises(AdminError) as refused:
            call()
        assert (refused.value.status, refused.value.error) == (status, error)
        assert refused.value.message


def test_a_wrong_secret_is_an_api_error(wecom_mock, wecom_corp):
    with pytest.raises(ApiError) as wrong:
        wecom_mock.token(wecom_corp.corpid, "not-the-secret")
    assert wrong.value.errcode == 40001
