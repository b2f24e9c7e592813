"use client";

import * as React from "react";
import { KeyRound, Loader2 } from "lucide-react";

import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Api, ApiError } from "@/lib/api";

/** Asks for the api token and checks it against the api before keeping it. */
export function LoginScreen({
  api,
  message,
  onToken,
}: {
  api: Api;
  message: string | null;
  onToken: (token: string) => void;
}) {
  const [token, setToken] = React.useState("");
  const [error, setError] = React.useState<string | null>(null);
  const [checking, setChecking] = React.useState(false);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    const candidate = token.trim();
    if (!candidate) {
      setError("Enter the api token.");
      return;
    }
    setChecking(true);
    setError(null);
    try {
      await api.request("/api/gateways", { token: candidate });
      onToken(candidate);
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401) {
        setError("This token is not the api's token. Check it and try again.");
      } else if (caught instanceof ApiError && caught.status === 0) {
        setError("The api cannot be reached; is it running?");
      } else {
        // Past the token check (the api checks it first): the token is right, the api
        // has another trouble that the dashboard will show.
        onToken(candidate);
      }
    } finally {
      setChecking(false);
    }
  }

  const shown = error ?? message;
  return (
    <main className="bg-muted/40 flex min-h-screen items-center justify-center p-4">
      <Card className="w-full max-w-sm">
        <CardHeader>
          <CardTitle className="flex items-center gap-2 text-xl">
            <KeyRound className="size-5" aria-hidden /> tickhub
          </CardTitle>
          <CardDescription>
            Sign in with the api token. <code className="text-xs">tickhub up</code> prints a login link that holds it.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <form onSubmit={submit} className="grid gap-4" noValidate>
            <div className="grid gap-2">
              <Label htmlFor="token">API token</Label>
              <Input
                id="token"
                name="token"
                type="password"
                autoComplete="current-password"
                autoFocus
                value={token}
                onChange={(event) => setToken(event.target.value)}
                aria-invalid={shown !== null}
                aria-describedby={shown ? "token-error" : undefined}
              />
              {shown && (
                <p id="token-error" role="alert" className="text-destructive text-sm">
                  {shown}
                </p>
              )}
            </div>
            <Button type="submit" disabled={checking}>
              {checking && <Loader2 className="animate-spin" aria-hidden />}
              Sign in
            </Button>
          </form>
        </CardContent>
      </Card>
    </main>
  );
}
