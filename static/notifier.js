// Desktop notifications and their quiet sound, once the user turns them on
// (the browser asks for permission then). The sound is made with Web Audio,
// so there is no file to fetch; a page may only start audio after a click,
// so the click that turns notifications on unlocks it.

const NOTIFY_KEY = "chat.notify";

export class Notifier {
  /** @type {AudioContext | null} */
  #audio = null;

  /** Whether the user turned notifications on and the browser allows them. */
  get enabled() {
    return localStorage.getItem(NOTIFY_KEY) === "on" &&
      globalThis.Notification?.permission === "granted";
  }

  /**
   * Turns notifications on (asking the browser) or off.
   * @param {boolean} on
   * @returns {Promise<boolean>} whether they are on now
   */
  async turn(on) {
    if (!on) {
      localStorage.removeItem(NOTIFY_KEY);
      return false;
    }
    if (!globalThis.Notification) return false;
    this.#unlockAudio();
    const permission = Notification.permission === "granted"
      ? "granted"
      : await Notification.requestPermission();
    if (permission !== "granted") return false;
    localStorage.setItem(NOTIFY_KEY, "on");
    return true;
  }

  /**
   * Shows a notification and plays the chime.
   * @param {string} title
   * @param {string} body
   * @param {string} tag one per room: a newer one replaces it
   * @param {() => void} onClick
   */
  notify(title, body, tag, onClick) {
    try {
      const note = new Notification(title, { body, tag });
      note.onclick = () => {
        globalThis.focus();
        onClick();
        note.close();
      };
    } catch {
      // Some browsers only notify from a service worker; the chime still plays.
    }
    this.#chime();
  }

  #unlockAudio() {
    const Context = globalThis.AudioContext;
    if (!Context) return;
    this.#audio ??= new Context();
    void this.#audio.resume();
  }

  /** Two soft notes, a quarter of a second. */
  #chime() {
    const audio = this.#audio;
    if (!audio || audio.state !== "running") return;
    const start = audio.currentTime;
    const gain = audio.createGain();
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.06, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.25);
    gain.connect(audio.destination);
    const tone = audio.createOscillator();
    tone.type = "sine";
    tone.frequency.setValueAtTime(880, start);
    tone.frequency.setValueAtTime(660, start + 0.1);
    tone.connect(gain);
    tone.start(start);
    tone.stop(start + 0.26);
  }
}
