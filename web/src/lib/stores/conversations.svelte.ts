// The sidebar's list: pages of conversations (pinned first, then newest
// activity), searched by title, active or archived; and the messages a
// search finds.
import { api, ApiError, type ApiClient } from '../api/client';
import type { Conversation, ConversationPatch, SearchHit } from '../api/types';

const PAGE = 30;

export class ConversationsStore {
  items = $state<Conversation[]>([]);
  nextCursor = $state<string | null>(null);
  loading = $state(false);
  loaded = $state(false);
  query = $state('');
  /** Messages and titles containing the words of `query`, best first. */
  hits = $state<SearchHit[]>([]);
  archived = $state(false);
  /** Set when the server has no conversation API (404). */
  unavailable = $state(false);
  error = $state<string | null>(null);
  private generation = 0;

  constructor(private readonly client: ApiClient) {}

  get hasMore(): boolean {
    return this.nextCursor !== null;
  }

  /** Forgets the list (signed out). */
  clear(): void {
    this.generation++;
    this.items = [];
    this.nextCursor = null;
    this.loaded = false;
    this.loading = false;
    this.query = '';
    this.hits = [];
    this.archived = false;
  }

  /** Loads the first page for the current query and view. */
  async reload(): Promise<void> {
    const generation = ++this.generation;
    this.loading = true;
    try {
      const page = await this.client.listConversations({
        limit: PAGE,
        q: this.query.trim() || undefined,
        archived: this.archived,
      });
      if (generation !== this.generation) return;
      this.items = page.items;
      this.nextCursor = page.next_cursor;
      this.unavailable = false;
      this.error = null;
    } catch (error) {
      if (generation !== this.generation) return;
      this.items = [];
      this.nextCursor = null;
      this.unavailable = error instanceof ApiError && error.status === 404;
      this.error = this.unavailable ? null : error instanceof Error ? error.message : String(error);
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.loaded = true;
      }
    }
  }

  /** The next page (infinite scroll). */
  async loadMore(): Promise<void> {
    if (this.loading || !this.nextCursor) return;
    const generation = this.generation;
    this.loading = true;
    try {
      const page = await this.client.listConversations({
        limit: PAGE,
        cursor: this.nextCursor,
        q: this.query.trim() || undefined,
        archived: this.archived,
      });
      if (generation !== this.generation) return;
      const known = new Set(this.items.map((c) => c.id));
      this.items = [...this.items, ...page.items.filter((c) => !known.has(c.id))];
      this.nextCursor = page.next_cursor;
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  async search(query: string): Promise<void> {
    this.query = query;
    const words = query.trim();
    const generation = this.generation + 1;
    const hits = words
      ? this.client.search(words).then(
          (results) => results.items,
          () => [],
        )
      : Promise.resolve([]);
    await this.reload();
    const found = await hits;
    if (generation === this.generation) this.hits = found;
  }

  showArchived(archived: boolean): Promise<void> {
    this.archived = archived;
    return this.reload();
  }

  /** Puts a new or changed conversation where the list order wants it. */
  upsert(conversation: Conversation): void {
    const rest = this.items.filter((c) => c.id !== conversation.id);
    if (conversation.archived !== this.archived) {
      this.items = rest;
      return;
    }
    this.items = sortConversations([conversation, ...rest]);
  }

  /** Local change only (e.g. a title from the stream). */
  patchLocal(id: string, patch: Partial<Conversation>): void {
    this.items = this.items.map((c) => (c.id === id ? { ...c, ...patch } : c));
  }

  async update(id: string, patch: ConversationPatch): Promise<Conversation> {
    const updated = await this.client.updateConversation(id, patch);
    this.upsert(updated);
    return updated;
  }

  async remove(id: string): Promise<void> {
    await this.client.deleteConversation(id);
    this.items = this.items.filter((c) => c.id !== id);
  }
}

/** Pinned first, then the most recent activity. */
export function sortConversations(items: Conversation[]): Conversation[] {
  return [...items].sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.updated_at - a.updated_at);
}

export const conversations = new ConversationsStore(api);
