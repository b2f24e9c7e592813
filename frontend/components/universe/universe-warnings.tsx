import { TriangleAlert } from "lucide-react";

/** Entries that name nothing in the catalog, and named contracts it does not list. */
export function UniverseWarnings({ unmatched, notListed }: { unmatched: readonly string[]; notListed: readonly string[] }) {
  if (unmatched.length === 0 && notListed.length === 0) return null;
  return (
    <div className="grid gap-2" data-testid="universe-warnings">
      {unmatched.length > 0 && (
        <Warning title={`${unmatched.length} ${unmatched.length === 1 ? "entry matches" : "entries match"} nothing in the catalog`} items={unmatched} testId="unmatched" />
      )}
      {notListed.length > 0 && (
        <Warning
          title={`${notListed.length} named ${notListed.length === 1 ? "contract is" : "contracts are"} not listed (expired or mistyped)`}
          items={notListed}
          testId="not-listed"
        />
      )}
    </div>
  );
}

function Warning({ title, items, testId }: { title: string; items: readonly string[]; testId: string }) {
  return (
    <div role="alert" data-testid={testId} className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
      <p className="flex items-center gap-2 font-medium">
        <TriangleAlert className="size-4 shrink-0" aria-hidden />
        {title}
      </p>
      <p className="mt-1 max-h-24 overflow-y-auto font-mono text-xs break-words">{items.join(", ")}</p>
    </div>
  );
}
