<?php
// The seed's four workflows (§6.1–6.4) and a scan, each test in a corp of its own.

declare(strict_types=1);

use PHPUnit\Framework\TestCase;

final class WorkflowsTest extends TestCase
{
    private ?Corp $corp = null;

    protected function tearDown(): void
    {
        $this->corp?->delete();
    }

    /** @param array<string, mixed>|null $fixture */
    private function corp(?array $fixture = null): Corp
    {
        return $this->corp = new Corp($fixture);
    }

    /**
     * A WeCom call that must succeed.
     *
     * @param array<string, mixed> $body
     * @return array<string, mixed>
     */
    private function ok(string $api, array $body): array
    {
        $answer = $this->corp->call($api, $body);
        $this->assertSame(0, $answer['errcode'], "$api: " . json_encode($answer, JSON_UNESCAPED_UNICODE));
        return $answer;
    }

    /** 6.1: a channel code for several members, a member change through a merged update, delete. */
    public function testChannelCodeLifecycle(): void
    {
        $this->corp();
        $created = $this->ok('externalcontact/add_contact_way', [
            'type' => 2, 'scene' => 2, 'user' => ['zhangsan', 'lisi'], 'state' => 'channel_spring',
        ]);
        $id = $created['config_id'];
        $this->assertStringStartsWith(WecomMock::$url, $created['qr_code']);

        $way = $this->ok('externalcontact/get_contact_way', ['config_id' => $id])['contact_way'];
        $this->assertSame(['zhangsan', 'lisi'], $way['user']);

        // The update overwrites what it is sent: send the whole member list, changed.
        $members = array_merge(array_slice($way['user'], 1), ['wangwu']);
        $this->ok('externalcontact/update_contact_way', ['config_id' => $id, 'user' => $members, 'remark' => 'autumn']);

        $way = $this->ok('externalcontact/get_contact_way', ['config_id' => $id])['contact_way'];
        $this->assertSame(['lisi', 'wangwu'], $way['user']);
        $this->assertSame('channel_spring', $way['state']);
        $this->assertSame('autumn', $way['remark']);

        $this->ok('externalcontact/del_contact_way', ['config_id' => $id]);
        $this->assertSame(41044, $this->corp->call('externalcontact/get_contact_way', ['config_id' => $id])['errcode']);
    }

    /** @return list<string> every listed config id, page by page with the cursor */
    private function walk(): array
    {
        $ids = [];
        $cursor = '';
        for ($page = 0; $page < 10; $page++) {
            $answer = $this->ok('externalcontact/list_contact_way', ['limit' => 2, 'cursor' => $cursor]);
            foreach ($answer['contact_way'] as $item) {
                $ids[] = $item['config_id'];
            }
            $cursor = $answer['next_cursor'];
            if ($cursor === '') {
                return $ids;
            }
        }
        $this->fail('the list did not end within 10 pages');
    }

    /** 6.2: list every config id with the cursor, get each, delete the ones no longer needed. */
    public function testListWalkGetAndPrune(): void
    {
        $this->corp();
        $states = ['old_a', 'keep_b', 'old_c', 'keep_d', 'old_e'];
        foreach ($states as $state) {
            $this->ok('externalcontact/add_contact_way', ['type' => 1, 'scene' => 2, 'user' => ['zhangsan'], 'state' => $state]);
        }

        $ids = $this->walk();
        $this->assertCount(count($states), $ids);
        $kept = [];
        foreach ($ids as $id) {
            $way = $this->ok('externalcontact/get_contact_way', ['config_id' => $id])['contact_way'];
            if (str_starts_with($way['state'], 'old_')) {
                $this->ok('externalcontact/del_contact_way', ['config_id' => $id]);
            } else {
                $kept[] = $id;
            }
        }
        $this->assertSame($kept, $this->walk());
    }

    /** 6.3: a group code with room auto-creation; the update (a full overwrite) resends every setting. */
    public function testGroupCodeWithRoomAutoCreation(): void
    {
        // Two customer groups of two customers each (the owner is the third member): the fifth
        // customer gets a new group.
        $this->corp([
            'departments' => [['id' => 1, 'name' => 'HQ', 'parent' => 0]],
            'members' => [['userid' => 'zhangsan', 'department' => [1]]],
            'group_chats' => [
                ['chat_id' => 'wrsales0001', 'name' => 'Sales 1', 'owner' => 'zhangsan', 'member_limit' => 3],
                ['chat_id' => 'wrsales0002', 'name' => 'Sales 2', 'owner' => 'zhangsan', 'member_limit' => 3],
            ],
        ]);
        $id = $this->ok('externalcontact/groupchat/add_join_way', [
            'scene' => 2, 'chat_id_list' => ['wrsales0001', 'wrsales0002'], 'auto_create_room' => 1,
            'room_base_name' => '销售群', 'room_base_id' => 1, 'state' => 'campaign_spring',
        ])['config_id'];

        $way = $this->ok('externalcontact/groupchat/get_join_way', ['config_id' => $id])['join_way'];
        $this->assertSame('campaign_spring', $way['state']);
        $this->assertSame(1, $way['auto_create_room']);

        $join = ['corpid' => $this->corp->corpid, 'config_id' => $id];
        for ($i = 0; $i < 4; $i++) {
            [$status, $joined] = $this->corp->admin('POST', '/__admin/join', $join);
            $this->assertSame([200, false], [$status, $joined['created_chat']]);
        }
        [, $joined] = $this->corp->admin('POST', '/__admin/join', $join);
        $this->assertTrue($joined['created_chat']);
        $this->assertSame('campaign_spring', $joined['state']);
        $chat = $this->ok('externalcontact/groupchat/get', ['chat_id' => $joined['chat_id'], 'need_name' => 1])['group_chat'];
        $this->assertSame('销售群1', $chat['name']);
        $way = $this->ok('externalcontact/groupchat/get_join_way', ['config_id' => $id])['join_way'];
        $this->assertSame(['wrsales0001', 'wrsales0002', $joined['chat_id']], $way['chat_id_list']);

        // J3 overwrites: fields left out return to their defaults, so send them all again.
        $this->ok('externalcontact/groupchat/update_join_way', [
            'config_id' => $id, 'scene' => 2, 'chat_id_list' => ['wrsales0002', $joined['chat_id']],
            'auto_create_room' => 1, 'room_base_name' => $way['room_base_name'],
            'room_base_id' => $way['room_base_id'], 'state' => $way['state'],
        ]);
        $way = $this->ok('externalcontact/groupchat/get_join_way', ['config_id' => $id])['join_way'];
        $this->assertSame(['wrsales0002', $joined['chat_id']], $way['chat_id_list']);
        $this->assertSame('campaign_spring', $way['state']);

        $this->ok('externalcontact/groupchat/del_join_way', ['config_id' => $id]);
        $this->assertNotSame(0, $this->corp->call('externalcontact/groupchat/get_join_way', ['config_id' => $id])['errcode']);
    }

    /** 6.4: a one-time temp-chat code; closing the chat sends its closing messages. */
    public function testTempChatSendsItsClosingMessages(): void
    {
        $this->corp();
        $id = $this->ok('externalcontact/add_contact_way', [
            'type' => 1, 'scene' => 2, 'user' => ['zhangsan'], 'is_temp' => true,
            'expires_in' => 86400, 'chat_expires_in' => 86400, 'conclusions' => ['text' => ['content' => '会话结束']],
        ])['config_id'];

        $scan = ['corpid' => $this->corp->corpid, 'config_id' => $id];
        [$status, $customer] = $this->corp->admin('POST', '/__admin/scan', $scan);
        $this->assertSame([200, true], [$status, $customer['temp']]);
        [$status, $refused] = $this->corp->admin('POST', '/__admin/scan', $scan);
        $this->assertSame([409, 'temp_code_used'], [$status, $refused['error']]);

        $close = ['userid' => $customer['userid'], 'external_userid' => $customer['external_userid']];
        $this->ok('externalcontact/close_temp_chat', $close);
        [, $sent] = $this->corp->admin('GET', '/__admin/messages?corpid=' . rawurlencode($this->corp->corpid));
        $this->assertCount(1, $sent['messages']);
        $message = $sent['messages'][0];
        $this->assertSame(
            ['conclusions', 'closed', $customer['external_userid'], '会话结束'],
            [$message['kind'], $message['reason'], $message['to'], $message['conclusions']['text']['content']],
        );
        $this->assertSame(84061, $this->corp->call('externalcontact/close_temp_chat', $close)['errcode']);
    }

    /** A scan of a channel code hands its state to the customer's detail (externalcontact/get). */
    public function testScanCarriesTheStateToTheCustomer(): void
    {
        $this->corp();
        $id = $this->ok('externalcontact/add_contact_way', ['type' => 1, 'scene' => 2, 'user' => ['lisi'], 'state' => 'php_spring'])['config_id'];
        [, $customer] = $this->corp->admin('POST', '/__admin/scan', ['corpid' => $this->corp->corpid, 'config_id' => $id]);
        $this->assertSame('php_spring', $customer['state']);

        $detail = $this->corp->get('externalcontact/get', ['external_userid' => $customer['external_userid']]);
        $this->assertSame(0, $detail['errcode']);
        $this->assertSame(['lisi', 'php_spring'], [$detail['follow_user'][0]['userid'], $detail['follow_user'][0]['state']]);
    }
}
