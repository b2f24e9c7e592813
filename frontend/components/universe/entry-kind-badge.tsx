import { Badge } from "@/components/ui/badge";
import { entryKindStyle } from "@/lib/universe-rows";
import { cn } from "@/lib/utils";

export function EntryKindBadge({ kind }: { kind: string }) {
  return (
    <Badge variant="outline" className={cn(entryKindStyle(kind))} data-kind={kind}>
      {kind}
    </Badge>
  );
}
