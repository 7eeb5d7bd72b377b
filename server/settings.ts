/**
 * The table of every setting, grouped by area in modules of their own, and
 * the configuration it defaults to.
 *
 * @module
 */
import { AUTH_SETTINGS } from "./_auth_settings.ts";
import { CONNECTION_SETTINGS } from "./_connection_settings.ts";
import { MODERATION_SETTINGS } from "./_moderation_settings.ts";
import { STORAGE_SETTINGS } from "./_storage_settings.ts";
import type { Config, Setting } from "./config.ts";

/** Every setting, in the order `--help` and the README list them. */
export const SETTINGS: readonly Setting[] = [
  ...CONNECTION_SETTINGS,
  ...STORAGE_SETTINGS,
  ...AUTH_SETTINGS,
  ...MODERATION_SETTINGS,
];

/** The configuration with every setting at its default. */
export function defaultConfig(): Config {
  return Object.fromEntries(
    SETTINGS.map((
      setting,
    ) => [setting.key, structuredClone(setting.defaultValue)]),
  ) as unknown as Config;
}
