import { describe, expect, it } from 'vitest';
import type { Message } from './api/types';
import { buildTree, deepestLeaf, pathTo, siblingsOf } from './tree';

let clock = 0;
function msg(id: string, parent: string | null, role: Message['role'] = 'user'): Message {
  clock += 1;
  return {
    id, conversation_id: 'c', parent_id: parent, role, content: id, reasoning: null, reasoning_ms: null, model: null,
    status: 'done', error: null, usage: null, generation_id: null, created_at: clock, updated_at: clock,
  };
}

// u1 ─ a1
//    └ a2 ─ u2 ─ a3
// u1b ─ a4
const messages = [msg('u1', null), msg('a1', 'u1', 'assistant'), msg('a2', 'u1', 'assistant'), msg('u2', 'a2'), msg('a3', 'u2', 'assistant'), msg('u1b', null), msg('a4', 'u1b', 'assistant')];
const tree = buildTree(messages);

describe('message tree', () => {
  it('follows parents from the leaf to the root', () => {
    expect(pathTo(tree, 'a3').map((m) => m.id)).toEqual(['u1', 'a2', 'u2', 'a3']);
    expect(pathTo(tree, 'a1').map((m) => m.id)).toEqual(['u1', 'a1']);
  });

  it('shows the newest branch when the leaf is unknown', () => {
    expect(pathTo(tree, null).map((m) => m.id)).toEqual(['u1b', 'a4']);
  });

  it('lists siblings oldest first, roots included', () => {
    expect(siblingsOf(tree, messages[1]!).map((m) => m.id)).toEqual(['a1', 'a2']);
    expect(siblingsOf(tree, messages[0]!).map((m) => m.id)).toEqual(['u1', 'u1b']);
  });

  it('finds the deepest leaf through the newest child at each level', () => {
    expect(deepestLeaf(tree, 'u1')).toBe('a3');
    expect(deepestLeaf(tree, 'a1')).toBe('a1');
  });
});
