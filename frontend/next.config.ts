import type { NextConfig } from "next";

// A static export: the api serves frontend/out from the same origin as /api and /ws,
// so the dashboard needs no server of its own and nothing is fetched from elsewhere.
const nextConfig: NextConfig = {
  output: "export",
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
};

export default nextConfig;
