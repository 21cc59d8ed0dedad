'use strict';

function slugify(title) {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

function toc(markdown) {
  const headings = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.trimStart().startsWith('```')) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    const m = /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (m) headings.push({ level: m[1].length, title: m[2] });
  }
  if (headings.length === 0) return '';
  const top = Math.min(...headings.map((h) => h.level));
  const seen = new Map();
  return headings
    .map(({ level, title }) => {
      const base = slugify(title);
      const count = seen.get(base) || 0;
      seen.set(base, count + 1);
      const slug = count === 0 ? base : `${base}-${count}`;
      return `${'  '.repeat(level - top)}- [${title}](#${slug})`;
    })
    .join('\n');
}

module.exports = { toc };
