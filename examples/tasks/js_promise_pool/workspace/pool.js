'use strict';

async function runPool(tasks, limit) {
  throw new Error('not implemented');
}

module.exports = { runPool };
