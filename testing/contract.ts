/**
 * What every contract (`history_contract.ts`, `broker_contract.ts`…) registers
 * its tests with: each named after the implementation and the behaviour.
 *
 * @module
 */

/** Registers one behaviour's test. */
export type ContractTest = (
  behaviour: string,
  fn: () => Promise<void>,
) => void;

/**
 * The registrar of one implementation's contract tests.
 *
 * @param name The implementation's name, which every test's name starts with.
 * @param ignore Skips the tests when the implementation cannot run here.
 * @returns Registers a test named `name behaviour`.
 */
export function contractTests(name: string, ignore = false): ContractTest {
  return (behaviour, fn) =>
    Deno.test({ name: `${name} ${behaviour}`, ignore, fn });
}
