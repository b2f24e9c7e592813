/**
 * The api token: kept in localStorage so that a reload stays logged in. The login URL
 * that `tickhub up` prints carries it in the fragment (`/#token=...`, which a browser
 * never sends to a server); it is taken from there once and removed from the address bar.
 */

import { ExternalStore } from "./external-store";

export const TOKEN_KEY = "tickhub.token";

export interface AuthState {
  token: string | null;
  /** Why the login screen shows (a refused token), or null. */
  message: string | null;
}

function readStorage(storage: Storage | undefined): string | null {
  try {
    return storage?.getItem(TOKEN_KEY) || null;
  } catch {
    return null; // storage disabled (privacy mode): the token lives for this page only
  }
}

function writeStorage(storage: Storage | undefined, token: string | null): void {
  try {
    if (token === null) storage?.removeItem(TOKEN_KEY);
    else storage?.setItem(TOKEN_KEY, token);
  } catch {
    // as above
  }
}

export class AuthStore extends ExternalStore<AuthState> {
  constructor(private storage: Storage | undefined) {
    super({ token: readStorage(storage), message: null });
  }

  login(token: string): void {
    const clean = token.trim();
    writeStorage(this.storage, clean);
    this.setState({ token: clean, message: null });
  }

  logout(message: string | null = null): void {
    writeStorage(this.storage, null);
    this.setState({ token: null, message });
  }

  /** The api said 401 (or /ws closed 4401) for the stored token. */
  refused(): void {
    if (this.state.token === null) return;
    this.logout("The api refused the stored token. Sign in with the current one.");
  }

  /** Take a token from `#token=...` in the address, if there is one, and drop it from
   * the address bar (and from history) so that it is not shared by copying the URL. */
  adoptFromLocation(location: Location, history: History): boolean {
    const hash = location.hash.replace(/^#/, "");
    const params = new URLSearchParams(hash);
    const token = params.get("token");
    if (!token) return false;
    this.login(token);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(history.state, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
    return true;
  }
}

let shared: AuthStore | null = null;

export function authStore(): AuthStore {
  if (shared === null) {
    const browser = typeof window !== "undefined";
    shared = new AuthStore(browser ? window.localStorage : undefined);
    if (browser) shared.adoptFromLocation(window.location, window.history);
  }
  return shared;
}
