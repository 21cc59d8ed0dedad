'use strict';

function validateSignup(fields) {
  return {};
}

if (typeof module !== 'undefined') module.exports = { validateSignup };
if (typeof window !== 'undefined') window.validateSignup = validateSignup;
