// What the page keeps in this browser's localStorage across reloads: the
// name the user picked, the rooms they are in, what direct rooms are called,
// which rooms are muted and how far each was read. Whatever is missing or
// unreadable reads as nothing saved.

const NAME_KEY = "chat.name";
const ROOMS_KEY = "chat.rooms";
/** What direct rooms are called here: `@` and the other user's name, by room. */
const LABELS_KEY = "chat.room-labels";
/** Rooms the user muted: no notifications, not counted in the title. */
const MUTED_KEY = "chat.muted";
/** The newest message id read in each room, for "new since you left". */
const READ_KEY = "chat.read";

/**
 * The name the user picked, if they did.
 * @returns {string | null}
 */
export function savedName() {
  return localStorage.getItem(NAME_KEY);
}

/**
 * Keeps the name the user picked (or the server's spelling of it).
 * @param {string} name
 */
export function saveName(name) {
  localStorage.setItem(NAME_KEY, name);
}

/**
 * @typedef {{ load: () => string[], save: (items: Iterable<string>) => void }} KeptList
 * @typedef {{ load: () => Record<string, any>, save: (record: Record<string, any>) => void }} KeptRecord
 */

/**
 * The rooms the user is in, in their order.
 * @type {KeptList}
 */
export const savedRooms = keptList(ROOMS_KEY);

/**
 * What each direct room is called.
 * @type {KeptRecord}
 */
export const savedLabels = keptRecord(LABELS_KEY);

/**
 * The rooms the user muted.
 * @type {KeptList}
 */
export const savedMuted = keptList(MUTED_KEY);

/**
 * The newest message id read in each room.
 * @type {KeptRecord}
 */
export const savedRead = keptRecord(READ_KEY);

/**
 * @param {string} key
 * @returns {KeptList}
 */
function keptList(key) {
  return {
    load: () => readList(key),
    save: (items) => localStorage.setItem(key, JSON.stringify([...items])),
  };
}

/**
 * @param {string} key
 * @returns {KeptRecord}
 */
function keptRecord(key) {
  return {
    load: () => readRecord(key),
    save: (record) => localStorage.setItem(key, JSON.stringify(record)),
  };
}

/** @param {string} key */
function readList(key) {
  try {
    const list = JSON.parse(localStorage.getItem(key) ?? "[]");
    return Array.isArray(list) ? list.map(String) : [];
  } catch {
    return [];
  }
}

/** @param {string} key */
function readRecord(key) {
  try {
    const record = JSON.parse(localStorage.getItem(key) ?? "{}");
    return record && typeof record === "object" ? record : {};
  } catch {
    return {};
  }
}
