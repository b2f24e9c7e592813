import { Badge } from "@/components/ui/badge";
import { COVERAGE_STYLE, coverage } from "@/lib/universe-rows";
import { cn } from "@/lib/utils";

/** A contract's sources: none is red ("no source"), one amber, more plain. */
export function SourceBadges({ sources }: { sources: readonly string[] }) {
  const state = coverage(sources);
  if (state === "none") {
    return (
      <Badge variant="outline" className={COVERAGE_STYLE.none} data-coverage="none">
        no source
      </Badge>
    );
  }
  return (
    <span className="flex gap-1 overflow-hidden" data-coverage={state} title={sources.join(", ")}>
      {sources.map((source) => (
        <Badge key={source} variant="outline" className={cn(state === "single" && COVERAGE_STYLE.single)}>
          {source}
        </Badge>
      ))}
    </span>
  );
}

/** The universe entries that name a contract. */
export function EntryBadges({ entries }: { entries: readonly string[] }) {
  return (
    <span className="flex gap-1 overflow-hidden" title={entries.join(", ")}>
      {entries.map((entry) => (
        <Badge key={entry} variant="secondary" className="font-mono">
          {entry}
        </Badge>
      ))}
    </span>
  );
}
