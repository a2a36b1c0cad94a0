// The open conversation: its message tree, the branch shown, and the reply
// being generated. A reply belongs to the server: leaving, reloading or
// losing the connection only detaches from it; opening the conversation
// again attaches to the live stream (or shows the saved result).
import { api, ApiError, type ApiClient, type StreamHandle } from '../api/client';
import type { Conversation, ConversationParams, Message, StreamEvent } from '../api/types';
import { buildTree, deepestLeaf, pathTo, siblingsOf } from '../tree';
import { conversations as conversationList, type ConversationsStore } from './conversations.svelte';

export interface Streaming {
  generationId: string | null;
  messageId: string | null;
  lastEventId: number | null;
  cancelling: boolean;
}

/** Settings chosen before the first message creates the conversation. */
export interface PendingSettings {
  model: string | null;
  system_prompt: string | null;
  params: ConversationParams;
}

const RESUME_ATTEMPTS = 5;
let localIds = 0;

export class ChatStore {
  conversation = $state<Conversation | null>(null);
  messages = $state<Message[]>([]);
  leafId = $state<string | null>(null);
  loading = $state(false);
  notFound = $state(false);
  /** The last failure worth showing above the composer. */
  error = $state<ApiError | null>(null);
  streaming = $state<Streaming | null>(null);
  pending = $state<PendingSettings>({ model: null, system_prompt: null, params: {} });
  /** A message to bring into view (a search hit), once it is loaded. */
  focus = $state<string | null>(null);
  /** Counts reveal() calls, so that the view scrolls on each. */
  focusRequest = $state(0);

  tree = $derived(buildTree(this.messages));
  path = $derived(pathTo(this.tree, this.leafId));

  private handle: StreamHandle | null = null;
  private openToken = 0;
  /** When the first thought of a reply arrived, by message id, to time the thinking. */
  private thinkingSince = new Map<string, number>();

  constructor(
    private readonly client: ApiClient,
    private readonly list: ConversationsStore,
  ) {}

  get conversationId(): string | null {
    return this.conversation?.id ?? null;
  }

  get isStreaming(): boolean {
    return this.streaming !== null;
  }

  /** The model the next message goes to (conversation's, else the chosen one). */
  model(defaultModel: string | null): string | null {
    return this.conversation ? (this.conversation.model ?? defaultModel) : (this.pending.model ?? defaultModel);
  }

  /** Shows an empty new chat. */
  reset(): void {
    this.detach();
    this.openToken++;
    this.conversation = null;
    this.messages = [];
    this.leafId = null;
    this.notFound = false;
    this.error = null;
    this.loading = false;
    this.pending = { model: this.pending.model, system_prompt: null, params: {} };
  }

  /** Loads a conversation and attaches to a reply still being generated. */
  async open(id: string): Promise<void> {
    if (this.conversation?.id === id && !this.notFound) return;
    this.detach();
    const token = ++this.openToken;
    this.loading = true;
    this.notFound = false;
    this.error = null;
    this.conversation = null;
    this.messages = [];
    this.leafId = null;
    try {
      const detail = await this.client.conversation(id);
      if (token !== this.openToken) return;
      this.conversation = detail.conversation;
      this.messages = detail.messages;
      this.leafId = detail.current_leaf_id ?? detail.conversation.current_leaf_id;
      this.showFocus();
      const live = this.path.find((m) => m.status === 'streaming' && m.generation_id);
      if (live) void this.attach(live);
    } catch (error) {
      if (token !== this.openToken) return;
      if (error instanceof ApiError && error.status === 404) this.notFound = true;
      else this.error = asApiError(error);
    } finally {
      if (token === this.openToken) this.loading = false;
    }
  }

  /** Shows the branch holding `messageId` and scrolls to it (now, or when its conversation is loaded). */
  reveal(messageId: string): void {
    this.focus = messageId;
    // A second click on the same hit scrolls again, though `focus` did not change.
    this.focusRequest += 1;
    this.showFocus();
  }

  private showFocus(): void {
    const id = this.focus;
    if (!id || !this.tree.byId.has(id) || this.path.some((m) => m.id === id)) return;
    this.leafId = deepestLeaf(this.tree, id);
  }

  /** Re-reads the open conversation from the server (after a stream ends). */
  async refresh(): Promise<void> {
    const id = this.conversation?.id;
    if (!id || this.streaming) return;
    const token = this.openToken;
    try {
      const detail = await this.client.conversation(id);
      if (token !== this.openToken || this.streaming) return;
      this.conversation = detail.conversation;
      this.messages = detail.messages;
      this.leafId = detail.current_leaf_id ?? detail.conversation.current_leaf_id ?? this.leafId;
      this.list.upsert(detail.conversation);
    } catch {
      // What is shown stays; the next open reloads.
    }
  }

  /**
   * Sends a message at the end of the shown branch, creating the
   * conversation first for a new chat (`onCreated` hears of it at once). Returns the new conversation's id,
   * or `null` when nothing was sent (the caller keeps the text).
   */
  async send(content: string, defaultModel: string | null, onCreated?: (id: string) => void): Promise<string | null> {
    if (this.streaming || !content.trim()) return null;
    this.error = null;
    let conversation = this.conversation;
    if (!conversation) {
      try {
        conversation = await this.client.createConversation({
          model: this.pending.model ?? defaultModel,
          system_prompt: this.pending.system_prompt || null,
          params: this.pending.params,
        });
      } catch (error) {
        this.error = asApiError(error);
        return null;
      }
      this.openToken++;
      this.conversation = conversation;
      this.messages = [];
      this.leafId = null;
      this.list.upsert(conversation);
      // Before the reply starts, so that the address names the conversation.
      onCreated?.(conversation.id);
    }
    const parentId = this.path[this.path.length - 1]?.id ?? null;
    const ok = await this.post(conversation.id, content, parentId, undefined);
    return ok ? conversation.id : null;
  }

  /** Sends an edited version of a user message as a new branch beside it. */
  async edit(message: Message, content: string): Promise<boolean> {
    if (this.streaming || !this.conversation || !content.trim()) return false;
    this.error = null;
    return this.post(this.conversation.id, content, message.parent_id, message.parent_id === null ? null : undefined);
  }

  private async post(
    conversationId: string,
    content: string,
    parentId: string | null,
    explicitRoot: null | undefined,
  ): Promise<boolean> {
    const now = Date.now();
    const local: Message = {
      id: `local-${++localIds}`,
      conversation_id: conversationId,
      parent_id: parentId,
      role: 'user',
      content,
      reasoning: null,
      reasoning_ms: null,
      model: null,
      status: 'done',
      error: null,
      usage: null,
      generation_id: null,
      created_at: now,
      updated_at: now,
    };
    const previousLeaf = this.leafId;
    this.messages.push(local);
    this.leafId = local.id;
    const context = { userId: local.id, parentId: local.id };
    const body: { content: string; parent_id?: string | null; model?: string | null } = { content };
    if (parentId !== null) body.parent_id = parentId;
    else if (explicitRoot === null) body.parent_id = null;
    const started = await this.run(() =>
      this.client.sendMessage(conversationId, body, (event) => this.onEvent(event, context)),
    );
    if (!started) {
      this.messages = this.messages.filter((m) => m.id !== local.id);
      this.leafId = previousLeaf;
    }
    return started;
  }

  /** Asks for a new answer in place of an assistant message (a sibling branch). */
  async regenerate(message: Message, model?: string | null): Promise<boolean> {
    if (this.streaming || message.role !== 'assistant') return false;
    this.error = null;
    const context = { userId: null, parentId: message.parent_id };
    return this.run(() => this.client.regenerate(message.id, model, (event) => this.onEvent(event, context)));
  }

  /** Shows another version of a message: the previous (-1) or next (+1) sibling. */
  switchBranch(message: Message, step: -1 | 1): void {
    if (this.streaming) return;
    const siblings = siblingsOf(this.tree, message);
    const index = siblings.findIndex((m) => m.id === message.id);
    const target = siblings[index + step];
    if (!target) return;
    this.leafId = deepestLeaf(this.tree, target.id);
    const id = this.conversation?.id;
    if (id && !this.leafId.startsWith('local-')) {
      void this.client.updateConversation(id, { current_leaf_id: this.leafId }).catch(() => {});
    }
  }

  /** Asks the server to stop the reply being generated. */
  async stop(): Promise<void> {
    const streaming = this.streaming;
    if (!streaming || streaming.cancelling) return;
    streaming.cancelling = true;
    if (streaming.generationId) {
      try {
        await this.client.cancelGeneration(streaming.generationId);
      } catch {
        // The stream's own end tells what happened.
      }
    }
    // The server ends the stream after a cancel; don't wait forever if it doesn't.
    setTimeout(() => {
      if (this.streaming === streaming) {
        const message = this.messages.find((m) => m.id === streaming.messageId);
        if (message?.status === 'streaming') message.status = 'cancelled';
        this.detach();
        void this.refresh();
      }
    }, 5000);
  }

  /** Stops listening (the server keeps generating). */
  detach(): void {
    this.handle?.detach();
    this.handle = null;
    this.streaming = null;
  }

  private async attach(message: Message): Promise<void> {
    if (!message.generation_id) return;
    this.streaming = { generationId: message.generation_id, messageId: message.id, lastEventId: null, cancelling: false };
    const context = { userId: null, parentId: message.parent_id, replay: message.id };
    await this.run(
      () => this.client.generationEvents(message.generation_id ?? '', null, (event) => this.onEvent(event, context)),
      true,
    );
  }

  /** Opens a stream, follows it to its end, resumes it when the connection drops. */
  private async run(open: () => Promise<StreamHandle>, attaching = false): Promise<boolean> {
    const token = this.openToken;
    if (!attaching) this.streaming = { generationId: null, messageId: null, lastEventId: null, cancelling: false };
    let handle: StreamHandle;
    try {
      handle = await open();
    } catch (error) {
      if (token === this.openToken) {
        this.streaming = null;
        if (!attaching) this.error = asApiError(error);
        else void this.refreshAfterStream();
      }
      return false;
    }
    if (token !== this.openToken) {
      handle.detach();
      return true;
    }
    this.handle = handle;
    let attempts = 0;
    for (;;) {
      try {
        await handle.done;
      } catch {
        // Connection lost: resume below if the reply is still going.
      }
      if (token !== this.openToken || this.handle !== handle) return true;
      const streaming = this.streaming;
      const message = this.messages.find((m) => m.id === streaming?.messageId);
      if (!streaming?.generationId || message?.status !== 'streaming' || attempts >= RESUME_ATTEMPTS) break;
      if (streaming.cancelling) {
        // Stopped on purpose and the server closed the stream: that is the end.
        message.status = 'cancelled';
        break;
      }
      attempts++;
      await sleep(Math.min(4000, 300 * 2 ** attempts));
      if (token !== this.openToken) return true;
      try {
        handle = await this.client.generationEvents(streaming.generationId, streaming.lastEventId, (event) =>
          this.onEvent(event, { userId: null, parentId: message.parent_id }),
        );
        this.handle = handle;
      } catch {
        break;
      }
    }
    const streaming = this.streaming;
    const message = this.messages.find((m) => m.id === streaming?.messageId);
    if (message?.status === 'streaming') message.status = 'interrupted';
    this.handle = null;
    this.streaming = null;
    await this.refreshAfterStream();
    return true;
  }

  private async refreshAfterStream(): Promise<void> {
    if (this.conversation) {
      this.conversation.updated_at = Date.now();
      this.list.upsert({ ...this.conversation });
    }
    await this.refresh();
  }

  private onEvent(event: StreamEvent, context: { userId: string | null; parentId: string | null; replay?: string }): void {
    const streaming = this.streaming;
    if (!streaming) return;
    if (event.id !== null) streaming.lastEventId = event.id;
    switch (event.type) {
      case 'message': {
        if (!context.userId) return;
        const localId = context.userId;
        const index = this.messages.findIndex((m) => m.id === localId);
        if (index >= 0) this.messages[index] = event.data;
        else if (!this.messages.some((m) => m.id === event.data.id)) this.messages.push(event.data);
        // A reply announced before its question keeps its place in the tree.
        for (const m of this.messages) if (m.parent_id === localId) m.parent_id = event.data.id;
        if (this.leafId === localId) this.leafId = event.data.id;
        context.parentId = event.data.id;
        context.userId = event.data.id;
        return;
      }
      case 'generation': {
        const { generation_id, message_id, model } = event.data;
        streaming.generationId = generation_id;
        streaming.messageId = message_id;
        // Stop was pressed before the server named the generation.
        if (streaming.cancelling) void this.client.cancelGeneration(generation_id).catch(() => {});
        const existing = this.messages.find((m) => m.id === message_id);
        if (!existing) {
          const now = Date.now();
          this.messages.push({
            id: message_id,
            conversation_id: event.data.conversation_id,
            parent_id: context.parentId,
            role: 'assistant',
            content: '',
            reasoning: null,
            reasoning_ms: null,
            model,
            status: 'streaming',
            error: null,
            usage: null,
            generation_id,
            created_at: now,
            updated_at: now,
          });
        }
        this.leafId = message_id;
        return;
      }
      case 'reasoning':
      case 'delta': {
        const message = this.current(streaming);
        if (!message) return;
        if (context.replay === message.id) {
          // Attached from the start: the replay rebuilds the saved text.
          message.content = '';
          message.reasoning = null;
          context.replay = undefined;
        }
        if (event.type === 'delta') {
          const since = this.thinkingSince.get(message.id);
          if (since !== undefined && message.reasoning && message.reasoning_ms == null) {
            message.reasoning_ms = Date.now() - since;
          }
          message.content += event.data.text;
        } else {
          if (!this.thinkingSince.has(message.id)) this.thinkingSince.set(message.id, Date.now());
          message.reasoning = (message.reasoning ?? '') + event.data.text;
        }
        return;
      }
      case 'title': {
        if (this.conversation) this.conversation.title = event.data.title;
        const id = event.data.conversation_id ?? this.conversation?.id;
        if (id) this.list.patchLocal(id, { title: event.data.title });
        return;
      }
      case 'done': {
        const message = this.current(streaming);
        if (!message) return;
        if (context.replay === message.id) context.replay = undefined;
        message.status = event.data.finish_reason === 'cancelled' ? 'cancelled' : 'done';
        if (event.data.usage) message.usage = event.data.usage;
        // The server's timing counts from its own clock, unlike a replay's.
        if (event.data.reply?.reasoning_ms != null) message.reasoning_ms = event.data.reply.reasoning_ms;
        this.thinkingSince.delete(message.id);
        return;
      }
      case 'error': {
        const message = this.current(streaming);
        if (message) {
          this.thinkingSince.delete(message.id);
          if (event.data.code === 'cancelled') message.status = 'cancelled';
          else {
            message.status = 'error';
            message.error = event.data;
          }
        } else {
          this.error = new ApiError(0, event.data.code, event.data.message);
        }
        return;
      }
    }
  }

  private current(streaming: Streaming): Message | undefined {
    return this.messages.find((m) => m.id === streaming.messageId);
  }

  async updateSettings(patch: { model?: string | null; system_prompt?: string | null; params?: ConversationParams }): Promise<void> {
    if (!this.conversation) {
      this.pending = { ...this.pending, ...patch };
      return;
    }
    const updated = await this.client.updateConversation(this.conversation.id, patch);
    this.conversation = { ...this.conversation, ...updated };
    this.list.upsert(updated);
  }
}

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, 'unexpected', error instanceof Error ? error.message : String(error));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const chat = new ChatStore(api, conversationList);
