// Types of the `wecom-mock` package (index.js, index.mjs).

/** How to start the server. */
export interface StartOptions {
  /** The program to run; default `$WECOM_MOCK_BIN`, then the packaged binary, then PATH. */
  binary?: string;
  /** Extra command-line flags (`--seed`, `--fixtures`, `--admin-token`, …; `wecom-mock --help`). */
  args?: string[];
  /** How long to wait for the address and a healthy `/healthz`; default 30 000 ms. */
  timeoutMs?: number;
}

/** A corp of its own on the server (`POST /__admin/tenants`). */
export interface Tenant {
  corpid: string;
  secret: string;
  agentid: number;
  /** Steers this corp only, as `Authorization: Bearer …` (the module sends it for you). */
  admin_token: string;
}

/** `POST /__admin/scan`'s answer: the customer a scan added. */
export interface ScanResult {
  external_userid: string;
  userid: string;
  state: string;
  temp: boolean;
  /** `""` when the add issued none. */
  welcome_code: string;
}

/** `POST /__admin/join`'s answer: the group a customer joined. */
export interface JoinResult {
  external_userid: string;
  chat_id: string;
  state: string;
  created_chat: boolean;
}

/** One entry of `GET /__admin/messages` (closing messages, callbacks, welcome messages). */
export interface Message {
  at: number;
  corpid: string;
  kind: 'conclusions' | 'callback' | 'welcome';
  to: string;
  [field: string]: unknown;
}

/** A `wecom-mock` process on a free loopback port, for one test run. */
export class MockServer {
  /** Starts the server; resolves once `GET /healthz` answers 200. */
  static start(options?: StartOptions): Promise<MockServer>;
  private constructor(options?: StartOptions);
  /** The base URL to point a WeCom client at (`http://127.0.0.1:PORT`). */
  readonly url: string;
  /** The server process's id. */
  readonly pid: number;
  /** The default corp's credentials (the first corp the server lists). */
  readonly corpid: string;
  readonly secret: string;
  readonly agentid: number;
  /** The last 4000 characters the server wrote to stderr. */
  readonly stderr: string;
  /** SIGTERM, then resolves once the server has exited; a second call is harmless. */
  stop(): Promise<void>;
  /** Any control-surface call; rejects with `AdminError` on an HTTP error. */
  admin<T = any>(method: string, path: string, body?: unknown, corpid?: string): Promise<T>;
  /** An access token (default corp, or a tenant of this server); rejects with `ApiError`. */
  token(corpid?: string, secret?: string): Promise<string>;
  /** A fresh corp with the default directory (`body`: `{ name?, fixture? }`). */
  tenant(body?: { name?: string; fixture?: unknown }): Promise<Tenant>;
  /** Deletes a corp (a tenant's ends the tenant). */
  deleteCorp(corpid: string): Promise<void>;
  /** A customer scans a Contact Me config (`external_userid`, `unionid`, `userid` optional). */
  scan(corpid: string, configId: string, fields?: { external_userid?: string; unionid?: string; userid?: string }): Promise<ScanResult>;
  /** A customer joins through a Join Group config. */
  join(corpid: string, configId: string, fields?: { external_userid?: string }): Promise<JoinResult>;
  /** Messages sent, oldest first (`corpid`'s only when given). */
  messages(corpid?: string): Promise<Message[]>;
}

/** The server could not be found, started or reached. */
export class MockServerError extends Error {}

/** The control surface refused a request. */
export class AdminError extends Error {
  /** The HTTP status (400, 401, 403, 404, 409, 410, 413). */
  readonly status: number;
  /** The stable snake_case code (`corp_not_found`, `temp_code_used`, …). */
  readonly error: string;
  /** The server's explanation. */
  readonly detail: string;
}

/** A WeCom call made by the module (`token()`) answered a non-zero errcode. */
export class ApiError extends Error {
  readonly errcode: number;
  readonly errmsg: string;
}

/** The binary `MockServer.start()` would run with these options. */
export function findBinary(binary?: string): string;

/** `WECOM_MOCK_BIN`: the environment variable naming a binary to start instead of the packaged one. */
export const BINARY_ENV: string;
