// Small helpers every part of the soak uses.

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

export function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

/** A JSON answer from the daemon's HTTP API, or undefined when it does not answer within 2 s. */
export async function getJson(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return (await response.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export interface Interval {
  from: number;
  to: number;
}

export const overlaps = (windows: readonly Interval[], from: number, to: number) =>
  windows.some((w) => w.from <= to && w.to >= from);
