'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { renderTable } = require('../workspace/table.js');

test('renders head and body', () => {
  assert.strictEqual(
    renderTable([{ name: 'a', n: 1 }, { name: 'b', n: 2 }]),
    '<table><thead><tr><th>name</th><th>n</th></tr></thead><tbody><tr><td>a</td><td>1</td></tr><tr><td>b</td><td>2</td></tr></tbody></table>',
  );
});

test('escapes values and headers', () => {
  const html = renderTable([{ '<k>': '<script>alert("x") & \'y\'</script>' }]);
  assert.ok(!html.includes('<script>'));
  assert.ok(html.includes('<th>&lt;k&gt;</th>'));
  assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;'));
});

test('missing values are empty cells', () => {
  assert.ok(renderTable([{ a: 1, b: 2 }, { a: 3 }]).includes('<tr><td>3</td><td></td></tr>'));
});

test('sorts numbers numerically, both ways, without modifying input', () => {
  const rows = [{ n: 10 }, { n: 9 }, { n: 100 }];
  const cells = (html) => [...html.matchAll(/<td>(\d+)<\/td>/g)].map((m) => m[1]);
  assert.deepStrictEqual(cells(renderTable(rows, { sortBy: 'n' })), ['9', '10', '100']);
  assert.deepStrictEqual(cells(renderTable(rows, { sortBy: 'n', descending: true })), ['100', '10', '9']);
  assert.deepStrictEqual(rows.map((r) => r.n), [10, 9, 100]);
});

test('empty input', () => {
  assert.strictEqual(renderTable([]), '<table></table>');
});
