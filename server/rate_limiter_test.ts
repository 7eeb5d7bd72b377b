import assert from "node:assert/strict";
import { TokenBucket } from "./rate_limiter.ts";

Deno.test("TokenBucket.take() allows the burst, then the sustained rate", () => {
  let now = 0;
  const bucket = new TokenBucket({ rate: 10, burst: 3, now: () => now });
  assert.deepEqual(
    [bucket.take(), bucket.take(), bucket.take(), bucket.take()],
    [
      true,
      true,
      true,
      false,
    ],
  );
  now += 100;
  assert.ok(bucket.take());
  assert.ok(!bucket.take());
  now += 10_000;
  for (let i = 0; i < 3; i++) assert.ok(bucket.take());
  assert.ok(!bucket.take());
});
