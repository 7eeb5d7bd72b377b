/**
 * Structured logging: one JSON object per line on stderr.
 *
 * @module
 */

/** Log levels, least severe first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

let threshold = LOG_LEVELS.indexOf("info");

/**
 * Sets the least severe level that {@linkcode log} writes.
 *
 * @param level The new threshold.
 */
export function setLogLevel(level: LogLevel): void {
  threshold = LOG_LEVELS.indexOf(level);
}

/**
 * Writes one log line as JSON to stderr when `level` is at or above the threshold.
 *
 * @param level Severity.
 * @param event Short, stable name of what happened, e.g. `"connection.open"`.
 * @param fields Extra fields; errors are reduced to their name and message.
 *
 * @example Logging a lifecycle event
 * ```ts
 * import { log } from "./log.ts";
 *
 * log("debug", "connection.open", { id: "c1" });
 * ```
 */
export function log(
  level: LogLevel,
  event: string,
  fields: Record<string, unknown> = {},
): void {
  if (LOG_LEVELS.indexOf(level) < threshold) return;
  const line = JSON.stringify(
    { time: new Date().toISOString(), level, event, ...fields },
    (_key, value) =>
      value instanceof Error ? `${value.name}: ${value.message}` : value,
  );
  print(line, "stderr");
}

/**
 * Writes one line of text for people: the listening URL, `--help`, a
 * configuration error. This is the only place that touches the console.
 *
 * @param line Text without a trailing newline.
 * @param stream Where it goes.
 */
export function print(
  line: string,
  stream: "stdout" | "stderr" = "stdout",
): void {
  // deno-lint-ignore no-console
  (stream === "stdout" ? console.log : console.error)(line);
}
