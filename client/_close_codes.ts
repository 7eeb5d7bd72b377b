/**
 * What the client makes of the code its socket closed with: what to report,
 * and whether and when to connect again.
 *
 * @module
 */
import { ChatError } from "./errors.ts";

/** The close code the client uses when it gives up on a silent socket. */
export const GIVE_UP_CODE = 4000;
/** The server's close code when it refused the token. */
const UNAUTHORIZED_CODE = 4401;
/** The server's close code when the host application ended the user's connections. */
const SIGNED_OUT_CODE = 4410;
/** The server's close code when the token expired. */
const EXPIRED_CODE = 4440;

/** What to do after a socket closed; see {@linkcode afterClose}. */
export interface CloseVerdict {
  /** What went wrong, to report, when the code says so. */
  error?: ChatError;
  /** Connect again after the back-off, at once, or never (close the client). */
  retry: "backoff" | "now" | "never";
}

/**
 * Reads a socket's close code.
 *
 * @param code The close code.
 * @param canRefresh Whether a token provider may give a new token.
 * @returns What to report, and when to connect again.
 */
export function afterClose(code: number, canRefresh: boolean): CloseVerdict {
  switch (code) {
    case UNAUTHORIZED_CODE:
      return {
        error: new ChatError("unauthorized", "The server refused the token"),
        retry: "backoff",
      };
    case SIGNED_OUT_CODE:
      return {
        error: new ChatError(
          "signed_out",
          "The host application signed the user out",
        ),
        // Only a new token may connect again; without a provider, none comes.
        retry: canRefresh ? "backoff" : "never",
      };
    case EXPIRED_CODE:
      // A fresh token is fetched at once.
      return { retry: "now" };
    default:
      return { retry: "backoff" };
  }
}
