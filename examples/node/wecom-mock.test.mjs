// A Node service's tests against wecom-mock, started by the `wecom-mock` npm package: the WeCom
// calls go through plain fetch (stand-in for your own client code, pointed at mock.url), the
// simulated customers through the package's control-surface helpers. Install the package first
// (README.md); it brings the binary, so no Rust toolchain is needed here.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { AdminError, ApiError, MockServer } from 'wecom-mock';

let mock;

before(async () => {
  mock = await MockServer.start();
});

after(async () => {
  await mock?.stop();
});

/** A WeCom API call as any client makes it: HTTP 200, the outcome in `errcode`. */
async function wecom(token, path, body) {
  const answer = await fetch(`${mock.url}/cgi-bin/${path}?access_token=${token}`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(answer.status, 200);
  return answer.json();
}

test('a tenant of its own: add a config, a customer scans it, the state reaches the customer detail', async () => {
  const corp = await mock.tenant();
  const token = await mock.token(corp.corpid);
  const created = await wecom(token, 'externalcontact/add_contact_way', { type: 1, scene: 2, user: ['zhangsan'], state: 'node-spring' });
  assert.equal(created.errcode, 0, JSON.stringify(created));
  assert.ok(created.qr_code.startsWith(mock.url));

  const customer = await mock.scan(corp.corpid, created.config_id);
  assert.equal(customer.state, 'node-spring');

  const detail = await (await fetch(`${mock.url}/cgi-bin/externalcontact/get?access_token=${token}&external_userid=${customer.external_userid}`)).json();
  assert.equal(detail.errcode, 0);
  assert.deepEqual(detail.follow_user.map((f) => [f.userid, f.state]), [['zhangsan', 'node-spring']]);
  await mock.deleteCorp(corp.corpid);
});

test('a wrong request gets the WeCom envelope, not an HTTP error', async () => {
  const answer = await wecom(await mock.token(), 'externalcontact/add_contact_way', { type: 1, scene: 2, user: ['zhangsan'], remark: 'x'.repeat(31) });
  assert.equal(answer.errcode, 40058);
  assert.match(answer.errmsg, /hint: \[/);
});

test('an injected fault answers once, then the call goes through', async () => {
  const token = await mock.token();
  const { id } = await mock.admin('POST', '/__admin/faults', { path: 'get_join_way', errcode: -1, times: 1 });
  assert.ok(id);
  const created = await wecom(token, 'externalcontact/groupchat/add_join_way', { scene: 2, chat_id_list: ['wrmockchat0002'] });
  assert.equal(created.errcode, 0, JSON.stringify(created));
  assert.equal((await wecom(token, 'externalcontact/groupchat/get_join_way', { config_id: created.config_id })).errcode, -1);
  const read = await wecom(token, 'externalcontact/groupchat/get_join_way', { config_id: created.config_id });
  assert.equal(read.errcode, 0);
  assert.deepEqual(read.join_way.chat_id_list, ['wrmockchat0002']);
  await mock.admin('DELETE', '/__admin/faults');
});

test('control-surface errors carry the HTTP status and the error code', async () => {
  await assert.rejects(
    mock.scan(mock.corpid, '0'.repeat(32)),
    (err) => err instanceof AdminError && err.status === 404 && err.error === 'config_not_found',
  );
});

test('a refused gettoken rejects with the errcode', async () => {
  await assert.rejects(mock.token(mock.corpid, 'not-the-secret'), (err) => err instanceof ApiError && err.errcode === 40001);
});

test('the packaged binary is the one started', async () => {
  const { findBinary } = await import('wecom-mock');
  assert.equal(process.env.WECOM_MOCK_BIN, undefined, 'run without $WECOM_MOCK_BIN to test the package');
  assert.match(findBinary(), /node_modules\/wecom-mock\/bin\/wecom-mock$/);
});
