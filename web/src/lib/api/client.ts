// The one client of the llm-chat HTTP API: same origin, bearer token from
// localStorage, errors as `ApiError` in the server's `{error:{code,message}}`
// shape. A 401 from a signed-in call notifies the auth store, which sends
// the user back to sign-in (drafts are kept elsewhere and survive).
import { readEventStream } from './sse';
import type {
  AdminSettings,
  AdminSettingsPatch,
  AdminUser,
  AdminUserPage,
  AdminUserPatch,
  ApiKey,
  Conversation,
  ConversationDetail,
  ConversationPage,
  ConversationPatch,
  CreatedApiKey,
  Download,
  ImportFormat,
  ImportReport,
  Message,
  ModelList,
  NewConversation,
  ProbeReport,
  Provider,
  Role,
  SearchResults,
  ServerConfig,
  ShareLink,
  SharedConversation,
  StreamEvent,
  TokenResponse,
  UsageReport,
  User,
  UserLimits,
} from './types';

export const TOKEN_KEY = 'llm-chat:token';

/** Codes the server uses for a missing or no longer valid session. */
export const SESSION_CODES = ['missing_token', 'invalid_token', 'token_expired', 'session_ended'];

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, field?: string, retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }

  /** The request never got an answer (offline, server down). */
  static network(cause: unknown): ApiError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new ApiError(0, 'network_error', detail);
  }
}

type Fetch = typeof fetch;

export interface ClientOptions {
  fetch?: Fetch;
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  base?: string;
}

interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** A body sent as it is (a file), instead of `body` as JSON. */
  raw?: BodyInit;
  /** Don't treat a 401 as the end of the session (sign-in forms). */
  anonymous?: boolean;
}

export interface StreamHandle {
  /** Resolves when the stream ends (normally, by error event, or cut off). */
  done: Promise<void>;
  /** Stops reading locally; the generation itself keeps running on the server. */
  detach: () => void;
}

export class ApiClient {
  private readonly fetchFn: Fetch;
  private readonly storage: ClientOptions['storage'];
  private readonly base: string;
  private unauthorizedHandler: ((error: ApiError) => void) | null = null;

  constructor(options: ClientOptions = {}) {
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.storage = options.storage ?? (typeof localStorage === 'undefined' ? undefined : localStorage);
    this.base = options.base ?? '';
  }

  get token(): string | null {
    return this.storage?.getItem(TOKEN_KEY) ?? null;
  }

  set token(value: string | null) {
    if (value) this.storage?.setItem(TOKEN_KEY, value);
    else this.storage?.removeItem(TOKEN_KEY);
  }

  onUnauthorized(handler: (error: ApiError) => void): void {
    this.unauthorizedHandler = handler;
  }

  private async send(path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    const token = this.token;
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: BodyInit | undefined;
    if (options.raw !== undefined) {
      headers['Content-Type'] ??= 'application/json';
      body = options.raw;
    } else if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.fetchFn(this.base + path, {
        method: options.method ?? 'GET',
        headers,
        body,
        signal: options.signal,
      });
    } catch (cause) {
      if (options.signal?.aborted) throw cause;
      throw ApiError.network(cause);
    }
    if (!response.ok) {
      const error = await toError(response);
      if (response.status === 401 && !options.anonymous && token) this.unauthorizedHandler?.(error);
      throw error;
    }
    return response;
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(path, options);
    if (response.status === 204 || response.headers.get('content-length') === '0') return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Opens an SSE stream (POST with a body, or GET) and feeds its events to
   * `onEvent`. `lastEventId` resumes a generation after the given event.
   */
  async stream(
    path: string,
    onEvent: (event: StreamEvent) => void,
    options: { method?: string; body?: unknown; lastEventId?: number | null } = {},
  ): Promise<StreamHandle> {
    const controller = new AbortController();
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (options.lastEventId != null) headers['Last-Event-ID'] = String(options.lastEventId);
    const response = await this.send(path, {
      method: options.method ?? 'GET',
      body: options.body,
      headers,
      signal: controller.signal,
    });
    const type = response.headers.get('content-type') ?? '';
    if (!response.body || !type.includes('text/event-stream')) {
      throw new ApiError(response.status, 'not_a_stream', `expected an event stream from ${path}`);
    }
    const done = readEventStream(response.body, onEvent, controller.signal).catch((cause: unknown) => {
      if (controller.signal.aborted) return;
      throw ApiError.network(cause);
    });
    return { done, detach: () => controller.abort() };
  }

  // --- accounts -----------------------------------------------------------

  config(): Promise<ServerConfig> {
    return this.request('/api/config', { anonymous: true });
  }
  login(username: string, password: string): Promise<TokenResponse> {
    return this.request('/api/auth/login', { method: 'POST', body: { username, password }, anonymous: true });
  }
  register(username: string, password: string): Promise<TokenResponse> {
    return this.request('/api/auth/register', { method: 'POST', body: { username, password }, anonymous: true });
  }
  me(): Promise<User> {
    return this.request('/api/auth/me');
  }
  logout(): Promise<void> {
    return this.request('/api/auth/logout', { method: 'POST', anonymous: true });
  }
  changePassword(current_password: string, new_password: string): Promise<void> {
    return this.request('/api/auth/password', { method: 'PUT', body: { current_password, new_password } });
  }

  // --- models and conversations --------------------------------------------

  models(): Promise<ModelList> {
    return this.request('/api/models');
  }
  listConversations(query: { limit?: number; cursor?: string | null; q?: string; archived?: boolean }): Promise<ConversationPage> {
    const params = new URLSearchParams();
    if (query.limit) params.set('limit', String(query.limit));
    if (query.cursor) params.set('cursor', query.cursor);
    if (query.q) params.set('q', query.q);
    if (query.archived !== undefined) params.set('archived', String(query.archived));
    const qs = params.toString();
    return this.request(`/api/conversations${qs ? `?${qs}` : ''}`);
  }
  /** Messages and titles containing every word of `q`, best first. */
  search(q: string, limit = 20): Promise<SearchResults> {
    const params = new URLSearchParams({ q, limit: String(limit) });
    return this.request(`/api/search?${params.toString()}`);
  }
  createConversation(body: NewConversation): Promise<Conversation> {
    return this.request('/api/conversations', { method: 'POST', body });
  }
  conversation(id: string): Promise<ConversationDetail> {
    return this.request(`/api/conversations/${encodeURIComponent(id)}`);
  }
  updateConversation(id: string, patch: ConversationPatch): Promise<Conversation> {
    return this.request(`/api/conversations/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });
  }
  deleteConversation(id: string): Promise<void> {
    return this.request(`/api/conversations/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  // --- share links -----------------------------------------------------------

  /** A read-only link to the conversation as it is now; `expiresInDays` null: never. */
  createShare(conversationId: string, expiresInDays: number | null): Promise<ShareLink> {
    return this.request(`/api/conversations/${encodeURIComponent(conversationId)}/shares`, {
      method: 'POST',
      body: { expires_in_days: expiresInDays },
    });
  }
  /** The user's links, newest first; those of one conversation when given. */
  shares(conversationId?: string): Promise<{ items: ShareLink[] }> {
    return this.request(`/api/shares${queryString({ conversation_id: conversationId })}`);
  }
  revokeShare(id: string): Promise<void> {
    return this.request(`/api/shares/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }
  /** What a link shows; needs no sign-in. */
  shared(token: string): Promise<SharedConversation> {
    return this.request(`/api/shared/${encodeURIComponent(token)}`, { anonymous: true });
  }

  // --- export and import ---------------------------------------------------

  /** A file the server answers as an attachment, with the name it suggests. */
  async download(path: string, fallbackName: string): Promise<Download> {
    const response = await this.send(path, { headers: { Accept: '*/*' } });
    const filename = filenameOf(response.headers.get('content-disposition')) ?? fallbackName;
    return { blob: await response.blob(), filename };
  }
  /** One conversation: `markdown` (the branch shown) or `json` (the whole tree). */
  exportConversation(id: string, format: 'markdown' | 'json'): Promise<Download> {
    return this.download(`/api/conversations/${encodeURIComponent(id)}/export?format=${format}`, `conversation.${format === 'markdown' ? 'md' : 'json'}`);
  }
  /** Every conversation of the signed-in user, as one archive. */
  exportAll(): Promise<Download> {
    return this.download('/api/export', 'llm-chat-archive.json');
  }
  /** An account's archive (administrators). */
  exportUser(id: string): Promise<Download> {
    return this.download(`/api/admin/users/${encodeURIComponent(id)}/export`, 'llm-chat-archive.json');
  }
  /** Sends an export file (ours, ChatGPT's or Open WebUI's) as it is. */
  importFile(file: Blob, format?: ImportFormat): Promise<ImportReport> {
    return this.request(`/api/import${queryString({ format })}`, { method: 'POST', raw: file });
  }

  // --- generations ---------------------------------------------------------

  sendMessage(
    conversationId: string,
    body: { content: string; parent_id?: string | null; model?: string | null },
    onEvent: (event: StreamEvent) => void,
  ): Promise<StreamHandle> {
    return this.stream(`/api/conversations/${encodeURIComponent(conversationId)}/messages`, onEvent, {
      method: 'POST',
      body,
    });
  }
  regenerate(messageId: string, model: string | null | undefined, onEvent: (event: StreamEvent) => void): Promise<StreamHandle> {
    return this.stream(`/api/messages/${encodeURIComponent(messageId)}/regenerate`, onEvent, {
      method: 'POST',
      body: model ? { model } : {},
    });
  }
  /** Attaches to a running generation; `after` is the last event already seen. */
  generationEvents(generationId: string, after: number | null, onEvent: (event: StreamEvent) => void): Promise<StreamHandle> {
    const query = after == null ? '?after=0' : `?after=${after}`;
    return this.stream(`/api/generations/${encodeURIComponent(generationId)}/events${query}`, onEvent, {
      lastEventId: after,
    });
  }
  cancelGeneration(generationId: string): Promise<void> {
    return this.request(`/api/generations/${encodeURIComponent(generationId)}/cancel`, { method: 'POST' });
  }

  // --- keys and usage -------------------------------------------------------

  apiKeys(): Promise<{ items: ApiKey[] }> {
    return this.request('/api/keys');
  }
  createApiKey(name: string): Promise<CreatedApiKey> {
    return this.request('/api/keys', { method: 'POST', body: { name } });
  }
  revokeApiKey(id: string): Promise<void> {
    return this.request(`/api/keys/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }
  usage(days: number): Promise<UsageReport> {
    return this.request(`/api/usage?days=${days}`);
  }

  // --- administration --------------------------------------------------------

  adminSettings(): Promise<AdminSettings> {
    return this.request('/api/admin/settings');
  }
  updateAdminSettings(patch: AdminSettingsPatch): Promise<AdminSettings> {
    return this.request('/api/admin/settings', { method: 'PATCH', body: patch });
  }
  adminUsers(query: { q?: string; limit?: number; cursor?: string | null } = {}): Promise<AdminUserPage> {
    return this.request(`/api/admin/users${queryString(query)}`);
  }
  createAdminUser(body: { username: string; password: string; role: Role }): Promise<AdminUser> {
    return this.request('/api/admin/users', { method: 'POST', body });
  }
  updateAdminUser(id: string, patch: AdminUserPatch): Promise<AdminUser> {
    return this.request(`/api/admin/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });
  }
  /** `confirm` must be the account's username. */
  deleteAdminUser(id: string, confirm: string): Promise<void> {
    return this.request(`/api/admin/users/${encodeURIComponent(id)}${queryString({ confirm })}`, { method: 'DELETE' });
  }
  userLimits(id: string): Promise<UserLimits> {
    return this.request(`/api/admin/users/${encodeURIComponent(id)}/limits`);
  }
  setUserLimits(id: string, limits: UserLimits): Promise<UserLimits> {
    return this.request(`/api/admin/users/${encodeURIComponent(id)}/limits`, { method: 'PUT', body: limits });
  }
  adminUsage(days: number, userId?: string | null): Promise<UsageReport> {
    return this.request(`/api/admin/usage${queryString({ days, user_id: userId })}`);
  }
  providers(): Promise<{ items: Provider[] }> {
    return this.request('/api/admin/providers');
  }
  testProvider(name: string): Promise<ProbeReport> {
    return this.request(`/api/admin/providers/${encodeURIComponent(name)}/test`, { method: 'POST' });
  }
}

/** `?a=1&b=x` from the values that are set; `''` when none is. */
export function queryString(values: Record<string, string | number | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}

/**
 * The file name of a `Content-Disposition` header: the UTF-8 `filename*`
 * when present (RFC 6266), else the plain `filename`.
 */
export function filenameOf(disposition: string | null): string | null {
  if (!disposition) return null;
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // Malformed escapes: fall back to the plain name.
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/i.exec(disposition);
  const name = plain?.[1] ?? plain?.[2]?.trim();
  return name || null;
}

async function toError(response: Response): Promise<ApiError> {
  const retry = Number(response.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string; field?: string } };
    if (body.error?.code) {
      return new ApiError(response.status, body.error.code, body.error.message ?? body.error.code, body.error.field, retryAfter);
    }
  } catch {
    // Not our JSON shape: a proxy's page, say.
  }
  return new ApiError(response.status, `http_${response.status}`, response.statusText || `HTTP ${response.status}`, undefined, retryAfter);
}

/** The app's client. */
export const api = new ApiClient();

export type { Message };
