// The seed's four workflows (§6.1–6.4) and a scan, each in a corp of its own.
package wecomexample

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func strs(value any) []string {
	items, _ := value.([]any)
	out := make([]string, 0, len(items))
	for _, item := range items {
		s, _ := item.(string)
		out = append(out, s)
	}
	return out
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %#v, want %#v", what, got, want)
	}
}

// 6.1: a channel code for several members; a member change through a merged update (read the
// config, change the list, write every field back), which keeps the state; then delete it.
func TestChannelCodeLifecycle(t *testing.T) {
	c := newCorp(t, nil)
	created := c.ok("externalcontact/add_contact_way", object{
		"type": 2, "scene": 2, "user": []string{"zhangsan", "lisi"}, "state": "channel_spring",
	})
	id := created["config_id"].(string)
	if !strings.HasPrefix(created["qr_code"].(string), mockURL) {
		t.Fatalf("qr_code %v is not served by the mock", created["qr_code"])
	}

	way := c.ok("externalcontact/get_contact_way", object{"config_id": id})["contact_way"].(object)
	equal(t, "members", strs(way["user"]), []string{"zhangsan", "lisi"})

	// The update overwrites what it is sent: send the whole member list, changed.
	members := append(strs(way["user"])[1:], "wangwu")
	c.ok("externalcontact/update_contact_way", object{"config_id": id, "user": members, "remark": "autumn"})

	way = c.ok("externalcontact/get_contact_way", object{"config_id": id})["contact_way"].(object)
	equal(t, "members after the update", strs(way["user"]), []string{"lisi", "wangwu"})
	equal(t, "state after the update", way["state"], "channel_spring")
	equal(t, "remark after the update", way["remark"], "autumn")

	c.ok("externalcontact/del_contact_way", object{"config_id": id})
	equal(t, "get after delete", c.call("externalcontact/get_contact_way", object{"config_id": id})["errcode"], 41044.0)
}

// 6.2: list every config id with the cursor, get each, and delete the ones no longer needed.
func TestListWalkGetAndPrune(t *testing.T) {
	c := newCorp(t, nil)
	states := []string{"old_a", "keep_b", "old_c", "keep_d", "old_e"}
	for _, state := range states {
		c.ok("externalcontact/add_contact_way", object{"type": 1, "scene": 2, "user": []string{"zhangsan"}, "state": state})
	}

	walk := func() []string {
		var ids []string
		cursor := ""
		for page := 0; page < 10; page++ {
			answer := c.ok("externalcontact/list_contact_way", object{"limit": 2, "cursor": cursor})
			for _, item := range answer["contact_way"].([]any) {
				ids = append(ids, item.(object)["config_id"].(string))
			}
			if cursor = answer["next_cursor"].(string); cursor == "" {
				return ids
			}
		}
		t.Fatal("the list did not end within 10 pages")
		return nil
	}

	ids := walk()
	equal(t, "configs listed", len(ids), len(states))
	var kept []string
	for _, id := range ids {
		way := c.ok("externalcontact/get_contact_way", object{"config_id": id})["contact_way"].(object)
		if strings.HasPrefix(way["state"].(string), "old_") {
			c.ok("externalcontact/del_contact_way", object{"config_id": id})
		} else {
			kept = append(kept, id)
		}
	}
	equal(t, "configs listed after the prune", walk(), kept)
}

// groupFixture is a corp whose two customer groups take two customers each (the owner is the
// third member), so that the fifth customer of a code is the one for whom a group is created.
var groupFixture = object{
	"departments": []object{{"id": 1, "name": "HQ", "parent": 0}},
	"members":     []object{{"userid": "zhangsan", "department": []int{1}}},
	"group_chats": []object{
		{"chat_id": "wrsales0001", "name": "Sales 1", "owner": "zhangsan", "member_limit": 3},
		{"chat_id": "wrsales0002", "name": "Sales 2", "owner": "zhangsan", "member_limit": 3},
	},
}

// 6.3: a group code over two groups with room auto-creation; customers fill them and the next
// one gets a new group; the update (which overwrites the whole config) resends every setting.
func TestGroupCodeWithRoomAutoCreation(t *testing.T) {
	c := newCorp(t, groupFixture)
	id := c.ok("externalcontact/groupchat/add_join_way", object{
		"scene": 2, "chat_id_list": []string{"wrsales0001", "wrsales0002"}, "auto_create_room": 1,
		"room_base_name": "销售群", "room_base_id": 1, "state": "campaign_spring",
	})["config_id"].(string)

	way := c.ok("externalcontact/groupchat/get_join_way", object{"config_id": id})["join_way"].(object)
	equal(t, "state", way["state"], "campaign_spring")
	equal(t, "auto_create_room", way["auto_create_room"], 1.0)

	var join struct {
		ChatID      string `json:"chat_id"`
		State       string `json:"state"`
		CreatedChat bool   `json:"created_chat"`
	}
	for i := 0; i < 4; i++ {
		if status := c.admin(http.MethodPost, "/__admin/join", object{"corpid": c.corpid, "config_id": id}, &join); status != http.StatusOK || join.CreatedChat {
			t.Fatalf("join %d: HTTP %d, %+v", i, status, join)
		}
	}
	c.admin(http.MethodPost, "/__admin/join", object{"corpid": c.corpid, "config_id": id}, &join)
	if !join.CreatedChat || join.State != "campaign_spring" {
		t.Fatalf("the fifth customer should get a new group: %+v", join)
	}
	chat := c.ok("externalcontact/groupchat/get", object{"chat_id": join.ChatID, "need_name": 1})["group_chat"].(object)
	equal(t, "new group's name", chat["name"], "销售群1")
	way = c.ok("externalcontact/groupchat/get_join_way", object{"config_id": id})["join_way"].(object)
	equal(t, "groups after the creation", strs(way["chat_id_list"]), []string{"wrsales0001", "wrsales0002", join.ChatID})

	// J3 overwrites: fields left out return to their defaults, so send them all again.
	c.ok("externalcontact/groupchat/update_join_way", object{
		"config_id": id, "scene": 2, "chat_id_list": []string{"wrsales0002", join.ChatID}, "auto_create_room": 1,
		"room_base_name": way["room_base_name"], "room_base_id": way["room_base_id"], "state": way["state"],
	})
	way = c.ok("externalcontact/groupchat/get_join_way", object{"config_id": id})["join_way"].(object)
	equal(t, "groups after the update", strs(way["chat_id_list"]), []string{"wrsales0002", join.ChatID})
	equal(t, "state after the update", way["state"], "campaign_spring")

	c.ok("externalcontact/groupchat/del_join_way", object{"config_id": id})
	if c.call("externalcontact/groupchat/get_join_way", object{"config_id": id})["errcode"] == 0.0 {
		t.Fatal("the deleted config can still be read")
	}
}

// 6.4: a one-time temp-chat code with closing messages; the customer's scan uses it up, and
// closing the chat sends the closing messages and ends the relationship.
func TestTempChatSendsItsClosingMessages(t *testing.T) {
	c := newCorp(t, nil)
	id := c.ok("externalcontact/add_contact_way", object{
		"type": 1, "scene": 2, "user": []string{"zhangsan"}, "is_temp": true,
		"expires_in": 86400, "chat_expires_in": 86400, "conclusions": object{"text": object{"content": "会话结束"}},
	})["config_id"].(string)

	var scan struct {
		ExternalUserid string `json:"external_userid"`
		Userid         string `json:"userid"`
		Temp           bool   `json:"temp"`
	}
	c.admin(http.MethodPost, "/__admin/scan", object{"corpid": c.corpid, "config_id": id}, &scan)
	equal(t, "the scan is a temp chat", scan.Temp, true)
	var refused struct{ Error string }
	status := c.admin(http.MethodPost, "/__admin/scan", object{"corpid": c.corpid, "config_id": id}, &refused)
	equal(t, "a second scan of the one-time code", []any{status, refused.Error}, []any{http.StatusConflict, "temp_code_used"})

	closeChat := object{"userid": scan.Userid, "external_userid": scan.ExternalUserid}
	c.ok("externalcontact/close_temp_chat", closeChat)
	var sent struct {
		Messages []struct {
			Kind        string `json:"kind"`
			To          string `json:"to"`
			Reason      string `json:"reason"`
			Conclusions struct {
				Text struct {
					Content string `json:"content"`
				} `json:"text"`
			} `json:"conclusions"`
		} `json:"messages"`
	}
	c.admin(http.MethodGet, "/__admin/messages?corpid="+c.corpid, nil, &sent)
	equal(t, "messages", len(sent.Messages), 1)
	message := sent.Messages[0]
	equal(t, "closing message", []string{message.Kind, message.Reason, message.To, message.Conclusions.Text.Content},
		[]string{"conclusions", "closed", scan.ExternalUserid, "会话结束"})
	equal(t, "a second close", c.call("externalcontact/close_temp_chat", closeChat)["errcode"], 84061.0)
}

// A scan of a channel code hands its state to the customer's detail (externalcontact/get),
// which is how a service tells which channel a customer came from.
func TestScanCarriesTheStateToTheCustomer(t *testing.T) {
	c := newCorp(t, nil)
	id := c.ok("externalcontact/add_contact_way", object{"type": 1, "scene": 2, "user": []string{"lisi"}, "state": "go_spring"})["config_id"].(string)
	var scan struct {
		ExternalUserid string `json:"external_userid"`
		State          string `json:"state"`
	}
	c.admin(http.MethodPost, "/__admin/scan", object{"corpid": c.corpid, "config_id": id}, &scan)
	equal(t, "scan state", scan.State, "go_spring")

	detail := c.get("externalcontact/get", url.Values{"external_userid": {scan.ExternalUserid}})
	equal(t, "errcode", detail["errcode"], 0.0)
	follow := detail["follow_user"].([]any)[0].(object)
	equal(t, "follow_user", []any{follow["userid"], follow["state"]}, []any{"lisi", "go_spring"})
}
