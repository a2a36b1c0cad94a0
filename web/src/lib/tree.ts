// The message tree of a conversation: messages point to their parent;
// siblings (same parent) are alternative branches — regenerated replies or
// edited questions. The conversation shows the path from the root to its
// current leaf.
import type { Message } from './api/types';

export interface Tree {
  byId: Map<string, Message>;
  /** Children of each parent id (`''` for the roots), oldest first. */
  children: Map<string, Message[]>;
}

const ROOT = '';

export function buildTree(messages: readonly Message[]): Tree {
  const byId = new Map<string, Message>();
  const children = new Map<string, Message[]>();
  for (const message of messages) {
    byId.set(message.id, message);
    const key = message.parent_id ?? ROOT;
    const list = children.get(key);
    if (list) list.push(message);
    else children.set(key, [message]);
  }
  for (const list of children.values()) list.sort(byCreation);
  return { byId, children };
}

function byCreation(a: Message, b: Message): number {
  return a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The messages from the root down to `leafId`, or the newest branch when it is unknown. */
export function pathTo(tree: Tree, leafId: string | null): Message[] {
  let leaf = leafId ? tree.byId.get(leafId) : undefined;
  if (!leaf) {
    const roots = tree.children.get(ROOT) ?? [];
    const newest = roots[roots.length - 1];
    if (!newest) return [];
    leaf = tree.byId.get(deepestLeaf(tree, newest.id));
  }
  const path: Message[] = [];
  const seen = new Set<string>();
  for (let node = leaf; node && !seen.has(node.id); node = node.parent_id ? tree.byId.get(node.parent_id) : undefined) {
    seen.add(node.id);
    path.push(node);
  }
  return path.reverse();
}

/** The alternatives of a message (itself included), oldest first. */
export function siblingsOf(tree: Tree, message: Message): Message[] {
  return tree.children.get(message.parent_id ?? ROOT) ?? [message];
}

/** The leaf reached from `id` by following the most recent child at each level. */
export function deepestLeaf(tree: Tree, id: string): string {
  let current = id;
  const seen = new Set<string>();
  for (;;) {
    seen.add(current);
    const kids = tree.children.get(current);
    const newest = kids?.[kids.length - 1];
    if (!newest || seen.has(newest.id)) return current;
    current = newest.id;
  }
}
