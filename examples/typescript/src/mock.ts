// Starting wecom-mock from a TypeScript test and talking to it with the built-in fetch: the
// helpers the workflow tests use. Copy this file into your project and point your WeCom client
// at `mock.url`. (Node users can `npm install wecom-mock` instead: the same, packaged.)

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const BANNER = /wecom-mock listening on (http:\/\/\S+)/;

export type Json = Record<string, any>;

/** A running server: its base URL and how to stop it. */
export interface Mock {
  url: string;
  stop(): Promise<void>;
}

/** Starts $WECOM_MOCK_BIN (or `wecom-mock` on PATH) on a free port; resolves once /healthz answers. */
export async function startMock(timeoutMs = 30_000): Promise<Mock> {
  const binary = process.env.WECOM_MOCK_BIN ?? 'wecom-mock';
  // Its log on stderr: warnings and errors only, unless RUST_LOG says otherwise.
  const child: ChildProcess = spawn(binary, ['--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { RUST_LOG: 'warn', ...process.env },
  });
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`wecom-mock exited with ${code} before printing its address`)));
      setTimeout(() => reject(new Error('wecom-mock printed no address')), timeoutMs).unref();
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        seen += chunk; // read on to the end, so the pipe never fills
        const match = BANNER.exec(seen);
        if (match?.[1]) resolve(match[1]);
      });
    });
    for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 50))) {
      const healthy = await fetch(`${url}/healthz`).then((a) => a.status === 200, () => false);
      if (healthy) return { url, stop };
      if (Date.now() > deadline) throw new Error('wecom-mock did not become healthy');
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

/** An HTTP answer: status and decoded JSON body. */
export interface Answer {
  status: number;
  body: Json;
}

async function send(url: string, method: string, path: string, body?: unknown, bearer?: string): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const answer = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await answer.text();
  return { status: answer.status, body: text ? JSON.parse(text) : null };
}

/** A corp of the test's own (POST /__admin/tenants), with its access token and admin token. */
export class Corp {
  private constructor(
    readonly url: string,
    readonly corpid: string,
    private readonly adminToken: string,
    private readonly token: string,
  ) {}

  /** A fresh corp: the mock's default directory, or `fixture` (the fixtures format). */
  static async create(mock: Mock, fixture?: Json): Promise<Corp> {
    const tenant = await send(mock.url, 'POST', '/__admin/tenants', fixture ? { fixture } : {});
    if (tenant.status !== 200) throw new Error(`POST /__admin/tenants: HTTP ${tenant.status} ${JSON.stringify(tenant.body)}`);
    const { corpid, secret, admin_token } = tenant.body;
    const query = new URLSearchParams({ corpid, corpsecret: secret });
    const token = (await send(mock.url, 'GET', `/cgi-bin/gettoken?${query}`)).body;
    if (token.errcode !== 0) throw new Error(`gettoken: ${JSON.stringify(token)}`);
    return new Corp(mock.url, corpid, admin_token, token.access_token);
  }

  /** A WeCom API call: POST, HTTP 200 whatever the outcome, which is the answer's errcode. */
  async call(api: string, body: Json): Promise<Json> {
    const answer = await send(this.url, 'POST', `/cgi-bin/${api}?access_token=${this.token}`, body);
    if (answer.status !== 200) throw new Error(`${api}: HTTP ${answer.status}`);
    return answer.body;
  }

  /** A WeCom GET call with query parameters. */
  async get(api: string, query: Record<string, string>): Promise<Json> {
    const params = new URLSearchParams({ ...query, access_token: this.token });
    return (await send(this.url, 'GET', `/cgi-bin/${api}?${params}`)).body;
  }

  /** A control-surface call for this corp, with its admin token. */
  admin(method: string, path: string, body?: Json): Promise<Answer> {
    return send(this.url, method, path, body, this.adminToken);
  }

  async delete(): Promise<void> {
    await this.admin('DELETE', `/__admin/corps/${encodeURIComponent(this.corpid)}`);
  }
}
