"use client";

import * as React from "react";
import { Loader2, Pencil, Plus, RefreshCw, Trash2 } from "lucide-react";
import { toast } from "sonner";

import {
  AlertDialog,
  AlertDialogAction,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
  AlertDialogTrigger,
} from "@/components/ui/alert-dialog";
import { Badge } from "@/components/ui/badge";
import { Button, buttonVariants } from "@/components/ui/button";
import { Card, CardAction, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Switch } from "@/components/ui/switch";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { errorText } from "@/components/dashboard/gateway-controls";
import { useLive, useLiveContext } from "@/lib/live-context";
import { formatDateTime } from "@/lib/format";
import type { Account } from "@/lib/types";

import { AccountFormDialog } from "./account-form-dialog";

function settingsSummary(account: Account): string {
  if (account.sim) {
    const s = account.sim;
    return `${s.ticks_per_second}/s${s.delay_ms ? `, +${s.delay_ms} ms` : ""}${s.fail_login ? ", rejects login" : ""}`;
  }
  if (account.ctp) {
    const c = account.ctp;
    const where = c.md_library === "local" ? " · local front" : "";
    return `${c.userid}@${c.broker_id} · ${c.md_fronts.length} front${c.md_fronts.length === 1 ? "" : "s"} · ${c.environment}${where}`;
  }
  return "";
}

/** An explicit list's size, or "universe" when the account takes its contracts from it;
 * and what it excludes. */
function ContractsSummary({ account }: { account: Account }) {
  const excluded = account.excluded ?? [];
  return (
    <div className="flex items-center gap-2">
      {account.contracts.length === 0 ? (
        <Badge variant="outline" title="Takes its contracts from the universe">
          universe
        </Badge>
      ) : (
        <span className="tabular-nums" title={account.contracts.join(", ")}>
          {account.contracts.length} explicit
        </span>
      )}
      {excluded.length > 0 && (
        <span className="text-muted-foreground max-w-40 truncate text-xs" title={`Excluded: ${excluded.join(", ")}`}>
          excl. {excluded.join(", ")}
        </span>
      )}
    </div>
  );
}

export function AccountsPage() {
  const { api } = useLiveContext();
  const version = useLive((s) => s.accountsVersion);
  const [accounts, setAccounts] = React.useState<Account[] | null>(null);
  const [loadError, setLoadError] = React.useState<string | null>(null);
  const [editing, setEditing] = React.useState<Account | null>(null);
  const [formOpen, setFormOpen] = React.useState(false);
  const [toggling, setToggling] = React.useState<ReadonlySet<number>>(new Set());

  const load = React.useCallback(
    async (signal?: AbortSignal) => {
      try {
        const list = await api.accounts(signal);
        setAccounts(list);
        setLoadError(null);
      } catch (error) {
        if (signal?.aborted) return;
        setLoadError(errorText(error));
      }
    },
    [api],
  );

  // Read again whenever the feed says the pool changed (here or in another browser).
  React.useEffect(() => {
    const abort = new AbortController();
    void load(abort.signal);
    return () => abort.abort();
  }, [load, version]);

  const replace = (account: Account) =>
    setAccounts((list) => (list ? list.map((a) => (a.id === account.id ? account : a)) : list));

  async function toggle(account: Account, enabled: boolean) {
    setToggling((s) => new Set(s).add(account.id));
    replace({ ...account, is_enabled: enabled }); // at once; put back if the api refuses
    try {
      replace(await api.updateAccount(account.id, { is_enabled: enabled }));
      toast.success(`${account.name} ${enabled ? "enabled" : "disabled"}`);
    } catch (error) {
      replace(account);
      toast.error(`Could not ${enabled ? "enable" : "disable"} ${account.name}`, { description: errorText(error) });
    } finally {
      setToggling((s) => {
        const next = new Set(s);
        next.delete(account.id);
        return next;
      });
    }
  }

  async function remove(account: Account) {
    try {
      await api.deleteAccount(account.id);
      setAccounts((list) => (list ? list.filter((a) => a.id !== account.id) : list));
      toast.success(`${account.name} deleted`);
    } catch (error) {
      toast.error(`Could not delete ${account.name}`, { description: errorText(error) });
    }
  }

  async function submit(body: Record<string, unknown>, account: Account | null) {
    if (account) {
      const saved = await api.updateAccount(account.id, body);
      replace(saved);
      toast.success(`${saved.name} saved`);
    } else {
      const created = await api.createAccount(body);
      setAccounts((list) => [...(list ?? []), created]);
      toast.success(`${created.name} created`);
    }
  }

  return (
    <Card className="gap-3 py-4">
      <CardHeader>
        <CardTitle className="text-lg">Accounts</CardTitle>
        <CardDescription>The account pool. A disabled account has no worker; secrets are write-only.</CardDescription>
        <CardAction className="flex gap-2">
          <Button variant="ghost" size="sm" onClick={() => void load()} aria-label="Reload">
            <RefreshCw aria-hidden />
          </Button>
          <Button
            size="sm"
            onClick={() => {
              setEditing(null);
              setFormOpen(true);
            }}
          >
            <Plus aria-hidden /> New account
          </Button>
        </CardAction>
      </CardHeader>
      <CardContent className="px-2">
        {loadError && (
          <p role="alert" className="text-destructive px-4 pb-2 text-sm">
            {loadError}
          </p>
        )}
        {accounts === null ? (
          <div className="space-y-2 p-4">
            <Skeleton className="h-8 w-full" />
            <Skeleton className="h-8 w-full" />
          </div>
        ) : accounts.length === 0 ? (
          <p className="text-muted-foreground p-6 text-sm">No account yet: create one.</p>
        ) : (
          <Table data-testid="accounts-table">
            <TableHeader>
              <TableRow>
                <TableHead>Name</TableHead>
                <TableHead>Type</TableHead>
                <TableHead className="text-right">Priority</TableHead>
                <TableHead>Enabled</TableHead>
                <TableHead>Canary</TableHead>
                <TableHead>Contracts</TableHead>
                <TableHead className="text-right">Capacity</TableHead>
                <TableHead>Settings</TableHead>
                <TableHead>Updated</TableHead>
                <TableHead className="text-right">Actions</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {accounts.map((account) => (
                <TableRow key={account.id} data-testid={`account-row-${account.name}`}>
                  <TableCell className="font-medium">{account.name}</TableCell>
                  <TableCell>
                    <Badge variant="secondary" className="uppercase">
                      {account.gateway_type}
                    </Badge>
                  </TableCell>
                  <TableCell className="text-right tabular-nums">{account.priority}</TableCell>
                  <TableCell>
                    <div className="flex items-center gap-2">
                      <Switch
                        checked={account.is_enabled}
                        disabled={toggling.has(account.id)}
                        onCheckedChange={(checked) => void toggle(account, checked)}
                        aria-label={`Enable ${account.name}`}
                      />
                      {toggling.has(account.id) && <Loader2 className="size-3 animate-spin" aria-hidden />}
                    </div>
                  </TableCell>
                  <TableCell className="font-mono text-xs">{account.canary}</TableCell>
                  <TableCell data-testid="contracts-cell">
                    <ContractsSummary account={account} />
                  </TableCell>
                  <TableCell className="text-right tabular-nums">{(account.capacity ?? 0).toLocaleString("en-US")}</TableCell>
                  <TableCell className="text-muted-foreground text-xs">{settingsSummary(account)}</TableCell>
                  <TableCell className="text-muted-foreground text-xs">{formatDateTime(account.updated_at)}</TableCell>
                  <TableCell className="text-right">
                    <div className="flex justify-end gap-1">
                      <Button
                        size="sm"
                        variant="ghost"
                        aria-label={`Edit ${account.name}`}
                        onClick={() => {
                          setEditing(account);
                          setFormOpen(true);
                        }}
                      >
                        <Pencil aria-hidden />
                      </Button>
                      <AlertDialog>
                        <AlertDialogTrigger asChild>
                          <Button size="sm" variant="ghost" aria-label={`Delete ${account.name}`}>
                            <Trash2 aria-hidden />
                          </Button>
                        </AlertDialogTrigger>
                        <AlertDialogContent>
                          <AlertDialogHeader>
                            <AlertDialogTitle>Delete {account.name}?</AlertDialogTitle>
                            <AlertDialogDescription>
                              The account and its stored secrets are removed and its worker is stopped. This cannot be undone.
                            </AlertDialogDescription>
                          </AlertDialogHeader>
                          <AlertDialogFooter>
                            <AlertDialogCancel>Cancel</AlertDialogCancel>
                            <AlertDialogAction
                              className={buttonVariants({ variant: "destructive" })}
                              onClick={() => void remove(account)}
                            >
                              Delete
                            </AlertDialogAction>
                          </AlertDialogFooter>
                        </AlertDialogContent>
                      </AlertDialog>
                    </div>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
      <AccountFormDialog open={formOpen} onOpenChange={setFormOpen} account={editing} onSubmit={submit} />
    </Card>
  );
}
