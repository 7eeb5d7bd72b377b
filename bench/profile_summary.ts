/**
 * Summarises a V8 CPU profile (`deno run --cpu-prof`): self time by
 * function, heaviest first, so `docs/performance.md` can say where the
 * server's time goes.
 *
 * Usage: `deno run --allow-read bench/profile_summary.ts FILE.cpuprofile [TOP]`
 *
 * @module
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function isProfile(value: unknown): value is Profile {
  return typeof value === "object" && value !== null &&
    Array.isArray((value as Partial<Profile>).nodes) &&
    Array.isArray((value as Partial<Profile>).samples) &&
    Array.isArray((value as Partial<Profile>).timeDeltas);
}

/**
 * Adds up self time per function.
 *
 * @param profile A parsed `.cpuprofile`.
 * @returns `[function, microseconds]` pairs, heaviest first.
 */
export function selfTimes(profile: Profile): [string, number][] {
  const names = new Map<number, string>();
  for (const { id, callFrame } of profile.nodes) {
    const file = callFrame.url.split("/").pop() || "(native)";
    names.set(
      id,
      `${callFrame.functionName || "(anonymous)"} ${file}:${
        callFrame.lineNumber + 1
      }`,
    );
  }
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const name = names.get(id) ?? "?";
    totals.set(
      name,
      (totals.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0),
    );
  });
  return [...totals].toSorted((a, b) => b[1] - a[1]);
}

if (import.meta.main) {
  const [path, top = "25"] = Deno.args;
  if (path === undefined) throw new TypeError("Missing profile path");
  const data: unknown = JSON.parse(await Deno.readTextFile(path));
  if (!isProfile(data)) throw new TypeError(`Not a CPU profile: "${path}"`);
  const rows = selfTimes(data);
  const total = rows.reduce((sum, [, micros]) => sum + micros, 0);
  for (const [name, micros] of rows.slice(0, Number(top))) {
    // deno-lint-ignore no-console
    console.log(`${(100 * micros / total).toFixed(1).padStart(5)} %  ${name}`);
  }
}
