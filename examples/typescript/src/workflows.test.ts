// The seed's four workflows (§6.1–6.4) and a scan, each test in a corp of its own.

import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';

import { Corp, type Json, type Mock, startMock } from './mock.js';

let mock: Mock;

before(async () => {
  mock = await startMock();
});

after(async () => {
  await mock?.stop();
});

/** A fresh corp, deleted when the test ends. */
async function corpFor(t: TestContext, fixture?: Json): Promise<Corp> {
  const corp = await Corp.create(mock, fixture);
  t.after(() => corp.delete());
  return corp;
}

/** A WeCom call that must succeed. */
async function ok(corp: Corp, api: string, body: Json): Promise<Json> {
  const answer = await corp.call(api, body);
  assert.equal(answer.errcode, 0, `${api}: ${JSON.stringify(answer)}`);
  return answer;
}

test('6.1 a channel code: create, read, change members with a merged update, delete', async (t) => {
  const corp = await corpFor(t);
  const created = await ok(corp, 'externalcontact/add_contact_way', {
    type: 2, scene: 2, user: ['zhangsan', 'lisi'], state: 'channel_spring',
  });
  const id: string = created.config_id;
  assert.ok(created.qr_code.startsWith(mock.url));

  let way = (await ok(corp, 'externalcontact/get_contact_way', { config_id: id })).contact_way;
  assert.deepEqual(way.user, ['zhangsan', 'lisi']);

  // The update overwrites what it is sent: send the whole member list, changed.
  const members = [...way.user.filter((u: string) => u !== 'zhangsan'), 'wangwu'];
  await ok(corp, 'externalcontact/update_contact_way', { config_id: id, user: members, remark: 'autumn' });

  way = (await ok(corp, 'externalcontact/get_contact_way', { config_id: id })).contact_way;
  assert.deepEqual([way.user, way.state, way.remark], [['lisi', 'wangwu'], 'channel_spring', 'autumn']);

  await ok(corp, 'externalcontact/del_contact_way', { config_id: id });
  assert.equal((await corp.call('externalcontact/get_contact_way', { config_id: id })).errcode, 41044);
});

/** Every listed config id, page by page with the cursor. */
async function walk(corp: Corp): Promise<string[]> {
  const ids: string[] = [];
  let cursor = '';
  for (let page = 0; page < 10; page += 1) {
    const answer = await ok(corp, 'externalcontact/list_contact_way', { limit: 2, cursor });
    ids.push(...answer.contact_way.map((item: Json) => item.config_id));
    cursor = answer.next_cursor;
    if (cursor === '') return ids;
  }
  assert.fail('the list did not end within 10 pages');
}

test('6.2 the whole list: walk the cursor, get each config, delete the ones no longer needed', async (t) => {
  const corp = await corpFor(t);
  const states = ['old_a', 'keep_b', 'old_c', 'keep_d', 'old_e'];
  for (const state of states) {
    await ok(corp, 'externalcontact/add_contact_way', { type: 1, scene: 2, user: ['zhangsan'], state });
  }

  const ids = await walk(corp);
  assert.equal(ids.length, states.length);
  const kept: string[] = [];
  for (const id of ids) {
    const way = (await ok(corp, 'externalcontact/get_contact_way', { config_id: id })).contact_way;
    if (way.state.startsWith('old_')) await ok(corp, 'externalcontact/del_contact_way', { config_id: id });
    else kept.push(id);
  }
  assert.deepEqual(await walk(corp), kept);
});

test('6.3 a group code with room auto-creation; the update resends every setting', async (t) => {
  // Two customer groups of two customers each (the owner is the third member): the fifth
  // customer gets a new group.
  const corp = await corpFor(t, {
    departments: [{ id: 1, name: 'HQ', parent: 0 }],
    members: [{ userid: 'zhangsan', department: [1] }],
    group_chats: [
      { chat_id: 'wrsales0001', name: 'Sales 1', owner: 'zhangsan', member_limit: 3 },
      { chat_id: 'wrsales0002', name: 'Sales 2', owner: 'zhangsan', member_limit: 3 },
    ],
  });
  const { config_id: id } = await ok(corp, 'externalcontact/groupchat/add_join_way', {
    scene: 2, chat_id_list: ['wrsales0001', 'wrsales0002'], auto_create_room: 1,
    room_base_name: '销售群', room_base_id: 1, state: 'campaign_spring',
  });
  let way = (await ok(corp, 'externalcontact/groupchat/get_join_way', { config_id: id })).join_way;
  assert.deepEqual([way.state, way.auto_create_room], ['campaign_spring', 1]);

  const join = () => corp.admin('POST', '/__admin/join', { corpid: corp.corpid, config_id: id });
  for (let i = 0; i < 4; i += 1) {
    const joined = await join();
    assert.deepEqual([joined.status, joined.body.created_chat], [200, false]);
  }
  const { body: joined } = await join();
  assert.deepEqual([joined.created_chat, joined.state], [true, 'campaign_spring']);
  const chat = (await ok(corp, 'externalcontact/groupchat/get', { chat_id: joined.chat_id, need_name: 1 })).group_chat;
  assert.equal(chat.name, '销售群1');
  way = (await ok(corp, 'externalcontact/groupchat/get_join_way', { config_id: id })).join_way;
  assert.deepEqual(way.chat_id_list, ['wrsales0001', 'wrsales0002', joined.chat_id]);

  // J3 overwrites: fields left out return to their defaults, so send them all again.
  const { room_base_name, room_base_id, state } = way;
  await ok(corp, 'externalcontact/groupchat/update_join_way', {
    config_id: id, scene: 2, chat_id_list: ['wrsales0002', joined.chat_id], auto_create_room: 1, room_base_name, room_base_id, state,
  });
  way = (await ok(corp, 'externalcontact/groupchat/get_join_way', { config_id: id })).join_way;
  assert.deepEqual([way.chat_id_list, way.state], [['wrsales0002', joined.chat_id], 'campaign_spring']);

  await ok(corp, 'externalcontact/groupchat/del_join_way', { config_id: id });
  assert.notEqual((await corp.call('externalcontact/groupchat/get_join_way', { config_id: id })).errcode, 0);
});

test('6.4 a one-time temp-chat code; closing the chat sends its closing messages', async (t) => {
  const corp = await corpFor(t);
  const { config_id: id } = await ok(corp, 'externalcontact/add_contact_way', {
    type: 1, scene: 2, user: ['zhangsan'], is_temp: true, expires_in: 86400, chat_expires_in: 86400,
    conclusions: { text: { content: '会话结束' } },
  });

  const scan = { corpid: corp.corpid, config_id: id };
  const { status, body: customer } = await corp.admin('POST', '/__admin/scan', scan);
  assert.deepEqual([status, customer.temp], [200, true]);
  const refused = await corp.admin('POST', '/__admin/scan', scan);
  assert.deepEqual([refused.status, refused.body.error], [409, 'temp_code_used']);

  const close = { userid: customer.userid, external_userid: customer.external_userid };
  await ok(corp, 'externalcontact/close_temp_chat', close);
  const { messages } = (await corp.admin('GET', `/__admin/messages?corpid=${encodeURIComponent(corp.corpid)}`)).body;
  assert.deepEqual(
    messages.map((m: Json) => [m.kind, m.reason, m.to, m.conclusions.text.content]),
    [['conclusions', 'closed', customer.external_userid, '会话结束']],
  );
  assert.equal((await corp.call('externalcontact/close_temp_chat', close)).errcode, 84061);
});

test('a scan of a channel code hands its state to the customer detail', async (t) => {
  const corp = await corpFor(t);
  const { config_id } = await ok(corp, 'externalcontact/add_contact_way', { type: 1, scene: 2, user: ['lisi'], state: 'ts_spring' });
  const { body: customer } = await corp.admin('POST', '/__admin/scan', { corpid: corp.corpid, config_id });
  assert.equal(customer.state, 'ts_spring');

  const detail = await corp.get('externalcontact/get', { external_userid: customer.external_userid });
  assert.equal(detail.errcode, 0);
  assert.deepEqual(detail.follow_user.map((f: Json) => [f.userid, f.state]), [['lisi', 'ts_spring']]);
});
