// Shapes of the llm-chat HTTP API (see /openapi.json on a running server).

export type Role = 'admin' | 'user';

export interface User {
  id: string;
  username: string;
  role: Role;
  created_at: number;
}

/** An account as the admin console lists it. */
export interface AdminUser extends User {
  disabled: boolean;
  conversation_count?: number;
}

export interface AdminUserPage {
  items: AdminUser[];
  next_cursor: string | null;
}

export interface AdminUserPatch {
  role?: Role;
  disabled?: boolean;
  password?: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  user: User;
}

export interface ServerConfig {
  registration_open: boolean;
  signin_message: string | null;
  /** Absent on servers without share links. */
  sharing_enabled?: boolean;
  version: string;
}

export interface AdminSettings {
  registration_open: boolean;
  default_model: string | null;
  /** Empty: every model the providers offer. */
  allowed_models: string[];
  signin_message: string | null;
  sharing_enabled: boolean;
}

export interface AdminSettingsPatch {
  registration_open?: boolean;
  sharing_enabled?: boolean;
  default_model?: string | null;
  allowed_models?: string[] | null;
  signin_message?: string | null;
}

export interface Provider {
  name: string;
  base_url: string;
  /** Masked, e.g. `sk-…abcd`. */
  api_key: string | null;
  models: string[];
  discovery: 'fixed' | 'discovered';
}

export interface ProbeReport {
  ok: boolean;
  latency_ms: number;
  model_count: number | null;
  error: string | null;
  code: string | null;
}

export interface UsageTotals {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  errors: number;
}

export interface UsageRow extends UsageTotals {
  day: string;
  model: string;
  /** Only in the admin's report. */
  user_id?: string;
  username?: string;
}

export interface UsageReport {
  days: number;
  totals: UsageTotals;
  by_day: UsageRow[];
}

/** `null`: unlimited. */
export interface UserLimits {
  daily_token_quota: number | null;
  requests_per_minute: number | null;
}

export interface Model {
  id: string;
  provider: string;
  label?: string;
  demo: boolean;
}

export interface ModelList {
  models: Model[];
  default_model: string | null;
}

export interface ConversationParams {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
}

export interface Conversation {
  id: string;
  title: string;
  model: string | null;
  system_prompt: string | null;
  params: ConversationParams;
  pinned: boolean;
  archived: boolean;
  current_leaf_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface ConversationPage {
  items: Conversation[];
  next_cursor: string | null;
}

/** Part of a search snippet: plain text, `hit` where a search word matched. */
export interface SnippetPart {
  text: string;
  hit: boolean;
}

export interface SearchHit {
  conversation_id: string;
  conversation_title: string;
  archived: boolean;
  /** `null` when the title matched. */
  message_id: string | null;
  role: 'system' | 'user' | 'assistant' | null;
  snippet: SnippetPart[];
  at: number;
}

export interface SearchResults {
  items: SearchHit[];
  next_cursor: string | null;
}

export type MessageStatus = 'done' | 'streaming' | 'cancelled' | 'error' | 'interrupted';

export interface Usage {
  prompt_tokens: number | null;
  completion_tokens: number | null;
  /** The part of `completion_tokens` spent thinking, when the model server reports it. */
  reasoning_tokens?: number | null;
}

export interface Message {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  role: 'user' | 'assistant' | 'system';
  content: string;
  reasoning: string | null;
  /** How long the model thought, in milliseconds. */
  reasoning_ms: number | null;
  model: string | null;
  status: MessageStatus;
  error: { code: string; message: string } | null;
  usage: Usage | null;
  generation_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface ConversationDetail {
  conversation: Conversation;
  messages: Message[];
  current_leaf_id: string | null;
}

export interface ConversationPatch {
  title?: string;
  pinned?: boolean;
  archived?: boolean;
  model?: string | null;
  system_prompt?: string | null;
  params?: ConversationParams;
  current_leaf_id?: string | null;
}

export interface NewConversation {
  title?: string;
  model?: string | null;
  system_prompt?: string | null;
  params?: ConversationParams;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: number;
  last_used_at: number | null;
}

export interface CreatedApiKey extends ApiKey {
  key: string;
}

/** Events of a generation stream (SSE `event:` names). */
export type StreamEvent =
  | { type: 'message'; id: number | null; data: Message }
  | {
      type: 'generation';
      id: number | null;
      data: { generation_id: string; message_id: string; conversation_id: string; model: string | null };
    }
  | { type: 'reasoning'; id: number | null; data: { text: string } }
  | { type: 'delta'; id: number | null; data: { text: string } }
  | { type: 'title'; id: number | null; data: { conversation_id?: string; title: string } }
  | { type: 'done'; id: number | null; data: { finish_reason: string | null; usage: Usage | null; reply?: Message | null } }
  | { type: 'error'; id: number | null; data: { code: string; message: string } };

/** A share link as its owner sees it. */
export interface ShareLink {
  id: string;
  conversation_id: string;
  conversation_title: string;
  /** The title the link shows (the conversation's when it was made). */
  title: string;
  token: string;
  /** `/s/<token>`, relative to this server. */
  url: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  state: 'active' | 'expired' | 'revoked';
}

export interface SharedMessage {
  role: 'user' | 'assistant';
  content: string;
  model: string | null;
  created_at: number;
}

/** What a share link shows to anyone. */
export interface SharedConversation {
  title: string;
  created_at: number;
  messages: SharedMessage[];
}

/** How `POST /api/import` reads a file; found from the content when not given. */
export type ImportFormat = 'llm-chat' | 'chatgpt' | 'open-webui';

/** What an import did: each conversation written, and each left out with the reason. */
export interface ImportReport {
  format: ImportFormat | null;
  imported: {
    index: number;
    title: string;
    conversation_id: string;
    messages: number;
    skipped_messages: number;
    ids_kept: boolean;
  }[];
  skipped: { index: number; title: string; reason: string }[];
}

/** A file the server sent as an attachment. */
export interface Download {
  blob: Blob;
  filename: string;
}
