/**
 * The parsers the settings table (`settings.ts`) is built with: each turns an
 * environment variable's or a flag's text into a value, or throws a
 * `RangeError` or `TypeError` that `loadConfig()` names the setting in.
 *
 * @module
 */
import { MIN_SECRET_BYTES } from "../auth/tokens.ts";
import type { Config, Setting } from "./config.ts";

/** A parser of integers from `min` to `max`. */
export function integer(min: number, max: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw.trim());
    if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
      throw new RangeError(`expected an integer from ${min} to ${max}`);
    }
    return value;
  };
}

/** Parses a comma-separated list of origins (`*` for any). */
export function originList(raw: string): string[] {
  const origins = raw.split(",").map((origin) => origin.trim()).filter(
    Boolean,
  );
  for (const origin of origins) {
    if (origin === "*") continue;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch (cause) {
      throw new TypeError(`"${origin}" is not a URL`, { cause });
    }
    if (parsed.origin !== origin) {
      throw new TypeError(
        `"${origin}" is not an origin like "${parsed.origin}"`,
      );
    }
  }
  return origins;
}

/** Parses a host name or IP address. */
export function hostname(raw: string): string {
  const value = raw.trim();
  if (value === "" || /[\s/]/.test(value)) {
    throw new TypeError("expected a host name or IP address");
  }
  return value;
}

/** A parser of one of `values`. */
export function oneOf<T extends string>(
  values: readonly T[],
): (raw: string) => T {
  return (raw) => {
    const value = values.find((candidate) => candidate === raw.trim());
    if (value === undefined) {
      throw new TypeError(`expected one of ${values.join(", ")}`);
    }
    return value;
  };
}

/** Parses `true`/`false` (or `1`/`0`). */
export function boolean(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new TypeError("expected true or false");
}

/** Parses a secret: empty, or at least {@linkcode MIN_SECRET_BYTES} bytes. */
export function secret(raw: string): string {
  if (raw !== "" && new TextEncoder().encode(raw).length < MIN_SECRET_BYTES) {
    throw new RangeError(`expected at least ${MIN_SECRET_BYTES} bytes`);
  }
  return raw;
}

/** Parses a comma-separated list. */
export function list(raw: string): string[] {
  return raw.split(",").map((item) => item.trim()).filter(Boolean);
}

/** A parser of URLs of `protocols` (or empty). */
export function url(protocols: readonly string[]): (raw: string) => string {
  return (raw) => {
    const value = raw.trim();
    if (value === "") return value;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch (cause) {
      throw new TypeError(`expected a ${protocols.join(" or ")} URL`, {
        cause,
      });
    }
    if (!protocols.includes(parsed.protocol.slice(0, -1))) {
      throw new TypeError(`expected a ${protocols.join(" or ")} URL`);
    }
    return value;
  };
}

/** Types one setting of {@linkcode Config} for the table of every setting. */
export function define<K extends keyof Config>(setting: Setting<K>): Setting {
  return setting as unknown as Setting;
}
