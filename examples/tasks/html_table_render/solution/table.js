'use strict';

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escape(value) {
  return value === undefined || value === null ? '' : String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function compare(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a ?? '').localeCompare(String(b ?? ''));
}

function renderTable(rows, options = {}) {
  if (rows.length === 0) return '<table></table>';
  const cols = Object.keys(rows[0]);
  let sorted = rows.slice();
  if (options.sortBy !== undefined) {
    sorted.sort((x, y) => compare(x[options.sortBy], y[options.sortBy]));
    if (options.descending) sorted.reverse();
  }
  const head = cols.map((c) => `<th>${escape(c)}</th>`).join('');
  const body = sorted
    .map((r) => `<tr>${cols.map((c) => `<td>${escape(r[c])}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

if (typeof module !== 'undefined') module.exports = { renderTable };
