/**
 * Where the api is. The exported dashboard is served by the api itself, so the default
 * is the page's own origin. NEXT_PUBLIC_API_BASE (inlined at build time) names another
 * api, for a page served elsewhere by a server that the api lets call it;
 * NEXT_PUBLIC_WS_URL names the /ws address outright (next.config sets it for `next dev`
 * with TICKHUB_DEV_API).
 */

export function apiBase(): string {
  const configured = process.env.NEXT_PUBLIC_API_BASE ?? "";
  return configured.replace(/\/+$/, "");
}

/** The /ws address beside the api: ws(s) for http(s), same host. */
export function wsUrl(base: string = apiBase(), location: Location | undefined = globalLocation()): string {
  const explicit = process.env.NEXT_PUBLIC_WS_URL;
  if (explicit) return explicit;
  const origin = base || (location ? location.origin : "http://127.0.0.1:8000");
  const url = new URL("/ws", origin);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

function globalLocation(): Location | undefined {
  return typeof window === "undefined" ? undefined : window.location;
}
