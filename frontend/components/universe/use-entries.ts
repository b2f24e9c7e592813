"use client";

import * as React from "react";
import { toast } from "sonner";

import { errorText } from "@/components/dashboard/gateway-controls";
import type { Api } from "@/lib/api";
import type { UniverseEntry } from "@/lib/universe-types";

/**
 * The universe's entries and what changes them. Read again when `refreshKey` changes;
 * `onChanged` is told after each change the api took (the resolved view follows it).
 */
export function useEntries(api: Api, refreshKey: unknown, onChanged: () => void) {
  const [entries, setEntries] = React.useState<UniverseEntry[] | null>(null);
  const [loadError, setLoadError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState<ReadonlySet<number>>(new Set());

  React.useEffect(() => {
    const abort = new AbortController();
    api.universe(abort.signal).then(
      (list) => {
        setEntries(list.entries);
        setLoadError(null);
      },
      (error: unknown) => {
        if (!abort.signal.aborted) setLoadError(errorText(error));
      },
    );
    return () => abort.abort();
  }, [api, refreshKey]);

  const replace = (entry: UniverseEntry) =>
    setEntries((list) => (list ? list.map((e) => (e.id === entry.id ? entry : e)) : list));
  const mark = (id: number, on: boolean) =>
    setBusy((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  async function add(body: { text: string; options?: boolean; note?: string }) {
    const created = await api.createUniverseEntry(body); // the form shows a refusal
    setEntries((list) => [...(list ?? []).filter((e) => e.id !== created.id), created]);
    toast.success(`${created.text} added`);
    onChanged();
  }

  async function setOptions(entry: UniverseEntry, options: boolean) {
    mark(entry.id, true);
    replace({ ...entry, options }); // at once; put back if the api refuses
    try {
      replace(await api.updateUniverseEntry(entry.id, { options }));
      onChanged();
    } catch (error) {
      replace(entry);
      toast.error(`Could not change the options of ${entry.text}`, { description: errorText(error) });
    } finally {
      mark(entry.id, false);
    }
  }

  async function setNote(entry: UniverseEntry, note: string): Promise<boolean> {
    try {
      replace(await api.updateUniverseEntry(entry.id, { note }));
      return true;
    } catch (error) {
      toast.error(`Could not save the note of ${entry.text}`, { description: errorText(error) });
      return false;
    }
  }

  async function remove(entry: UniverseEntry) {
    try {
      await api.deleteUniverseEntry(entry.id);
      setEntries((list) => (list ? list.filter((e) => e.id !== entry.id) : list));
      toast.success(`${entry.text} deleted`);
      onChanged();
    } catch (error) {
      toast.error(`Could not delete ${entry.text}`, { description: errorText(error) });
    }
  }

  return { entries, loadError, busy, add, setOptions, setNote, remove };
}
