'use strict';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function isPlain(value) {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function clone(value) {
  return isPlain(value) ? deepMerge({}, value) : value;
}

function deepMerge(target, source) {
  const out = {};
  for (const key of Object.keys(target)) {
    if (!FORBIDDEN.has(key)) out[key] = clone(target[key]);
  }
  for (const key of Object.keys(source)) {
    if (FORBIDDEN.has(key)) continue;
    out[key] = isPlain(source[key]) && isPlain(out[key])
      ? deepMerge(out[key], source[key])
      : clone(source[key]);
  }
  return out;
}

module.exports = { deepMerge };
