// What the viewer may do to a message, by the server's rules
// (docs/protocol.md "Edits and deletions", "Ban, unban and kick"): authors
// edit and delete their own within the edit window; moderators and admins
// delete anyone's at any time, and ban or kick its author. Pure.

/** Roles that moderate (the token's `role`). */
const MODERATORS = new Set(["moderator", "admin"]);

/**
 * @typedef {{ id?: number, ts: number, userId?: string, bot?: true, deleted?: true, system?: string }} Message
 * @typedef {{ id: string, role?: string, editWindow: number }} Viewer
 *   `editWindow` in seconds, 0 for always
 * @typedef {"edit" | "delete" | "ban" | "kick"} Action
 */

/**
 * Whether `role` may moderate.
 * @param {string | undefined} role
 * @returns {boolean}
 */
export function isModerator(role) {
  return MODERATORS.has(role ?? "");
}

/**
 * The actions the viewer may take on `message` now, in menu order.
 * @param {Message} message
 * @param {Viewer} viewer
 * @param {number} now
 * @returns {Action[]}
 */
export function messageActions(message, viewer, now) {
  if (message.id === undefined || message.deleted || message.system) return [];
  const own = message.userId !== undefined && message.userId === viewer.id;
  const inWindow = viewer.editWindow === 0 ||
    now - message.ts < viewer.editWindow * 1000;
  const moderator = isModerator(viewer.role);
  /** @type {Action[]} */
  const actions = [];
  if (own && inWindow) actions.push("edit");
  if ((own && inWindow) || moderator) actions.push("delete");
  if (moderator && !own && message.userId !== undefined && !message.bot) {
    actions.push("ban", "kick");
  }
  return actions;
}

/**
 * The viewer's newest message they may still edit, for ↑ in an empty composer.
 * @template {Message} M
 * @param {readonly M[]} messages oldest first
 * @param {Viewer} viewer
 * @param {number} now
 * @returns {M | undefined}
 */
export function lastEditable(messages, viewer, now) {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message.userId !== viewer.id) continue;
    return messageActions(message, viewer, now).includes("edit")
      ? message
      : undefined;
  }
  return undefined;
}
