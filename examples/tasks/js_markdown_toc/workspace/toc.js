'use strict';

function toc(markdown) {
  return '';
}

module.exports = { toc };
