// The dashboard at /__admin/ui in headless Chromium: start wecom-mock with a corp whose app
// has a callback URL, create a Contact Me and a Join Group config through the WeCom API, open
// the page with the admin token, press "Simulate scan" and "Simulate join", and see the
// customer, the group filling up and the callbacks appear. The callbacks reach a receiver here
// that checks their signatures and decrypts them with Node's own crypto (an implementation
// independent of the mock's). Saves a screenshot (docs/dashboard.png with UPDATE_SCREENSHOT=1).
//
// Needs Debian's chromium (/usr/bin/chromium, or CHROMIUM) and the wecom-mock binary
// (target/debug/wecom-mock, or WECOM_MOCK_BIN): `.ci/run` provides both.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createDecipheriv, createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join as joinPath, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const MOCK = process.env.WECOM_MOCK_BIN ?? joinPath(root, 'target', 'debug', 'wecom-mock');
const BROWSER = process.env.CHROMIUM ?? '/usr/bin/chromium';
// docs/dashboard.png is the committed picture; CI writes to the target dir unless asked to
// refresh it (UPDATE_SCREENSHOT=1), so a run leaves the checkout clean.
const SCREENSHOT = process.env.UPDATE_SCREENSHOT === '1'
  ? joinPath(root, 'docs', 'dashboard.png')
  : joinPath(root, 'target', 'dashboard.png');

const CORPID = 'wwuitest00000001';
const SECRET = 'ui-secret';
const ADMIN_TOKEN = 'ui-admin-token';
const TOKEN = 'ui-callback-token';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
// 2025-06-15 15:06:40 UTC: a fixed clock keeps the screenshot's times stable.
const T0 = 1750000000;

/** Checks msg_signature and decrypts like a WeCom callback handler; returns the event XML. */
function openCallback(query, body) {
  const encrypt = /<Encrypt><!\[CDATA\[(.*?)\]\]><\/Encrypt>/s.exec(body)?.[1];
  assert.ok(encrypt, `no Encrypt in ${body}`);
  const parts = [TOKEN, query.get('timestamp'), query.get('nonce'), encrypt].sort();
  const signature = createHash('sha1').update(parts.join('')).digest('hex');
  assert.equal(query.get('msg_signature'), signature, 'msg_signature');
  const key = Buffer.from(AES_KEY + '=', 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
  const pad = plain[plain.length - 1];
  assert.ok(pad >= 1 && pad <= 32, 'PKCS#7 to 32 bytes');
  const length = plain.readUInt32BE(16);
  const message = plain.subarray(20, 20 + length).toString('utf8');
  assert.equal(plain.subarray(20 + length, plain.length - pad).toString('utf8'), CORPID, 'receive id');
  return message;
}

const field = (xml, tag) => new RegExp(`<${tag}>(?:<!\\[CDATA\\[)?(.*?)(?:\\]\\]>)?</${tag}>`, 's').exec(xml)?.[1];

/** A callback receiver: every decrypted event, in arrival order. */
async function startReceiver() {
  const events = [];
  const waiters = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const query = new URL(req.url, 'http://receiver').searchParams;
      try {
        events.push(openCallback(query, Buffer.concat(chunks).toString('utf8')));
        res.end('success');
      } catch (err) {
        events.push(err);
        res.statusCode = 400;
        res.end(String(err));
      }
      waiters.splice(0).forEach((wake) => wake());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${server.address().port}/wecom/callback`;
  const next = async (index) => {
    while (events.length <= index) await new Promise((wake) => waiters.push(wake));
    if (events[index] instanceof Error) throw events[index];
    return events[index];
  };
  return { url, next, close: () => server.close() };
}

/** Starts the mock on a free port (the default corp without fixtures); resolves with its base
 * URL once it prints it. */
async function startMock(fixtures) {
  const corps = fixtures ? ['--fixtures', fixtures] : [];
  const child = spawn(MOCK, ['--listen', '127.0.0.1:0', ...corps, '--admin-token', ADMIN_TOKEN, '--seed', '9'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const base = await new Promise((resolveBase, reject) => {
    child.on('exit', (code) => reject(new Error(`wecom-mock exited with ${code}: ${out}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const found = /listening on (http:\/\/\S+)/.exec(out);
      if (found) resolveBase(found[1]);
    });
  });
  return { base, stop: () => child.kill('SIGTERM') };
}

async function wecom(base, path, body, token) {
  const url = `${base}/cgi-bin/${path}${token ? `?access_token=${token}` : ''}`;
  const answer = await fetch(url, body ? { method: 'POST', body: JSON.stringify(body) } : {});
  const json = await answer.json();
  assert.equal(json.errcode, 0, `${path}: ${JSON.stringify(json)}`);
  return json;
}

test('healthz answers ok and the version the binary reports, without the admin token', async (t) => {
  const printed = execFileSync(MOCK, ['--version'], { encoding: 'utf8' }).trim();
  const version = /^wecom-mock (\S+)$/.exec(printed)?.[1];
  assert.ok(version, `--version prints "wecom-mock <version>": ${printed}`);
  const mock = await startMock(null);
  t.after(mock.stop);
  const answer = await fetch(`${mock.base}/healthz`);
  assert.equal(answer.status, 200);
  assert.deepEqual(await answer.json(), { status: 'ok', version });
});

test('the dashboard shows configs, simulates a scan and a join, and shows the customer and the callbacks', async (t) => {
  const receiver = await startReceiver();
  t.after(receiver.close);
  const dir = mkdtempSync(joinPath(tmpdir(), 'wecom-ui-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fixtures = joinPath(dir, 'corps.json');
  writeFileSync(fixtures, JSON.stringify({
    corps: [{
      corpid: CORPID,
      name: 'Riverside Clinic',
      industry: 'medical',
      apps: [{ agentid: 1000001, secret: SECRET, callback: { url: receiver.url, token: TOKEN, encoding_aes_key: AES_KEY } }],
      departments: [{ id: 1, name: 'Front desk', parent: 0 }],
      members: [
        { userid: 'zhangsan', name: '张三', department: [1] },
        { userid: 'lisi', name: '李四', department: [1] },
      ],
      group_chats: [{ chat_id: 'wruitestchat01', name: 'VIP 客户群', owner: 'zhangsan', member_limit: 3 }],
    }],
  }));
  const mock = await startMock(fixtures);
  t.after(mock.stop);
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' };
  await fetch(`${mock.base}/__admin/clock`, { method: 'POST', headers: admin, body: JSON.stringify({ set: T0 }) });

  const { access_token: token } = await wecom(mock.base, `gettoken?corpid=${CORPID}&corpsecret=${SECRET}`);
  const contact = await wecom(mock.base, 'externalcontact/add_contact_way', {
    type: 2, scene: 2, user: ['zhangsan', 'lisi'], state: 'spring-fair', remark: 'Spring fair booth',
  }, token);
  const join = await wecom(mock.base, 'externalcontact/groupchat/add_join_way', {
    scene: 2, chat_id_list: ['wruitestchat01'], state: 'vip-group', remark: 'VIP group',
    auto_create_room: 1, room_base_name: 'VIP 客户群 ', room_base_id: 2,
  }, token);

  const browser = await chromium.launch({
    executablePath: BROWSER,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(msg.text()); });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });

  await page.goto(`${mock.base}/__admin/ui?token=${ADMIN_TOKEN}`);
  const card = page.locator(`article[data-config-id="${contact.config_id}"]`);
  await card.waitFor();
  assert.match(await card.locator('.state').innerText(), /spring-fair/);
  const qrWidth = await card.locator('img.qr').evaluate(async (img) => {
    await img.decode();
    return img.naturalWidth;
  });
  assert.ok(qrWidth > 100, `the QR code is a real picture (${qrWidth} px)`);

  // Simulate scan: the customer appears, the callback is delivered and shown with HTTP 200.
  await card.getByRole('button', { name: 'Simulate scan' }).click();
  await page.locator('#status').filter({ hasText: 'scan:' }).waitFor();
  const external = /scan: (\S+) added/.exec(await page.locator('#status').innerText())[1];
  await page.locator('table.customers tbody tr', { hasText: external }).waitFor();
  const added = await receiver.next(0);
  assert.equal(field(added, 'ChangeType'), 'add_external_contact');
  assert.equal(field(added, 'ExternalUserID'), external);
  assert.equal(field(added, 'State'), 'spring-fair');
  await page.locator('table.messages tr.callback', { hasText: 'add_external_contact' }).locator('.ok', { hasText: '200' }).waitFor();

  // Simulate join: the group fills up and the join callback is shown.
  const joinCard = page.locator(`article[data-config-id="${join.config_id}"]`);
  await joinCard.getByRole('button', { name: 'Simulate join' }).click();
  await page.locator('#status').filter({ hasText: 'join:' }).waitFor();
  await joinCard.locator('ul.groups .num', { hasText: '2 / 3' }).waitFor();
  const joined = await receiver.next(1);
  assert.equal(field(joined, 'UpdateDetail'), 'add_member');
  assert.equal(field(joined, 'JoinScene'), '3');
  await page.locator('table.messages tr.callback', { hasText: 'add_member' }).locator('.ok', { hasText: '200' }).waitFor();

  // A second scan, so the screenshot shows the round-robin at work.
  await card.getByRole('button', { name: 'Simulate scan' }).click();
  await page.locator('table.customers tbody tr').nth(1).waitFor();
  await page.locator('table.messages tr.callback').nth(2).locator('.ok').waitFor();

  assert.deepEqual(problems, [], 'no script errors and no refused loads (CSP) on the page');
  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
});
