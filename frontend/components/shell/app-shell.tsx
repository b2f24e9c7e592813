"use client";

import * as React from "react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { Globe, LayoutDashboard, LogOut, ScrollText, TriangleAlert, Users } from "lucide-react";

import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { Toaster } from "@/components/ui/sonner";
import { TooltipProvider } from "@/components/ui/tooltip";
import { Api } from "@/lib/api";
import { authStore } from "@/lib/auth";
import { apiBase } from "@/lib/config";
import { LiveProvider, useConnection, useLive, useLiveContext } from "@/lib/live-context";
import { cn } from "@/lib/utils";

import { ConnectionIndicator } from "./connection-indicator";
import { LoginScreen } from "./login-screen";

const NAV = [
  { href: "/", label: "Dashboard", icon: LayoutDashboard },
  { href: "/accounts/", label: "Accounts", icon: Users },
  { href: "/universe/", label: "Universe", icon: Globe },
  { href: "/logs/", label: "Logs", icon: ScrollText },
];

const noop = () => () => undefined;
const SIGNED_OUT = { token: null, message: null };

/** False while the static HTML is hydrated, true after: the token lives in the
 * browser only, so what depends on it renders after hydration. */
function useHydrated(): boolean {
  return React.useSyncExternalStore(
    noop,
    () => true,
    () => false,
  );
}

export function AppShell({ children }: { children: React.ReactNode }) {
  return (
    <TooltipProvider delayDuration={150}>
      <AuthGate>{children}</AuthGate>
      <Toaster richColors closeButton position="bottom-right" />
    </TooltipProvider>
  );
}

function AuthGate({ children }: { children: React.ReactNode }) {
  const hydrated = useHydrated();
  const store = authStore();
  const auth = React.useSyncExternalStore(store.subscribe, store.getState, () => SIGNED_OUT);
  const loginApi = React.useMemo(() => new Api({ base: apiBase(), getToken: () => null }), []);

  if (!hydrated) {
    return (
      <div className="p-6">
        <Skeleton className="h-8 w-48" />
      </div>
    );
  }
  if (auth.token === null) {
    return <LoginScreen api={loginApi} message={auth.message} onToken={(token) => store.login(token)} />;
  }
  return (
    <LiveProvider key={auth.token} token={auth.token} onUnauthorized={() => store.refused()}>
      <Frame onLogout={() => store.logout()}>{children}</Frame>
    </LiveProvider>
  );
}

function Frame({ children, onLogout }: { children: React.ReactNode; onLogout: () => void }) {
  const pathname = usePathname();
  const connection = useConnection();
  const { reconnectNow } = useLiveContext();
  return (
    <div className="min-h-screen">
      <header className="bg-background/95 sticky top-0 z-40 border-b backdrop-blur">
        <div className="mx-auto flex h-14 max-w-[1600px] items-center gap-6 px-4">
          <Link href="/" className="font-semibold tracking-tight">
            tickhub
          </Link>
          <nav className="flex items-center gap-1" aria-label="Main">
            {NAV.map(({ href, label, icon: Icon }) => {
              const active = href === "/" ? pathname === "/" : pathname.startsWith(href.replace(/\/$/, ""));
              return (
                <Link
                  key={href}
                  href={href}
                  aria-current={active ? "page" : undefined}
                  className={cn(
                    "text-muted-foreground hover:text-foreground hover:bg-accent inline-flex items-center gap-1.5 rounded-md px-3 py-1.5 text-sm font-medium",
                    active && "bg-accent text-foreground",
                  )}
                >
                  <Icon className="size-4" aria-hidden />
                  {label}
                </Link>
              );
            })}
          </nav>
          <div className="ml-auto flex items-center gap-3">
            <ConnectionIndicator info={connection} onRetry={reconnectNow} />
            <Button variant="ghost" size="sm" onClick={onLogout}>
              <LogOut aria-hidden /> Log out
            </Button>
          </div>
        </div>
      </header>
      <BackendBanner />
      <main className="mx-auto max-w-[1600px] p-4">{children}</main>
    </div>
  );
}

/** What the api says of its own links: without the bus the page shows what the api
 * last knew, without the database the account pool cannot be read or changed. */
function BackendBanner() {
  const backend = useLive((s) => s.backend);
  const problems: string[] = [];
  if (backend.nats !== null && backend.nats !== "ok") {
    problems.push(`The api has lost NATS (${backend.nats}): what you see is what it last knew.`);
  }
  if (backend.database !== null && backend.database !== "ok") {
    problems.push(`The api cannot read the database (${backend.database}): accounts cannot be listed or changed.`);
  }
  if (problems.length === 0) return null;
  return (
    <div role="alert" data-testid="backend-banner" className="border-b border-amber-300 bg-amber-50 text-amber-900">
      <div className="mx-auto flex max-w-[1600px] items-start gap-2 px-4 py-2 text-sm">
        <TriangleAlert className="mt-0.5 size-4 shrink-0" aria-hidden />
        <div>
          {problems.map((text) => (
            <p key={text}>{text}</p>
          ))}
        </div>
      </div>
    </div>
  );
}
