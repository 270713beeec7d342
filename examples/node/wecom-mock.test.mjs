// A Node service's test against wecom-mock: the WeCom calls go through plain fetch (stand-in
// for your own client code, pointed at mock.url), the simulated customers through the mock's
// control surface. Run: WECOM_MOCK_BIN=path/to/wecom-mock node --test

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { AdminError, startMock } from './wecom-mock.mjs';

let mock;
let token;

before(async () => {
  mock = await startMock();
  const answer = await (await fetch(`${mock.url}/cgi-bin/gettoken?corpid=${mock.corpid}&corpsecret=${mock.secret}`)).json();
  assert.equal(answer.errcode, 0, JSON.stringify(answer));
  token = answer.access_token;
});

after(async () => {
  await mock?.stop();
});

/** A WeCom API call as any client makes it: HTTP 200, the outcome in `errcode`. */
async function wecom(path, body) {
  const answer = await fetch(`${mock.url}/cgi-bin/${path}?access_token=${token}`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(answer.status, 200);
  return answer.json();
}

test('a scanned Contact Me config hands its state to the customer detail', async () => {
  const created = await wecom('externalcontact/add_contact_way', { type: 1, scene: 2, user: ['zhangsan'], state: 'node-spring' });
  assert.equal(created.errcode, 0, JSON.stringify(created));
  assert.ok(created.qr_code.startsWith(mock.url));

  const customer = await mock.admin('POST', '/__admin/scan', { corpid: mock.corpid, config_id: created.config_id });
  assert.equal(customer.state, 'node-spring');

  const detail = await (await fetch(`${mock.url}/cgi-bin/externalcontact/get?access_token=${token}&external_userid=${customer.external_userid}`)).json();
  assert.equal(detail.errcode, 0);
  assert.deepEqual(detail.follow_user.map((f) => [f.userid, f.state]), [['zhangsan', 'node-spring']]);
});

test('a wrong request gets the WeCom envelope, not an HTTP error', async () => {
  const answer = await wecom('externalcontact/add_contact_way', { type: 1, scene: 2, user: ['zhangsan'], remark: 'x'.repeat(31) });
  assert.equal(answer.errcode, 40058);
  assert.match(answer.errmsg, /hint: \[/);
});

test('an injected fault answers once, then the call goes through', async () => {
  const { id } = await mock.admin('POST', '/__admin/faults', { path: 'get_join_way', errcode: -1, times: 1 });
  assert.ok(id);
  const created = await wecom('externalcontact/groupchat/add_join_way', { scene: 2, chat_id_list: ['wrmockchat0002'] });
  assert.equal(created.errcode, 0, JSON.stringify(created));
  assert.equal((await wecom('externalcontact/groupchat/get_join_way', { config_id: created.config_id })).errcode, -1);
  const read = await wecom('externalcontact/groupchat/get_join_way', { config_id: created.config_id });
  assert.equal(read.errcode, 0);
  assert.deepEqual(read.join_way.chat_id_list, ['wrmockchat0002']);
  await mock.admin('DELETE', '/__admin/faults');
});

test('control-surface errors carry the HTTP status and the error code', async () => {
  await assert.rejects(
    mock.admin('POST', '/__admin/scan', { corpid: mock.corpid, config_id: '0'.repeat(32) }),
    (err) => err instanceof AdminError && err.status === 404 && err.error === 'config_not_found',
  );
});

test('a binary that is not there fails fast with the reason', async () => {
  await assert.rejects(startMock({ binary: '/nonexistent/wecom-mock' }), /ENOENT/);
});
