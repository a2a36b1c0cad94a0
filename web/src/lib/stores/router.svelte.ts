// A small history router for the app's few screens:
// `/` new chat, `/c/:id` a conversation, `/settings`, `/admin`, `/login`,
// and `/s/:token` a shared conversation, open to anyone with the link.
export type Route =
  | { name: 'chat'; conversationId: string | null }
  | { name: 'shared'; token: string }
  | { name: 'settings' }
  | { name: 'admin' }
  | { name: 'login' };

export function parseRoute(path: string): Route {
  const conversation = /^\/c\/([^/]+)\/?$/.exec(path);
  if (conversation?.[1]) return { name: 'chat', conversationId: decodeURIComponent(conversation[1]) };
  const shared = /^\/s\/([^/]+)\/?$/.exec(path);
  if (shared?.[1]) return { name: 'shared', token: decodeURIComponent(shared[1]) };
  if (path === '/settings') return { name: 'settings' };
  if (path === '/admin') return { name: 'admin' };
  if (path === '/login') return { name: 'login' };
  return { name: 'chat', conversationId: null };
}

export function routePath(route: Route): string {
  switch (route.name) {
    case 'chat':
      return route.conversationId ? `/c/${encodeURIComponent(route.conversationId)}` : '/';
    case 'shared':
      return `/s/${encodeURIComponent(route.token)}`;
    case 'settings':
      return '/settings';
    case 'admin':
      return '/admin';
    case 'login':
      return '/login';
  }
}

class Router {
  route = $state<Route>(parseRoute(globalThis.location?.pathname ?? '/'));

  constructor() {
    globalThis.addEventListener?.('popstate', () => {
      this.route = parseRoute(globalThis.location.pathname);
    });
  }

  go(route: Route, replace = false): void {
    const path = routePath(route);
    if (globalThis.location && globalThis.location.pathname !== path) {
      if (replace) history.replaceState(null, '', path);
      else history.pushState(null, '', path);
    }
    this.route = route;
  }
}

export const router = new Router();
