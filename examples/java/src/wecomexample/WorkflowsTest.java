package wecomexample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static wecomexample.WecomMock.list;
import static wecomexample.WecomMock.object;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The seed's four workflows (§6.1–6.4) and a scan, each test in a corp of its own. */
class WorkflowsTest {
    private static WecomMock mock;
    private WecomMock.Corp corp;

    @BeforeAll
    static void startMock() throws Exception {
        mock = WecomMock.start();
    }

    @AfterAll
    static void stopMock() throws Exception {
        mock.stop();
    }

    @AfterEach
    void deleteCorp() throws Exception {
        if (corp != null) {
            corp.delete();
        }
    }

    /** A WeCom call that must succeed. */
    private Map<String, Object> ok(String api, Map<String, Object> body) throws Exception {
        Map<String, Object> answer = corp.call(api, body);
        assertEquals(0L, answer.get("errcode"), api + ": " + answer);
        return answer;
    }

    private Map<String, Object> join(String id) throws Exception {
        WecomMock.Answer joined = corp.admin("POST", "/__admin/join", Map.of("corpid", corp.corpid, "config_id", id));
        assertEquals(200, joined.status(), String.valueOf(joined.body()));
        return joined.json();
    }

    /** 6.1: a channel code for several members, a member change through a merged update, delete. */
    @Test
    void channelCodeLifecycle() throws Exception {
        corp = mock.corp(null);
        Map<String, Object> created = ok("externalcontact/add_contact_way",
                Map.of("type", 2, "scene", 2, "user", List.of("zhangsan", "lisi"), "state", "channel_spring"));
        String id = (String) created.get("config_id");
        assertTrue(((String) created.get("qr_code")).startsWith(mock.url));

        Map<String, Object> way = object(ok("externalcontact/get_contact_way", Map.of("config_id", id)).get("contact_way"));
        assertEquals(List.of("zhangsan", "lisi"), way.get("user"));

        // The update overwrites what it is sent: send the whole member list, changed.
        List<Object> members = new ArrayList<>(list(way.get("user")));
        members.remove("zhangsan");
        members.add("wangwu");
        ok("externalcontact/update_contact_way", Map.of("config_id", id, "user", members, "remark", "autumn"));

        way = object(ok("externalcontact/get_contact_way", Map.of("config_id", id)).get("contact_way"));
        assertEquals(List.of("lisi", "wangwu"), way.get("user"));
        assertEquals("channel_spring", way.get("state"));
        assertEquals("autumn", way.get("remark"));

        ok("externalcontact/del_contact_way", Map.of("config_id", id));
        assertEquals(41044L, corp.call("externalcontact/get_contact_way", Map.of("config_id", id)).get("errcode"));
    }

    /** Every listed config id, page by page with the cursor. */
    private List<Object> walk() throws Exception {
        List<Object> ids = new ArrayList<>();
        String cursor = "";
        for (int page = 0; page < 10; page++) {
            Map<String, Object> answer = ok("externalcontact/list_contact_way", Map.of("limit", 2, "cursor", cursor));
            for (Object item : list(answer.get("contact_way"))) {
                ids.add(object(item).get("config_id"));
            }
            cursor = (String) answer.get("next_cursor");
            if (cursor.isEmpty()) {
                return ids;
            }
        }
        return fail("the list did not end within 10 pages");
    }

    /** 6.2: list every config id with the cursor, get each, delete the ones no longer needed. */
    @Test
    void listWalkGetAndPrune() throws Exception {
        corp = mock.corp(null);
        List<String> states = List.of("old_a", "keep_b", "old_c", "keep_d", "old_e");
        for (String state : states) {
            ok("externalcontact/add_contact_way", Map.of("type", 1, "scene", 2, "user", List.of("zhangsan"), "state", state));
        }

        List<Object> ids = walk();
        assertEquals(states.size(), ids.size());
        List<Object> kept = new ArrayList<>();
        for (Object id : ids) {
            Map<String, Object> way = object(ok("externalcontact/get_contact_way", Map.of("config_id", id)).get("contact_way"));
            if (((String) way.get("state")).startsWith("old_")) {
                ok("externalcontact/del_contact_way", Map.of("config_id", id));
            } else {
                kept.add(id);
            }
        }
        assertEquals(kept, walk());
    }

    /** 6.3: a group code with room auto-creation; the update (a full overwrite) resends every setting. */
    @Test
    void groupCodeWithRoomAutoCreation() throws Exception {
        // Two customer groups of two customers each (the owner is the third member): the fifth
        // customer gets a new group.
        corp = mock.corp(Map.of(
                "departments", List.of(Map.of("id", 1, "name", "HQ", "parent", 0)),
                "members", List.of(Map.of("userid", "zhangsan", "department", List.of(1))),
                "group_chats", List.of(
                        Map.of("chat_id", "wrsales0001", "name", "Sales 1", "owner", "zhangsan", "member_limit", 3),
                        Map.of("chat_id", "wrsales0002", "name", "Sales 2", "owner", "zhangsan", "member_limit", 3))));
        String id = (String) ok("externalcontact/groupchat/add_join_way", Map.of(
                "scene", 2, "chat_id_list", List.of("wrsales0001", "wrsales0002"), "auto_create_room", 1,
                "room_base_name", "销售群", "room_base_id", 1, "state", "campaign_spring")).get("config_id");

        Map<String, Object> way = object(ok("externalcontact/groupchat/get_join_way", Map.of("config_id", id)).get("join_way"));
        assertEquals("campaign_spring", way.get("state"));
        assertEquals(1L, way.get("auto_create_room"));

        for (int i = 0; i < 4; i++) {
            assertFalse((Boolean) join(id).get("created_chat"));
        }
        Map<String, Object> joined = join(id);
        assertTrue((Boolean) joined.get("created_chat"));
        assertEquals("campaign_spring", joined.get("state"));
        Object chatId = joined.get("chat_id");
        Map<String, Object> chat = object(ok("externalcontact/groupchat/get", Map.of("chat_id", chatId, "need_name", 1)).get("group_chat"));
        assertEquals("销售群1", chat.get("name"));
        way = object(ok("externalcontact/groupchat/get_join_way", Map.of("config_id", id)).get("join_way"));
        assertEquals(List.of("wrsales0001", "wrsales0002", chatId), way.get("chat_id_list"));

        // J3 overwrites: fields left out return to their defaults, so send them all again.
        ok("externalcontact/groupchat/update_join_way", Map.of(
                "config_id", id, "scene", 2, "chat_id_list", List.of("wrsales0002", chatId), "auto_create_room", 1,
                "room_base_name", way.get("room_base_name"), "room_base_id", way.get("room_base_id"), "state", way.get("state")));
        way = object(ok("externalcontact/groupchat/get_join_way", Map.of("config_id", id)).get("join_way"));
        assertEquals(List.of("wrsales0002", chatId), way.get("chat_id_list"));
        assertEquals("campaign_spring", way.get("state"));

        ok("externalcontact/groupchat/del_join_way", Map.of("config_id", id));
        assertNotEquals(0L, corp.call("externalcontact/groupchat/get_join_way", Map.of("config_id", id)).get("errcode"));
    }

    /** 6.4: a one-time temp-chat code; closing the chat sends its closing messages. */
    @Test
    void tempChatSendsItsClosingMessages() throws Exception {
        corp = mock.corp(null);
        String id = (String) ok("externalcontact/add_contact_way", Map.of(
                "type", 1, "scene", 2, "user", List.of("zhangsan"), "is_temp", true, "expires_in", 86400,
                "chat_expires_in", 86400, "conclusions", Map.of("text", Map.of("content", "会话结束")))).get("config_id");

        Map<String, Object> scan = Map.of("corpid", corp.corpid, "config_id", id);
        WecomMock.Answer customer = corp.admin("POST", "/__admin/scan", scan);
        assertEquals(List.of(200, true), List.of(customer.status(), customer.json().get("temp")));
        WecomMock.Answer refused = corp.admin("POST", "/__admin/scan", scan);
        assertEquals(List.of(409, "temp_code_used"), List.of(refused.status(), refused.json().get("error")));

        Map<String, Object> close = Map.of("userid", customer.json().get("userid"), "external_userid", customer.json().get("external_userid"));
        ok("externalcontact/close_temp_chat", close);
        List<Object> sent = list(corp.admin("GET", "/__admin/messages?corpid=" + WecomMock.encode(corp.corpid), null).json().get("messages"));
        assertEquals(1, sent.size());
        Map<String, Object> message = object(sent.get(0));
        Object text = object(object(message.get("conclusions")).get("text")).get("content");
        assertEquals(List.of("conclusions", "closed", customer.json().get("external_userid"), "会话结束"),
                List.of(message.get("kind"), message.get("reason"), message.get("to"), text));
        assertEquals(84061L, corp.call("externalcontact/close_temp_chat", close).get("errcode"));
    }

    /** A scan of a channel code hands its state to the customer's detail (externalcontact/get). */
    @Test
    void scanCarriesTheStateToTheCustomer() throws Exception {
        corp = mock.corp(null);
        String id = (String) ok("externalcontact/add_contact_way",
                Map.of("type", 1, "scene", 2, "user", List.of("lisi"), "state", "java_spring")).get("config_id");
        Map<String, Object> customer = corp.admin("POST", "/__admin/scan", Map.of("corpid", corp.corpid, "config_id", id)).json();
        assertEquals("java_spring", customer.get("state"));

        Map<String, Object> detail = corp.get("externalcontact/get", "external_userid", (String) customer.get("external_userid"));
        assertEquals(0L, detail.get("errcode"));
        Map<String, Object> follow = object(list(detail.get("follow_user")).get(0));
        assertEquals(List.of("lisi", "java_spring"), List.of(follow.get("userid"), follow.get("state")));
    }
}
