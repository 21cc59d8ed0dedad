'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { runPool } = require('../workspace/pool.js');

const delay = (ms, value) => new Promise((r) => setTimeout(() => r(value), ms));

test('results keep the order of the tasks', async () => {
  const tasks = [30, 5, 15, 1].map((ms, i) => () => delay(ms, i));
  assert.deepStrictEqual(await runPool(tasks, 2), [0, 1, 2, 3]);
});

test('never more than limit in flight', async () => {
  let running = 0;
  let peak = 0;
  const tasks = Array.from({ length: 10 }, () => async () => {
    running += 1;
    peak = Math.max(peak, running);
    await delay(2);
    running -= 1;
  });
  await runPool(tasks, 3);
  assert.strictEqual(peak, 3);
});

test('a rejection rejects the pool and starts nothing more', async () => {
  let started = 0;
  const tasks = [
    async () => { started += 1; throw new Error('boom'); },
    ...Array.from({ length: 5 }, () => async () => { started += 1; await delay(5); }),
  ];
  await assert.rejects(runPool(tasks, 1), /boom/);
  await delay(20);
  assert.strictEqual(started, 1);
});

test('bad limit throws synchronously', () => {
  assert.throws(() => runPool([], 0), RangeError);
});

test('empty input', async () => {
  assert.deepStrictEqual(await runPool([], 4), []);
});
