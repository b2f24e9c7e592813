import type { NextConfig } from "next";

// A static export: the api serves frontend/out from the same origin as /api and /ws,
// so the dashboard needs no server of its own and nothing is fetched from elsewhere.
//
// `next dev` runs on another port. TICKHUB_DEV_API (e.g. http://127.0.0.1:8000) makes
// the dev server pass /api through to that api (the api allows no other origin) and
// points the page's /ws at it directly (a WebSocket is not bound by CORS).
const devApi = process.env.NODE_ENV === "development" ? process.env.TICKHUB_DEV_API?.replace(/\/+$/, "") : undefined;

const nextConfig: NextConfig = {
  output: "export",
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
  ...(devApi
    ? {
        env: { NEXT_PUBLIC_WS_URL: `${devApi.replace(/^http/, "ws")}/ws` },
        // /api/accounts must reach the api as it is, not be redirected to /api/accounts/.
        skipTrailingSlashRedirect: true,
        async rewrites() {
          return [{ source: "/api/:path*", destination: `${devApi}/api/:path*` }];
        },
      }
    : {}),
};

export default nextConfig;
