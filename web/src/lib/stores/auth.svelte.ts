// Who is signed in. The token lives in localStorage (see the API client);
// a 401 on any call ends the session here and shows the sign-in screen with
// a notice, while drafts stay in their own storage.
import { api, ApiError, type ApiClient } from '../api/client';
import type { TokenResponse, User } from '../api/types';
import { clearAllDrafts } from './drafts';

export type AuthStatus = 'loading' | 'signedOut' | 'signedIn';

export class AuthStore {
  status = $state<AuthStatus>('loading');
  user = $state<User | null>(null);
  /** True after a session ended under the user (expired or revoked token). */
  expired = $state(false);
  /** From GET /api/config; `null` when the server does not say. */
  registrationOpen = $state<boolean | null>(null);
  /** The administrator's notice for the sign-in page. */
  signinMessage = $state<string | null>(null);
  /** Whether users may create share links (an administrator can turn it off). */
  sharingEnabled = $state(false);
  version = $state<string | null>(null);

  constructor(private readonly client: ApiClient) {
    client.onUnauthorized(() => this.endSession(true));
  }

  get isAdmin(): boolean {
    return this.user?.role === 'admin';
  }

  /** Restores the session kept from the last visit, if it is still valid. */
  async init(): Promise<void> {
    void this.loadConfig();
    if (!this.client.token) {
      this.status = 'signedOut';
      return;
    }
    try {
      this.user = await this.client.me();
      this.status = 'signedIn';
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.endSession(false);
      else if (error instanceof ApiError && error.status === 0) this.status = 'signedOut';
      else this.endSession(false);
    }
  }

  async loadConfig(): Promise<void> {
    try {
      const config = await this.client.config();
      this.registrationOpen = config.registration_open;
      this.signinMessage = config.signin_message ?? null;
      this.sharingEnabled = config.sharing_enabled ?? false;
      this.version = config.version;
    } catch {
      this.registrationOpen = null;
    }
  }

  async login(username: string, password: string): Promise<void> {
    this.accept(await this.client.login(username, password));
  }

  async register(username: string, password: string): Promise<void> {
    this.accept(await this.client.register(username, password));
  }

  /** Signs out on purpose: the token and this browser's drafts are dropped. */
  async logout(): Promise<void> {
    try {
      await this.client.logout();
    } catch {
      // The token is dropped here either way.
    }
    clearAllDrafts();
    this.endSession(false);
  }

  private accept(response: TokenResponse): void {
    this.client.token = response.access_token;
    this.user = response.user;
    this.expired = false;
    this.status = 'signedIn';
  }

  endSession(expired: boolean): void {
    this.client.token = null;
    this.user = null;
    this.expired = expired;
    this.status = 'signedOut';
  }
}

export const auth = new AuthStore(api);
