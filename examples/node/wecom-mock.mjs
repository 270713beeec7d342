// Starts a wecom-mock process for a test and stops it afterwards; copy this file into your
// project. Node's own child_process and fetch only, no dependencies.
//
//   const mock = await startMock();          // $WECOM_MOCK_BIN, or `wecom-mock` on PATH
//   ... point your WeCom client at mock.url ...
//   await mock.stop();
//
// The server listens on port 0 (the kernel picks a free port, so parallel test files never
// collide), prints `wecom-mock listening on http://127.0.0.1:PORT` as its first line, and is
// ready when GET /healthz answers 200: the same wait testcontainers' HTTP wait strategy makes.

import { spawn } from 'node:child_process';
import { once } from 'node:events';

const BANNER = /wecom-mock listening on (http:\/\/\S+)/;

/** Starts wecom-mock; resolves to `{ url, corpid, secret, agentid, admin, stop }` once healthy. */
export async function startMock({ binary = process.env.WECOM_MOCK_BIN ?? 'wecom-mock', args = [], timeoutMs = 30_000 } = {}) {
  const child = spawn(binary, ['--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
  const exited = once(child, 'exit').then(([code]) => { throw new Error(`wecom-mock exited with ${code}:\n${stderr}`); });
  const failedToSpawn = once(child, 'error').then(([err]) => { throw err; });
  // A process that failed to spawn may never emit 'exit'.
  const stopped = Promise.race([exited, failedToSpawn]).catch(() => {});
  const deadline = Date.now() + timeoutMs;
  const timeout = (what) => new Promise((_, reject) => {
    setTimeout(() => reject(new Error(`wecom-mock: no ${what} within ${timeoutMs} ms:\n${stderr}`)), Math.max(0, deadline - Date.now())).unref();
  });

  const banner = new Promise((resolve) => {
    let seen = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      seen += chunk;
      const match = BANNER.exec(seen);
      if (match) resolve(match[1]);
    });
  });
  try {
    const url = await Promise.race([banner, exited, failedToSpawn, timeout('address')]);
    await Promise.race([waitHealthy(url, deadline), exited, timeout('healthy /healthz')]);
    const admin = (method, path, body) => adminCall(url, method, path, body);
    const { corps } = await admin('GET', '/__admin/corps');
    const [first] = corps;
    return {
      url,
      corpid: first.corpid,
      secret: first.apps[0].secret,
      agentid: first.apps[0].agentid,
      admin,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await stopped;
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    await stopped;
    throw err;
  }
}

async function waitHealthy(url, deadline) {
  for (;;) {
    try {
      const answer = await fetch(`${url}/healthz`);
      if (answer.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('wecom-mock did not become healthy');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An error of the control surface: HTTP status plus the `error` code of its body. */
export class AdminError extends Error {
  constructor(status, error, message) {
    super(`${status} ${error}: ${message}`);
    this.status = status;
    this.error = error;
  }
}

async function adminCall(url, method, path, body) {
  const answer = await fetch(url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  const value = text ? JSON.parse(text) : null;
  if (!answer.ok) throw new AdminError(answer.status, value?.error, value?.message);
  return value;
}
