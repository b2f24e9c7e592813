"use client";

import * as React from "react";
import { Loader2, Plus } from "lucide-react";

import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { EMPTY_ENTRY, entryBody, entryErrorText, type EntryFormValues } from "@/lib/universe-form";
import { ENTRY_EXAMPLES } from "@/lib/universe-rows";

const PLACEHOLDER = ENTRY_EXAMPLES.filter((example) => example.kind !== "contract")
  .map((example) => example.text)
  .join(", ");

/** Adds one universe entry; the api's refusal shows under the text, which is kept. */
export function EntryForm({ onAdd }: { onAdd: (body: ReturnType<typeof entryBody>) => Promise<void> }) {
  const [values, setValues] = React.useState<EntryFormValues>(EMPTY_ENTRY);
  const [error, setError] = React.useState<string | null>(null);
  const [saving, setSaving] = React.useState(false);
  const set = <K extends keyof EntryFormValues>(key: K, value: EntryFormValues[K]) =>
    setValues((current) => ({ ...current, [key]: value }));

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    if (values.text.trim() === "") {
      setError("Write a contract, product, exchange, pattern or alias.");
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await onAdd(entryBody(values));
      setValues(EMPTY_ENTRY);
    } catch (failure) {
      setError(entryErrorText(failure));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Add an entry" className="grid gap-2">
      <div className="grid gap-3 sm:grid-cols-[minmax(0,3fr)_minmax(0,2fr)_auto_auto] sm:items-end">
        <div className="grid gap-1.5">
          <Label htmlFor="universe-text">Entry</Label>
          <Input
            id="universe-text"
            name="text"
            autoComplete="off"
            spellCheck={false}
            className="font-mono"
            placeholder={PLACEHOLDER}
            value={values.text}
            aria-invalid={error !== null}
            aria-describedby={error ? "universe-text-error" : "universe-text-hint"}
            onChange={(e) => set("text", e.target.value)}
          />
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="universe-note">Note</Label>
          <Input
            id="universe-note"
            name="note"
            autoComplete="off"
            placeholder="why it is here (optional)"
            value={values.note}
            onChange={(e) => set("note", e.target.value)}
          />
        </div>
        <label className="flex h-9 items-center gap-2 text-sm font-medium select-none">
          <input
            type="checkbox"
            name="options"
            className="accent-primary size-4"
            checked={values.options}
            onChange={(e) => set("options", e.target.checked)}
          />
          Options too
        </label>
        <Button type="submit" disabled={saving}>
          {saving ? <Loader2 className="animate-spin" aria-hidden /> : <Plus aria-hidden />}
          Add
        </Button>
      </div>
      {/* Always two lines high: a message in place of the hint does not push the list. */}
      <p className="min-h-8 text-xs">
        {error ? (
          <span id="universe-text-error" role="alert" className="text-destructive" data-testid="entry-error">
            {error}
          </span>
        ) : (
          <span id="universe-text-hint" className="text-muted-foreground">
            {ENTRY_EXAMPLES.map((example, i) => (
              <React.Fragment key={example.kind}>
                {i > 0 && " · "}
                <code className="font-mono">{example.text}</code> ({example.means})
              </React.Fragment>
            ))}
          </span>
        )}
      </p>
    </form>
  );
}
