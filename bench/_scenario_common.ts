/**
 * What the benchmark's scenarios share: one measured run against a fresh
 * server, the order servers take turns in, medians, and the Markdown table
 * each scenario prints.
 *
 * @module
 */
import { type LoadResult, runLoad } from "./run.ts";
import { startTarget, type TargetName } from "./servers.ts";

/** Plain text or `chat.v1` JSON. */
export type Mode = "plain" | "json";

/** Prints one line of the benchmark's progress or its report. */
// deno-lint-ignore no-console
export const say: (...data: unknown[]) => void = console.log;

/**
 * The median of the finite `values`.
 *
 * @param values Measurements; `NaN` and infinities are left out.
 * @returns The middle value (the mean of the two middle ones for an even count), or `NaN` when none is finite.
 */
export function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).toSorted((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * `items` rotated left, so that each repeat or step starts with another
 * server and machine drift hits all alike.
 *
 * @param items The servers, in their usual order.
 * @param by How many places to rotate.
 * @returns A new array.
 */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/**
 * `value` with `digits` decimals for a table cell, or a dash when it is not finite.
 *
 * @param value The number to print.
 * @param digits Decimals.
 * @returns The cell's text.
 */
export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

/**
 * Starts the server `name`, runs one load against it and stops it.
 *
 * @param name The server.
 * @param mode The protocol the load speaks.
 * @param load The load, less what the server and `mode` fill in.
 * @returns What the run measured.
 * @throws {Error} When the server does not start or a load process fails.
 */
export async function measure(
  name: TargetName,
  mode: Mode,
  load: Omit<Parameters<typeof runLoad>[1], "serverPids" | "mode">,
): Promise<LoadResult> {
  await using target = await startTarget(name);
  return await runLoad(target.wsUrls, {
    ...load,
    serverPids: target.pids,
    mode,
  });
}

/**
 * A Markdown table.
 *
 * @param header The column names.
 * @param rows The cells, a row each.
 * @returns The table's lines, joined.
 */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(header),
    line(header.map(() => "---")),
    ...rows.map(line),
  ].join("\n");
}
