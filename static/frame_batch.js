// Rendering is batched: state changes mark which parts of the page are out of
// date, and one animation frame paints them all, however many changes came
// in between.

/** Parts of the page marked out of date, painted together in the next frame. */
export class FrameBatch {
  /** @type {Record<string, boolean>} */
  #dirty;
  #paint;
  #frame = 0;

  /**
   * @param {string[]} parts the names of the parts it knows
   * @param {(dirty: Readonly<Record<string, boolean>>) => void} paint
   *   renders the parts marked true
   */
  constructor(parts, paint) {
    this.#dirty = Object.fromEntries(parts.map((part) => [part, false]));
    this.#paint = paint;
  }

  /**
   * Whether `part` is one it knows.
   * @param {string} part
   * @returns {boolean}
   */
  knows(part) {
    return part in this.#dirty;
  }

  /**
   * Marks `parts` out of date and asks for a frame, unless one is coming.
   * @param {...string} parts
   */
  schedule(...parts) {
    for (const part of parts) this.#dirty[part] = true;
    this.#frame ||= requestAnimationFrame(() => this.#run());
  }

  #run() {
    this.#frame = 0;
    this.#paint(this.#dirty);
    for (const part in this.#dirty) this.#dirty[part] = false;
  }
}
