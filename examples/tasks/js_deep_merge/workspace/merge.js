'use strict';

function isPlain(value) {
  return typeof value === 'object' && value !== null;
}

function deepMerge(target, source) {
  for (const key of Object.keys(source)) {
    if (isPlain(source[key]) && isPlain(target[key])) {
      deepMerge(target[key], source[key]);
    } else {
      target[key] = source[key];
    }
  }
  return target;
}

module.exports = { deepMerge };
