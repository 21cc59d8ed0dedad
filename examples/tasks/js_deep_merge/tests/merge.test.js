'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { deepMerge } = require('../workspace/merge.js');

test('merges nested objects', () => {
  const out = deepMerge({ a: { b: 1, c: 2 }, d: 1 }, { a: { c: 3, e: 4 } });
  assert.deepStrictEqual(out, { a: { b: 1, c: 3, e: 4 }, d: 1 });
});

test('does not modify its arguments', () => {
  const target = { a: { b: 1 } };
  const source = { a: { c: 2 } };
  deepMerge(target, source);
  assert.deepStrictEqual(target, { a: { b: 1 } });
  assert.deepStrictEqual(source, { a: { c: 2 } });
});

test('arrays are replaced, not merged', () => {
  assert.deepStrictEqual(deepMerge({ xs: [1, 2, 3] }, { xs: [9] }), { xs: [9] });
});

test('null and dates replace', () => {
  const when = new Date(0);
  const out = deepMerge({ a: { b: 1 }, t: { x: 1 } }, { a: null, t: when });
  assert.strictEqual(out.a, null);
  assert.strictEqual(out.t, when);
});

test('no prototype pollution', () => {
  deepMerge({}, JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"bad": 1}}}'));
  assert.strictEqual({}.polluted, undefined);
  assert.strictEqual({}.bad, undefined);
});
