import assert from "node:assert/strict";
import { runLoad } from "./run.ts";
import { startTarget } from "./servers.ts";
import { SKIP_REDIS } from "../testing/redis.ts";

// A smoke run of the benchmark on our server only: it must finish and report
// sane fields. It asserts nothing about speed; CI machines vary too much.
for (const mode of ["plain", "json"] as const) {
  Deno.test(`runLoad() measures our server end to end (${mode})`, async () => {
    await using target = await startTarget("ours", { core: null });
    const result = await runLoad(target.wsUrls, {
      serverPids: target.pids,
      mode,
      receivers: 20,
      senders: 2,
      rate: 100,
      durationMs: 2000,
      warmupMs: 500,
      drainMs: 500,
      processes: 2,
      core: null,
    });
    assert.equal(result.firstError, "");
    assert.equal(result.opened, 20);
    assert.equal(result.failed, 0);
    assert.ok(result.sent > 0, "nothing was sent");
    assert.equal(result.expected, result.sent * result.opened);
    assert.ok(result.delivered > 0, "nothing was delivered");
    assert.ok(result.delivered <= result.expected);
    assert.equal(result.lost, result.expected - result.delivered);
    assert.equal(result.outOfOrder, 0);
    assert.ok(result.latencyMs.samples > 0);
    const { p50, p90, p99, p999, max } = result.latencyMs;
    assert.ok(0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= p999);
    assert.ok(p999 <= max * 1.01);
    assert.ok(result.serverCpuMs >= 0 && result.loadCpuMs >= 0);
    assert.ok(Number.isFinite(result.serverCpuMicrosPerDelivery));
    assert.ok(result.serverRssBytes > 1024 * 1024);
  });
}

Deno.test("runLoad() measures acked sends end to end", async () => {
  await using target = await startTarget("ours", { core: null });
  const result = await runLoad(target.wsUrls, {
    serverPids: target.pids,
    mode: "json",
    receivers: 4,
    senders: 4,
    rate: 0,
    acked: true,
    durationMs: 500,
    warmupMs: 300,
    drainMs: 300,
    processes: 2,
    core: null,
  });
  assert.equal(result.firstError, "");
  assert.ok(result.acked > 0, "nothing was acknowledged");
  assert.ok(result.acked <= result.sent);
  assert.equal(result.ackedPerSecond, Math.round(result.acked / 0.5));
  const { p50, p99, max } = result.ackLatencyMs;
  assert.ok(0 < p50 && p50 <= p99 && p99 <= max * 1.01);
  assert.equal(result.lost, result.expected - result.delivered);
});

Deno.test({
  name: "runLoad() measures two instances on one Redis, counting order",
  ignore: SKIP_REDIS,
  async fn() {
    await using target = await startTarget("ours_redis", { core: null });
    assert.equal(target.wsUrls.length, 2);
    assert.equal(target.pids.length, 3);
    const result = await runLoad(target.wsUrls, {
      serverPids: target.pids,
      mode: "json",
      receivers: 20,
      senders: 4,
      rate: 100,
      durationMs: 1000,
      warmupMs: 500,
      drainMs: 500,
      processes: 2,
      core: null,
    });
    assert.equal(result.firstError, "");
    assert.equal(result.opened, 20);
    assert.ok(result.delivered > 0, "nothing was delivered");
    assert.equal(result.outOfOrder, 0);
    assert.ok(result.serverCpuMs >= 0);
  },
});
