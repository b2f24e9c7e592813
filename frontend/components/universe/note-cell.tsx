"use client";

import * as React from "react";
import { Check, Pencil, X } from "lucide-react";

import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";

/** An entry's note, edited in place: Enter or the check saves, Escape or the cross
 * cancels. */
export function NoteCell({ entry, note, onSave }: { entry: string; note: string; onSave: (note: string) => Promise<boolean> }) {
  const [editing, setEditing] = React.useState(false);
  const [draft, setDraft] = React.useState(note);
  const [saving, setSaving] = React.useState(false);

  async function save(event?: React.FormEvent) {
    event?.preventDefault();
    if (draft.trim() === note) {
      setEditing(false);
      return;
    }
    setSaving(true);
    const saved = await onSave(draft.trim());
    setSaving(false);
    if (saved) setEditing(false);
  }

  if (!editing) {
    return (
      <div className="flex h-8 items-center gap-1">
        <span className="text-muted-foreground max-w-64 truncate text-xs" title={note}>
          {note || "—"}
        </span>
        <Button
          size="sm"
          variant="ghost"
          className="size-7 p-0"
          aria-label={`Edit the note of ${entry}`}
          onClick={() => {
            setDraft(note);
            setEditing(true);
          }}
        >
          <Pencil aria-hidden />
        </Button>
      </div>
    );
  }
  return (
    <form className="flex h-8 items-center gap-1" onSubmit={(event) => void save(event)}>
      <Input
        autoFocus
        aria-label={`Note of ${entry}`}
        className="h-7 max-w-64 text-xs"
        value={draft}
        disabled={saving}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") setEditing(false);
        }}
      />
      <Button type="submit" size="sm" variant="ghost" className="size-7 p-0" disabled={saving} aria-label="Save the note">
        <Check aria-hidden />
      </Button>
      <Button type="button" size="sm" variant="ghost" className="size-7 p-0" aria-label="Cancel" onClick={() => setEditing(false)}>
        <X aria-hidden />
      </Button>
    </form>
  );
}
