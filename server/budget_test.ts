import assert from "node:assert/strict";
import { Budget } from "./budget.ts";

const LIMITS = {
  rateLimit: 1,
  rateBurst: 2,
  controlRate: 2,
  controlBurst: 3,
  rateLimitStrikes: 3,
};

Deno.test("Budget.spend() keeps each bucket's tokens and refusals apart", () => {
  const budget = new Budget(LIMITS, () => 0);
  for (let i = 0; i < 3; i++) assert.equal(budget.spend("control"), "ok");
  assert.equal(budget.spend("control"), "refused");
  assert.equal(budget.spend("control"), "refused");
  // Messages have their own bucket, and do not forgive control refusals.
  assert.equal(budget.spend("message"), "ok");
  assert.equal(budget.spend("message"), "ok");
  assert.equal(budget.spend("message"), "refused");
  assert.equal(budget.spend("control"), "exhausted");
});

Deno.test("Budget.spend() refills at the rate and forgives refusals after a token", () => {
  let time = 0;
  const budget = new Budget(LIMITS, () => time);
  for (let i = 0; i < 3; i++) budget.spend("control");
  assert.equal(budget.spend("control"), "refused");
  assert.equal(budget.spend("control"), "refused");
  time += 500; // one control token at 2 per second
  assert.equal(budget.spend("control"), "ok");
  assert.equal(budget.spend("control"), "refused");
  assert.equal(budget.spend("control"), "refused");
  assert.equal(budget.spend("control"), "exhausted");
});
