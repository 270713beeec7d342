"""`wecom mcp --mock-tools` driven by the official Python MCP SDK, as an agent host drives it.

The mock comes from the wheel's pytest plugin (``wecom_corp``: a fresh corp per test); the
``wecom`` binary under test is ``WECOM_BIN`` (CI points it at the debug build).
"""

import json
import os
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

TOOLS = [
    "add_contact_way", "get_contact_way", "list_contact_way", "update_contact_way", "del_contact_way",
    "close_temp_chat", "add_join_way", "get_join_way", "update_join_way", "del_join_way", "send_welcome_msg",
    "get_follow_user_list", "list_customers", "inventory",
    "prune", "ledger_list", "ledger_reconcile", "mock_scan", "mock_join", "mock_clock", "mock_messages",
]


def server(corp, folder: Path) -> StdioServerParameters:
    binary = os.environ.get("WECOM_BIN")
    if not binary:
        pytest.fail("WECOM_BIN must name the wecom binary under test")
    env = {
        "WECOM_BASE_URL": corp.url,
        "WECOM_CORPID": corp.corpid,
        "WECOM_SECRET": corp.secret,
        "WECOM_LEDGER": str(folder / "ledger.redb"),
        "WECOM_MOCK_TOOLS": "1",
    }
    return StdioServerParameters(command=binary, args=["mcp"], env=env, cwd=str(folder))


async def ok(session: ClientSession, tool: str, arguments: dict) -> dict:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}: {result.content}"
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


def test_the_agent_flow_from_create_to_prune(wecom_corp, tmp_path):
    async def flow():
        async with stdio_client(server(wecom_corp, tmp_path)) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = {tool.name: tool for tool in (await session.list_tools()).tools}
                assert list(tools) == TOOLS
                assert tools["get_contact_way"].annotations.read_only_hint is True
                assert tools["prune"].annotations.destructive_hint is True
                assert tools["add_contact_way"].input_schema["required"] == ["scene", "type"]

                created = await ok(session, "add_contact_way", {
                    "type": 2, "scene": 2, "user": ["zhangsan", "lisi"], "state": "py_01", "remark": "a",
                })
                config_id = created["config_id"]
                updated = await ok(session, "update_contact_way", {"config_id": config_id, "remark": "b"})
                assert updated["user"] == ["zhangsan", "lisi"], "the merged update keeps the members"
                read_back = await ok(session, "get_contact_way", {"config_id": config_id})
                assert read_back["remark"] == "b"

                scanned = await ok(session, "mock_scan", {"config_id": config_id})
                assert scanned["state"] == "py_01"

                refused = await session.call_tool("add_contact_way", {"type": 3, "scene": 2, "user": ["zhangsan"]})
                assert refused.is_error and refused.content[0].text.startswith("errcode 41039: ")

                dry = await ok(session, "prune", {"state_prefix": "py_"})
                assert dry["dry_run"] is True and dry["matched"] == 1
                assert (await ok(session, "get_contact_way", {"config_id": config_id}))["config_id"] == config_id
                done = await ok(session, "prune", {"state_prefix": "py_", "confirm": True})
                assert done["deleted"] == 1
                backup = [json.loads(line) for line in Path(done["backup"]).read_text().splitlines()]
                assert [way["config_id"] for way in backup] == [config_id]

                gone = await session.call_tool("get_contact_way", {"config_id": config_id})
                assert gone.is_error and gone.structured_content["errcode"] == 41044

                ledger = await ok(session, "ledger_list", {})
                assert [entry["config_id"] for entry in ledger["entries"]] == [config_id]
                assert ledger["entries"][0]["status"] == "deleted"

    anyio.run(flow)
