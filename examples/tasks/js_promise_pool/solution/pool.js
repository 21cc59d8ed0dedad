'use strict';

function runPool(tasks, limit) {
  if (!(limit >= 1)) {
    throw new RangeError('limit must be at least 1');
  }
  return new Promise((resolve, reject) => {
    const results = new Array(tasks.length);
    let next = 0;
    let done = 0;
    let failed = false;
    if (tasks.length === 0) {
      resolve(results);
      return;
    }
    const start = () => {
      if (failed || next >= tasks.length) return;
      const index = next++;
      Promise.resolve()
        .then(() => tasks[index]())
        .then((value) => {
          results[index] = value;
          done += 1;
          if (done === tasks.length) resolve(results);
          else start();
        }, (error) => {
          failed = true;
          reject(error);
        });
    };
    for (let i = 0; i < Math.min(limit, tasks.length); i++) start();
  });
}

module.exports = { runPool };
