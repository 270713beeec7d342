'use strict';
// Starts and drives a `wecom-mock` server process from Node tests. Node's standard library only
// (child_process, fs, path and the built-in fetch), so installing the package pulls nothing else.
//
// The server runs under a small tether process (`tether.js`) whose stdin is a pipe from this
// process: when this process ends in any way, SIGKILL included, the pipe closes and the tether
// stops the server. A killed test run therefore never leaves a mock listening.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** The environment variable naming a binary to start instead of the packaged one. */
const BINARY_ENV = 'WECOM_MOCK_BIN';
const BINARY_NAME = process.platform === 'win32' ? 'wecom-mock.exe' : 'wecom-mock';
const TETHER = path.join(__dirname, 'tether.js');

// The first line the binary prints on stdout once it listens; the tether adds the server's pid.
const BANNER = /wecom-mock listening on (http:\/\/\S+)/;
const PID_LINE = /^wecom-mock pid (\d+)$/m;

/** The server could not be found, started or reached. */
class MockServerError extends Error {
  constructor(message) {
    super(message);
    this.name = 'MockServerError';
  }
}

/** The control surface (`/__admin/…`) refused a request: HTTP `status`, the `error` code. */
class AdminError extends Error {
  constructor(status, error, message) {
    super(`${status} ${error}: ${message}`);
    this.name = 'AdminError';
    this.status = status;
    this.error = error;
    this.detail = message;
  }
}

/** A WeCom call made by this module (`token()`) answered a non-zero `errcode`. */
class ApiError extends Error {
  constructor(errcode, errmsg) {
    super(`errcode ${errcode}: ${errmsg}`);
    this.name = 'ApiError';
    this.errcode = errcode;
    this.errmsg = errmsg;
  }
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The program to start: `binary`, else `$WECOM_MOCK_BIN`, else the one in this package (or in
 * its per-platform package `@wecom-mock/<platform>-<arch>`), else `wecom-mock` on PATH.
 */
function findBinary(binary) {
  const explicit = binary ?? (process.env[BINARY_ENV] || undefined);
  if (explicit !== undefined) {
    const file = path.resolve(String(explicit));
    if (!fs.existsSync(file)) throw new MockServerError(`no wecom-mock binary at ${file} (ENOENT)`);
    if (!isExecutable(file)) throw new MockServerError(`${file} is not an executable file (EACCES)`);
    return file;
  }
  const bundled = path.join(__dirname, 'bin', BINARY_NAME);
  if (isExecutable(bundled)) return bundled;
  try {
    const platformPackage = `@wecom-mock/${process.platform}-${process.arch}/bin/${BINARY_NAME}`;
    const resolved = require.resolve(platformPackage);
    if (isExecutable(resolved)) return resolved;
  } catch {
    // No package for this platform installed.
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir || '.', BINARY_NAME);
    if (dir && isExecutable(candidate)) return candidate;
  }
  throw new MockServerError(
    `cannot find the ${BINARY_NAME} binary for ${process.platform}-${process.arch}: ` +
      `set $${BINARY_ENV} or pass { binary }`,
  );
}

/** The value of `--name VALUE` or `--name=VALUE` in `args`. */
function option(args, name) {
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === name && i + 1 < args.length) return args[i + 1];
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
  }
  return undefined;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class MockServer {
  /**
   * Starts a server on a free loopback port and resolves once `GET /healthz` answers 200.
   * Options: `binary`, `args` (extra flags: `--seed`, `--fixtures`, `--admin-token`, …),
   * `timeoutMs` (default 30 000).
   */
  static async start(options = {}) {
    const server = new MockServer(options);
    await server.#start();
    return server;
  }

  #binary;
  #args;
  #timeoutMs;
  #adminToken;
  #tenants = new Map();
  #child = null;
  #exited = null;
  #stopping = null;
  #stderr = '';

  /** @private Use `MockServer.start()`. */
  constructor({ binary, args = [], timeoutMs = 30_000 } = {}) {
    this.#binary = binary;
    this.#args = args.map(String);
    this.#timeoutMs = timeoutMs;
    this.#adminToken = option(this.#args, '--admin-token') ?? process.env.WECOM_MOCK_ADMIN_TOKEN;
    this.url = '';
    this.pid = 0;
    this.corpid = '';
    this.secret = '';
    this.agentid = 0;
  }

  async #start() {
    const binary = findBinary(this.#binary);
    const listen = option(this.#args, '--listen') === undefined ? ['--listen', '127.0.0.1:0'] : [];
    const child = spawn(process.execPath, [TETHER, binary, ...listen, ...this.#args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
    });
    child.stdin.on('error', () => {}); // the tether gone first: nothing to tell it
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    try {
      const { url, pid } = await this.#readBanner(child);
      this.url = url;
      this.pid = pid;
      await this.#waitHealthy();
      const { corps } = await this.admin('GET', '/__admin/corps');
      const [first] = corps;
      if (first?.apps?.length) {
        this.corpid = first.corpid;
        this.secret = first.apps[0].secret;
        this.agentid = first.apps[0].agentid;
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    // A test that forgets stop() must not hang its runner: the tether ends the server when this
    // process exits, so nothing here needs to keep the event loop alive.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) stream.unref?.();
  }

  #readBanner(child) {
    return new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => fail(`printed no address within ${this.#timeoutMs} ms`), this.#timeoutMs);
      const fail = (what) => {
        clearTimeout(timer);
        reject(new MockServerError(`wecom-mock ${what}:\n${this.#stderr}`));
      };
      child.stdout.setEncoding('utf8').on('data', (chunk) => {
        if (seen === null) return; // banner read: the rest is drained so the server never blocks
        seen += chunk;
        const banner = BANNER.exec(seen);
        const pid = PID_LINE.exec(seen);
        if (banner && pid) {
          seen = null;
          clearTimeout(timer);
          resolve({ url: banner[1], pid: Number(pid[1]) });
        }
      });
      this.#exited.then(({ code, signal, error }) => {
        if (seen === null) return;
        fail(error ? `could not start: ${error.message}` : `exited with ${signal ?? `status ${code}`}`);
      });
    });
  }

  async #waitHealthy() {
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      try {
        if ((await fetch(`${this.url}/healthz`)).status === 200) return;
      } catch {
        // not listening yet
      }
      if (this.#child.exitCode !== null || this.#child.signalCode !== null || Date.now() > deadline) {
        throw new MockServerError(`wecom-mock did not become healthy:\n${this.#stderr}`);
      }
      await sleep(50);
    }
  }

  /**
   * Stops the server (SIGTERM; it finishes in-flight requests) and resolves once it has exited.
   * Calling it again, or after a failed start, is harmless and resolves the same way.
   */
  stop() {
    if (this.#stopping) return this.#stopping;
    const child = this.#child;
    if (!child) return Promise.resolve();
    this.#stopping = (async () => {
      child.ref(); // keep the process alive until the server has exited
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await this.#exited;
    })();
    return this.#stopping;
  }

  /** The stderr the server wrote last (at most 4000 characters), for failure messages. */
  get stderr() {
    return this.#stderr;
  }

  async #request(method, pathAndQuery, body, token) {
    if (!this.url) throw new MockServerError('the server is not running');
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const answer = await fetch(this.url + pathAndQuery, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await answer.text();
    let value = null;
    try {
      value = text ? JSON.parse(text) : null;
    } catch {
      if (answer.ok) throw new MockServerError(`${method} ${pathAndQuery}: not JSON: ${text.slice(0, 200)}`);
    }
    if (!answer.ok) {
      const error = typeof value?.error === 'string' ? value.error : 'http_error';
      throw new AdminError(answer.status, error, value?.message ?? text);
    }
    return value;
  }

  /**
   * Any control-surface call: `admin('POST', '/__admin/clock', { advance: 60 })`. Resolves to
   * the JSON answer (`null` for 204); rejects with `AdminError` on 4xx/5xx. Calls about a tenant
   * this server created (`corpid` given) carry that tenant's token, others the operator's.
   */
  admin(method, pathAndQuery, body, corpid) {
    const tenant = corpid === undefined ? undefined : this.#tenants.get(corpid);
    return this.#request(method, pathAndQuery, body, tenant?.admin_token ?? this.#adminToken);
  }

  /**
   * An access token of `corpid`'s app (default: the default corp; a tenant of this server uses
   * its own secret). Rejects with `ApiError` on a non-zero errcode.
   */
  async token(corpid = this.corpid, secret = undefined) {
    const key = secret ?? this.#tenants.get(corpid)?.secret ?? this.secret;
    const query = new URLSearchParams({ corpid, corpsecret: key });
    const answer = await this.#request('GET', `/cgi-bin/gettoken?${query}`);
    if (answer.errcode !== 0) throw new ApiError(answer.errcode, answer.errmsg);
    return answer.access_token;
  }

  /** A fresh corp with the default directory: `{ corpid, secret, agentid, admin_token }`. */
  async tenant(body = {}) {
    const tenant = await this.admin('POST', '/__admin/tenants', body);
    this.#tenants.set(tenant.corpid, tenant);
    return tenant;
  }

  /** Deletes a corp (a tenant's ends the tenant). */
  async deleteCorp(corpid) {
    await this.admin('DELETE', `/__admin/corps/${encodeURIComponent(corpid)}`, undefined, corpid);
    this.#tenants.delete(corpid);
  }

  /** A customer scans a Contact Me config → `{ external_userid, userid, state, temp, welcome_code }`. */
  scan(corpid, configId, fields = {}) {
    return this.admin('POST', '/__admin/scan', { corpid, config_id: configId, ...fields }, corpid);
  }

  /** A customer joins through a Join Group config → `{ external_userid, chat_id, state, created_chat }`. */
  join(corpid, configId, fields = {}) {
    return this.admin('POST', '/__admin/join', { corpid, config_id: configId, ...fields }, corpid);
  }

  /** Closing messages and callbacks sent, oldest first (`corpid`'s only when given). */
  async messages(corpid) {
    const query = corpid === undefined ? '' : `?corpid=${encodeURIComponent(corpid)}`;
    return (await this.admin('GET', `/__admin/messages${query}`, undefined, corpid)).messages;
  }
}

module.exports = { MockServer, MockServerError, AdminError, ApiError, findBinary, BINARY_ENV };
