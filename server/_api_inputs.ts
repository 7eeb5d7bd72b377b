/**
 * Reading the inputs of server API requests (path parameters, query
 * parameters, headers, JSON bodies) without trusting them, for the route
 * tables: each reader returns the value or throws an {@linkcode ApiError}
 * (400) that names the field.
 *
 * @module
 */
import type { Actor } from "../chat/moderation.ts";
import { isUserId } from "../chat/parse_event.ts";
import { isReasonText, MAX_REASON_LENGTH } from "../chat/parse_moderation.ts";
import {
  isRecord,
  MAX_NONCE_LENGTH,
  normalizeName,
  normalizeRoom,
  validateText,
} from "./_fields.ts";
import { ApiError } from "./api_route.ts";
import { ProtocolError } from "./protocol_error.ts";

/** Who acts when a call names nobody. */
export const API_ACTOR: Actor = { id: "api", name: "API" };

function bad(message: string): ApiError {
  return new ApiError(400, "bad_request", message);
}

/** Runs a protocol check, answering its refusal as a 400 with its code. */
function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    throw new ApiError(400, error.code, error.message);
  }
}

/**
 * A room named in the path.
 *
 * @throws {ApiError} 400 `invalid_room`.
 */
export function roomOf(params: Record<string, string>): string {
  return checked(() => normalizeRoom(params.room));
}

/**
 * A user id, from the path or a body.
 *
 * @throws {ApiError} 400 `bad_request`.
 */
export function userIdOf(value: unknown, field = "userId"): string {
  if (!isUserId(value)) {
    throw bad(
      `Cannot read "${field}": expected a user id of 1 to 128 characters`,
    );
  }
  return value;
}

/**
 * An integer query parameter within bounds.
 *
 * @returns It, or `undefined` when absent.
 * @throws {ApiError} 400 `bad_request`.
 */
export function queryInteger(
  query: URLSearchParams,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw bad(
      `Cannot read "${name}": expected an integer from ${min} to ${max}`,
    );
  }
  return value;
}

/**
 * A message id named in the path.
 *
 * @throws {ApiError} 400 `bad_request`.
 */
export function messageIdOf(params: Record<string, string>): number {
  const id = Number(params.id);
  if (!/^\d+$/.test(params.id ?? "") || !Number.isSafeInteger(id) || id < 1) {
    throw bad('Cannot read "id": expected a positive integer');
  }
  return id;
}

/**
 * The body as an object: `{}` when there was none and none is required.
 *
 * @throws {ApiError} 400 `bad_request`.
 */
export function bodyOf(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (!isRecord(body)) throw bad("Cannot read body: expected a JSON object");
  return body;
}

/**
 * Who the body says acts (`by`), or {@linkcode API_ACTOR}.
 *
 * @throws {ApiError} 400 for an id or name that is not valid.
 */
export function actorOf(body: Record<string, unknown>, field = "by"): Actor {
  const value = body[field];
  if (value === undefined) return API_ACTOR;
  if (!isRecord(value)) {
    throw bad(`Cannot read "${field}": expected { "id", "name" }`);
  }
  return {
    id: userIdOf(value.id, `${field}.id`),
    name: checked(() => normalizeName(value.name)),
  };
}

/**
 * A message's text from the body.
 *
 * @throws {ApiError} 400 `bad_request` or `message_too_large`.
 */
export function textOf(
  body: Record<string, unknown>,
  maxMessageBytes: number,
): string {
  if (typeof body.text !== "string") {
    throw bad('Cannot read "text": expected a string');
  }
  const text = body.text;
  return checked(() => validateText(text, maxMessageBytes));
}

/**
 * A moderator's reason from the body, if any.
 *
 * @throws {ApiError} 400 `bad_request`.
 */
export function reasonOf(body: Record<string, unknown>): { reason?: string } {
  const { reason } = body;
  if (reason === undefined) return {};
  if (!isReasonText(reason)) {
    throw bad(
      `Cannot read "reason": expected text of at most ${MAX_REASON_LENGTH} characters`,
    );
  }
  return { reason };
}

/**
 * The `Idempotency-Key` header: a retried call with the same key changes nothing twice.
 *
 * @throws {ApiError} 400 `bad_request` for one that is not 1 to 64 characters.
 */
export function idempotencyKeyOf(headers: Headers): { nonce?: string } {
  const key = headers.get("idempotency-key");
  if (key === null) return {};
  if (key.length < 1 || key.length > MAX_NONCE_LENGTH) {
    throw bad(
      `Cannot read "Idempotency-Key": expected 1 to ${MAX_NONCE_LENGTH} characters`,
    );
  }
  return { nonce: key };
}
