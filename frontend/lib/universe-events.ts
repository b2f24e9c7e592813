/**
 * The /ws events after which the Universe page reads its data again: the one place to
 * change when the api names them otherwise. Each bumps LiveState.universeVersion.
 */

export const UNIVERSE_EVENTS: readonly string[] = [
  "catalog_changed",
  "universe_changed",
  "allocation_changed",
  "main_contract_changed",
];

const EVENTS = new Set(UNIVERSE_EVENTS);

export function isUniverseEvent(message: { type: string }): boolean {
  return EVENTS.has(message.type);
}
