'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { validateSignup } = require('../workspace/validate.js');

const html = fs.readFileSync(path.join(__dirname, '..', 'workspace', 'index.html'), 'utf8');
const ok = { email: 'ada@example.org', password: 'engine42x', confirm: 'engine42x' };

function tag(name, attr, value) {
  const re = new RegExp(`<${name}\\b[^>]*\\b${attr}=["']${value}["'][^>]*>`, 'i');
  const m = re.exec(html);
  assert.ok(m, `no <${name} ${attr}="${value}">`);
  return m[0];
}

test('valid input has no errors', () => {
  assert.deepStrictEqual(validateSignup(ok), {});
  assert.deepStrictEqual(validateSignup({ ...ok, age: '42' }), {});
});

test('each field is checked', () => {
  assert.deepStrictEqual(Object.keys(validateSignup({ ...ok, email: 'nope' })), ['email']);
  assert.deepStrictEqual(Object.keys(validateSignup({ ...ok, email: 'a@b' })), ['email']);
  assert.deepStrictEqual(Object.keys(validateSignup({ ...ok, password: 'short1', confirm: 'short1' })), ['password']);
  assert.deepStrictEqual(Object.keys(validateSignup({ ...ok, password: 'lettersonly', confirm: 'lettersonly' })), ['password']);
  assert.deepStrictEqual(Object.keys(validateSignup({ ...ok, confirm: 'other42x' })), ['confirm']);
  assert.deepStrictEqual(Object.keys(validateSignup({ ...ok, age: 12 })), ['age']);
  assert.deepStrictEqual(Object.keys(validateSignup({ ...ok, age: '3.5' })), ['age']);
  assert.strictEqual(typeof validateSignup({ ...ok, email: '' }).email, 'string');
});

test('the form and its inputs', () => {
  assert.match(tag('form', 'id', 'signup'), /novalidate/i);
  assert.match(tag('input', 'name', 'email'), /type=["']email["']/i);
  assert.match(tag('input', 'name', 'email'), /required/i);
  for (const name of ['password', 'confirm']) {
    assert.match(tag('input', 'name', name), /type=["']password["']/i);
    assert.match(tag('input', 'name', name), /required/i);
  }
  const age = tag('input', 'name', 'age');
  assert.match(age, /type=["']number["']/i);
  assert.match(age, /min=["']13["']/i);
  assert.match(age, /max=["']120["']/i);
});

test('every input has a label', () => {
  for (const name of ['email', 'password', 'confirm', 'age']) {
    const id = /\bid=["']([^"']+)["']/i.exec(tag('input', 'name', name));
    assert.ok(id, `input ${name} has no id`);
    tag('label', 'for', id[1]);
  }
});

test('the page loads validate.js', () => {
  tag('script', 'src', 'validate.js');
});
