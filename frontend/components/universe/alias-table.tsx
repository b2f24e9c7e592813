import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatDay } from "@/lib/universe-rows";
import type { MainAlias } from "@/lib/universe-types";

/** Each main-contract alias and the contract it names today. */
export function AliasTable({ aliases }: { aliases: readonly MainAlias[] }) {
  if (aliases.length === 0) {
    return (
      <p className="text-muted-foreground p-2 text-sm">
        No alias: an entry like <code className="font-mono">rb888.SHFE</code> follows a product&apos;s main contract.
      </p>
    );
  }
  return (
    <Table aria-label="Main-contract aliases" data-testid="alias-table">
      <TableHeader>
        <TableRow>
          <TableHead>Alias</TableHead>
          <TableHead>Main contract</TableHead>
          <TableHead>Trading day</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {aliases.map((alias) => (
          <TableRow key={alias.alias} data-testid={`alias-row-${alias.alias}`}>
            <TableCell className="font-mono text-xs font-medium">{alias.alias}</TableCell>
            <TableCell className="font-mono text-xs">
              {alias.vt_symbol ?? <span className="text-amber-800">not decided yet</span>}
            </TableCell>
            <TableCell className="text-xs tabular-nums">{formatDay(alias.trading_day)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
