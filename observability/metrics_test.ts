import assert from "node:assert/strict";
import { Counter, Gauge, Histogram, Registry } from "./metrics.ts";

Deno.test("Counter.inc() keeps one series per label set", () => {
  const counter = new Counter("x_total", "X");
  counter.inc({ code: "a" });
  counter.inc({ code: "a" }, 2);
  counter.inc({ code: "b" });
  assert.equal(counter.value({ code: "a" }), 3);
  assert.deepEqual(counter.lines(), [
    'x_total{code="a"} 3',
    'x_total{code="b"} 1',
  ]);
});

Deno.test("Gauge reads its value at render time and escapes label values", () => {
  let value = 1;
  const registry = new Registry();
  registry.add(
    new Gauge("g", "A gauge", () => [[{ name: 'a"b\\c\nd' }, value]]),
  );
  value = 7;
  assert.equal(
    registry.render(),
    '# HELP g A gauge\n# TYPE g gauge\ng{name="a\\"b\\\\c\\nd"} 7\n',
  );
});

Deno.test("Histogram renders cumulative buckets, sum and count", () => {
  const histogram = new Histogram("h_seconds", "H", [0.1, 1]);
  histogram.observe(0.05);
  histogram.observe(0.5);
  histogram.observe(5);
  assert.deepEqual(histogram.lines(), [
    'h_seconds_bucket{le="0.1"} 1',
    'h_seconds_bucket{le="1"} 2',
    'h_seconds_bucket{le="+Inf"} 3',
    "h_seconds_sum 5.55",
    "h_seconds_count 3",
  ]);
});

Deno.test("Registry.add() refuses a duplicate name", () => {
  const registry = new Registry();
  registry.add(new Counter("a_total", "A"));
  assert.throws(
    () => registry.add(new Counter("a_total", "A")),
    /already registered/,
  );
});
