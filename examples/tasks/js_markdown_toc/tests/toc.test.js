'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { toc } = require('../workspace/toc.js');

test('nested headings', () => {
  const md = '# Title\n\nintro\n\n## Install it\n### From source\n## Use';
  assert.strictEqual(toc(md), [
    '- [Title](#title)',
    '  - [Install it](#install-it)',
    '    - [From source](#from-source)',
    '  - [Use](#use)',
  ].join('\n'));
});

test('indent is relative to the shallowest heading', () => {
  assert.strictEqual(toc('## A\n### B'), '- [A](#a)\n  - [B](#b)');
});

test('punctuation is dropped and duplicates numbered', () => {
  assert.strictEqual(
    toc('# Hello, World!\n# Hello World\n# Hello World'),
    '- [Hello, World!](#hello-world)\n- [Hello World](#hello-world-1)\n- [Hello World](#hello-world-2)',
  );
});

test('code fences are skipped', () => {
  assert.strictEqual(toc('# Real\n```\n# not a heading\n```\n## Also real'), '- [Real](#real)\n  - [Also real](#also-real)');
});

test('no headings', () => {
  assert.strictEqual(toc('just text\n#hashtag'), '');
});
