"use client";

import { Loader2 } from "lucide-react";

import { Skeleton } from "@/components/ui/skeleton";
import { Switch } from "@/components/ui/switch";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatDateTime } from "@/lib/format";
import type { UniverseEntry } from "@/lib/universe-types";

import { DeleteEntryButton } from "./delete-entry-button";
import { EntryKindBadge } from "./entry-kind-badge";
import { NoteCell } from "./note-cell";

export interface EntryListProps {
  entries: UniverseEntry[] | null;
  /** Entries with a change under way. */
  busy: ReadonlySet<number>;
  onOptions: (entry: UniverseEntry, options: boolean) => void;
  onNote: (entry: UniverseEntry, note: string) => Promise<boolean>;
  onDelete: (entry: UniverseEntry) => void;
}

/** The universe's entries: kind, options switch, note, delete. */
export function EntryList({ entries, busy, onOptions, onNote, onDelete }: EntryListProps) {
  if (entries === null) {
    return (
      <div className="space-y-2 p-2">
        <Skeleton className="h-8 w-full" />
        <Skeleton className="h-8 w-full" />
      </div>
    );
  }
  if (entries.length === 0) {
    return <p className="text-muted-foreground p-4 text-sm">The universe is empty: add an entry above.</p>;
  }
  return (
    <Table data-testid="universe-entries" aria-label="Universe entries">
      <TableHeader>
        <TableRow>
          <TableHead>Entry</TableHead>
          <TableHead>Kind</TableHead>
          <TableHead>Options</TableHead>
          <TableHead>Note</TableHead>
          <TableHead>Updated</TableHead>
          <TableHead className="text-right">
            <span className="sr-only">Actions</span>
          </TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {entries.map((entry) => (
          <TableRow key={entry.id} data-testid={`entry-row-${entry.text}`}>
            <TableCell className="font-mono text-xs font-medium">{entry.text}</TableCell>
            <TableCell>
              <EntryKindBadge kind={entry.kind} />
            </TableCell>
            <TableCell>
              <div className="flex items-center gap-2">
                <Switch
                  checked={entry.options}
                  disabled={busy.has(entry.id)}
                  onCheckedChange={(checked) => onOptions(entry, checked)}
                  aria-label={`Options of ${entry.text}`}
                />
                {busy.has(entry.id) && <Loader2 className="size-3 animate-spin" aria-hidden />}
              </div>
            </TableCell>
            <TableCell>
              <NoteCell key={entry.note} entry={entry.text} note={entry.note} onSave={(note) => onNote(entry, note)} />
            </TableCell>
            <TableCell className="text-muted-foreground text-xs">{formatDateTime(entry.updated_at)}</TableCell>
            <TableCell className="text-right">
              <DeleteEntryButton text={entry.text} onDelete={() => onDelete(entry)} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
