'use strict';
// The package's own tests: start-up, the helpers, errors, and the process's lifetime (stop()
// twice, no orphan after the test process is killed or forgets stop()). They run against
// $WECOM_MOCK_BIN, or the packaged binary once installed. Run: node --test test/

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');

const { MockServer, MockServerError, AdminError, ApiError } = require('..');

const PACKAGE = path.join(__dirname, '..');

/** Whether a process with this id exists (signal 0 checks without sending anything). */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

async function gone(pid, url, withinMs = 10_000) {
  const deadline = Date.now() + withinMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(alive(pid), false, `wecom-mock ${pid} still runs`);
  await assert.rejects(fetch(`${url}/healthz`), 'nothing listens on the address any more');
}

/** Runs `script` in a fresh Node process that starts a server and prints `{url, pid}`. */
function startInChild(script) {
  const child = spawn(process.execPath, ['-e', script], { cwd: PACKAGE, stdio: ['ignore', 'pipe', 'inherit'] });
  const started = new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      seen += chunk;
      const line = seen.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`the test process exited with ${code} before starting`)));
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, started, exited };
}

test('start() gives the address and the default corp, whose token works', async () => {
  const mock = await MockServer.start();
  try {
    assert.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(mock.corpid, 'wwmock0000000001');
    assert.equal(mock.secret, 'mock-secret');
    assert.equal(mock.agentid, 1000001);
    assert.ok(alive(mock.pid));
    assert.match(await mock.token(), /^\S{16,}$/);
  } finally {
    await mock.stop();
  }
});

test('a tenant adds a config, and its scan hands the state to the customer', async () => {
  const mock = await MockServer.start();
  try {
    const corp = await mock.tenant();
    assert.notEqual(corp.corpid, mock.corpid);
    assert.ok(corp.admin_token);
    const token = await mock.token(corp.corpid);
    const answer = await fetch(`${mock.url}/cgi-bin/externalcontact/add_contact_way?access_token=${token}`, {
      method: 'POST',
      body: JSON.stringify({ type: 1, scene: 2, user: ['zhangsan'], state: 'npm' }),
    });
    const created = await answer.json();
    assert.equal(created.errcode, 0, JSON.stringify(created));
    const customer = await mock.scan(corp.corpid, created.config_id);
    assert.equal(customer.state, 'npm');
    assert.equal(customer.userid, 'zhangsan');
    await mock.deleteCorp(corp.corpid);
    await assert.rejects(mock.token(corp.corpid, corp.secret), (err) => err instanceof ApiError && err.errcode === 40013);
  } finally {
    await mock.stop();
  }
});

test('a refused control call rejects with AdminError carrying the status and code', async () => {
  const mock = await MockServer.start();
  try {
    await assert.rejects(
      mock.scan(mock.corpid, '0'.repeat(32)),
      (err) => err instanceof AdminError && err.status === 404 && err.error === 'config_not_found',
    );
    const clock = await mock.admin('POST', '/__admin/clock', { set: 1_700_000_000 });
    assert.deepEqual(clock, { now: 1_700_000_000, frozen: true });
  } finally {
    await mock.stop();
  }
});

test('a wrong secret rejects token() with ApiError carrying the errcode', async () => {
  const mock = await MockServer.start();
  try {
    await assert.rejects(mock.token(mock.corpid, 'wrong'), (err) => err instanceof ApiError && err.errcode === 40001);
  } finally {
    await mock.stop();
  }
});

test('stop() twice is harmless, and the server is gone after the first', async () => {
  const mock = await MockServer.start();
  await mock.stop();
  await gone(mock.pid, mock.url, 0);
  await mock.stop();
});

test('a killed test process leaves no server running', async () => {
  const script = `
    const { MockServer } = require('.');
    MockServer.start().then((mock) => {
      console.log(JSON.stringify({ url: mock.url, pid: mock.pid }));
      setInterval(() => {}, 1000); // a test that hangs until it is killed
    });`;
  const { child, started, exited } = startInChild(script);
  const { url, pid } = await started;
  assert.ok(alive(pid));
  child.kill('SIGKILL');
  assert.equal((await exited).signal, 'SIGKILL');
  await gone(pid, url);
});

test('a test process that forgets stop() still exits, and takes the server with it', async () => {
  const script = `
    const { MockServer } = require('.');
    MockServer.start().then((mock) => console.log(JSON.stringify({ url: mock.url, pid: mock.pid })));`;
  const { started, exited } = startInChild(script);
  const { url, pid } = await started;
  assert.deepEqual(await exited, { code: 0, signal: null });
  await gone(pid, url);
});

test('a binary that is not there fails fast with the reason', async () => {
  await assert.rejects(MockServer.start({ binary: '/nonexistent/wecom-mock' }), (err) => {
    return err instanceof MockServerError && /ENOENT/.test(err.message);
  });
});

test('a file that is not executable is named as such', async () => {
  await assert.rejects(MockServer.start({ binary: __filename }), (err) => {
    return err instanceof MockServerError && err.message.includes(`${__filename} is not an executable file`);
  });
});

test('a server that exits at start-up rejects with its status and stderr', async () => {
  await assert.rejects(MockServer.start({ args: ['--no-such-flag'] }), (err) => {
    return err instanceof MockServerError && /exited with status 2/.test(err.message) && /no-such-flag/.test(err.message);
  });
});

test('the ESM entry exports the same classes', async () => {
  const esm = await import('../index.mjs');
  assert.equal(esm.MockServer, MockServer);
  assert.equal(esm.AdminError, AdminError);
  assert.equal(esm.default.ApiError, ApiError);
});
