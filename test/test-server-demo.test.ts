/** `npm run demo` plays the whole scenario on the test clusters without a failed step. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDemo } from './support/demo.js';

test('the demo runs every step, printing each command as typed', async () => {
  let out = '';
  const failed = await runDemo((s) => (out += s));
  assert.equal(failed, 0, out);
  assert.match(out, /^\$ mc certs generate --dir certs --cluster east --cluster west$/m);
  assert.match(out, /^\$ mc --context east link /m);
  assert.match(out, /^# demo finished in/m);
});
