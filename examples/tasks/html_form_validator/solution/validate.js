'use strict';

function validateSignup(fields) {
  const errors = {};
  const email = String(fields.email || '');
  const at = email.split('@');
  if (at.length !== 2 || !at[0] || !at[1] || !/[^.]\.[^.]/.test(at[1])) {
    errors.email = 'Enter an email address like name@example.org.';
  }
  const password = String(fields.password || '');
  if (password.length < 8 || !/[A-Za-z]/.test(password) || !/[0-9]/.test(password)) {
    errors.password = 'Use at least 8 characters with a letter and a digit.';
  }
  if (fields.confirm !== fields.password) {
    errors.confirm = 'The passwords differ.';
  }
  if (fields.age !== undefined && fields.age !== null && fields.age !== '') {
    const text = String(fields.age).trim();
    const age = Number(text);
    if (!/^\d+$/.test(text) || age < 13 || age > 120) {
      errors.age = 'Age must be a whole number from 13 to 120.';
    }
  }
  return errors;
}

if (typeof module !== 'undefined') module.exports = { validateSignup };
if (typeof window !== 'undefined') window.validateSignup = validateSignup;
