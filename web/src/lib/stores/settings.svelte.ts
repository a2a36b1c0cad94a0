// Look and layout preferences kept in this browser: theme and sidebar.
export type Theme = 'light' | 'dark' | 'system';
const THEME_KEY = 'llm-chat:theme';

function storedTheme(): Theme {
  const value = globalThis.localStorage?.getItem(THEME_KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

function systemDark(): boolean {
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
}

class Settings {
  theme = $state<Theme>(storedTheme());
  /** The drawer on narrow screens; the column on wide ones. */
  sidebarOpen = $state(globalThis.innerWidth === undefined ? true : globalThis.innerWidth >= 900);
  private systemIsDark = $state(systemDark());

  /** The theme actually shown. */
  get effectiveTheme(): 'light' | 'dark' {
    if (this.theme === 'system') return this.systemIsDark ? 'dark' : 'light';
    return this.theme;
  }

  constructor() {
    globalThis.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', (event) => {
      this.systemIsDark = event.matches;
      this.apply();
    });
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    if (theme === 'system') globalThis.localStorage?.removeItem(THEME_KEY);
    else globalThis.localStorage?.setItem(THEME_KEY, theme);
    this.apply();
  }

  /** Puts the theme on <html> (CSS reads `data-theme`). */
  apply(): void {
    if (typeof document === 'undefined') return;
    const root = document.documentElement;
    root.dataset.theme = this.effectiveTheme;
    root.style.colorScheme = this.effectiveTheme;
  }

  toggleSidebar(open = !this.sidebarOpen): void {
    this.sidebarOpen = open;
  }
}

export const settings = new Settings();
