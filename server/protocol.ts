/**
 * The wire format of `/ws`: what clients may send, what the server sends, and
 * the validation between them. `docs/protocol.md` describes the same for
 * people writing clients.
 *
 * Each part lives in its own module beside this one; this is the one the rest
 * of the server, the tests and the client's wire types import.
 *
 * @module
 */
export { MAX_NAME_LENGTH } from "../chat/parse_event.ts";
export {
  MAX_EPOCH_LENGTH,
  MAX_NONCE_LENGTH,
  normalizeName,
  normalizeRoom,
  validateText,
} from "./_fields.ts";
export { type ErrorCode, ProtocolError } from "./protocol_error.ts";
export {
  type ConnectionMode,
  DEFAULT_ROOM,
  JSON_PROTOCOL,
} from "./_connection_modes.ts";
export { CloseCode } from "./_close_codes.ts";
export {
  type ClientMessage,
  decodeClientFrame,
  parseClientMessage,
  type ParseOptions,
} from "./_client_messages.ts";
export {
  batchFrame,
  type ClientLimits,
  type ModeratedEvent,
  type ServerEvent,
  type UserInfo,
} from "./_server_events.ts";
