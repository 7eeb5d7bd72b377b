/**
 * The `--help` text, and defaults written the way it and the README show them.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { SETTINGS } from "./settings.ts";

/** The `--help` text: usage, then every setting with its flag, variable and default. */
export function helpText(): string {
  // Columns as wide as their longest entry, two spaces apart.
  const flags = ["Flag", "--help", ...SETTINGS.map((s) => `--${s.flag}`)];
  const variables = ["Variable", ...SETTINGS.map((s) => s.env)];
  const flagWidth = Math.max(...flags.map((flag) => flag.length)) + 2;
  const envWidth = Math.max(...variables.map((env) => env.length)) + 2;
  const row = (flag: string, env: string, meaning: string) =>
    `  ${flag.padEnd(flagWidth)}${env.padEnd(envWidth)}${meaning}`;
  return [
    "Usage: deno task start [options]",
    "",
    "A real-time chat server. Every option can also be set by its environment variable.",
    "",
    row("Flag", "Variable", "Meaning"),
    ...SETTINGS.map((setting) =>
      row(
        `--${setting.flag}`,
        setting.env,
        `${setting.description} (default: ${
          formatDefault(setting.defaultValue)
        })`,
      )
    ),
    row("--help", "", "Show this help and exit"),
  ].join("\n");
}

/** Formats a default value the way `--help` and the README show it. */
export function formatDefault(value: Config[keyof Config]): string {
  if (Array.isArray(value)) return value.length ? value.join(",") : "(none)";
  if (value === "") return "(none)";
  return String(value);
}
