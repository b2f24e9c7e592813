import { Search } from "lucide-react";

import { Input } from "@/components/ui/input";

export function SearchBox({
  label,
  placeholder,
  value,
  onChange,
}: {
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <div className="relative min-w-48 flex-1 sm:max-w-sm">
      <Search className="text-muted-foreground absolute top-2 left-2.5 size-4" aria-hidden />
      <Input
        type="search"
        aria-label={label}
        placeholder={placeholder}
        value={value}
        maxLength={64}
        spellCheck={false}
        onChange={(event) => onChange(event.target.value)}
        className="h-8 pl-8 font-mono"
      />
    </div>
  );
}

/** "1,234 of 40,000" while loading and after; a fixed place, so nothing moves. */
export function RowCount({ total, loading, error }: { total: number | null; loading: boolean; error: string | null }) {
  return (
    <p className="text-muted-foreground min-w-32 text-xs tabular-nums" aria-live="polite">
      {error ? (
        <span role="alert" className="text-destructive">
          {error}
        </span>
      ) : total === null ? (
        "loading…"
      ) : (
        `${total.toLocaleString("en-US")} ${total === 1 ? "row" : "rows"}${loading ? " · loading…" : ""}`
      )}
    </p>
  );
}
