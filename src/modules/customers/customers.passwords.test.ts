import assert from 'node:assert/strict'
import { test } from 'node:test'
import { dummyPasswordHash, hashPassword, needsRehash, PASSWORD_COST, verifyPassword } from './customers.passwords.ts'

test('a password hash names its parameters, is salted, and verifies only its password', async () => {
  const password = 'correct horse battery'
  const [one, two] = await Promise.all([hashPassword(password), hashPassword(password)])
  assert.match(one, /^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
  assert.notEqual(one, two, 'a random salt each time')
  assert.ok(!one.includes(password))
  assert.equal(await verifyPassword(password, one), true)
  assert.equal(await verifyPassword(password, two), true)
  assert.equal(await verifyPassword('correct horse batterY', one), false)
  assert.equal(await verifyPassword('', one), false)
})

test('a hash made with other parameters still verifies with its own', async () => {
  assert.equal(PASSWORD_COST.N, 2 ** 15)
  const cheaper = await hashPassword('an older password', { N: 2 ** 14, r: 8, p: 1 })
  assert.match(cheaper, /^scrypt\$16384\$8\$1\$/)
  assert.equal(await verifyPassword('an older password', cheaper), true)
  assert.equal(await verifyPassword('another password', cheaper), false)
  assert.equal(needsRehash(cheaper), true, 'sign-in replaces it with a hash at today\'s cost')
  assert.equal(needsRehash(await hashPassword('a newer password')), false)
})

test('a stored value of another form never verifies', async () => {
  const good = await hashPassword('secret password')
  for (const stored of ['', 'secret password', good.replace('scrypt', 'bcrypt'), `${good}$x`, good.slice(0, -10)]) {
    assert.equal(await verifyPassword('secret password', stored), false, stored)
  }
})

test('the dummy hash for unknown emails is made once, at the current cost, and matches nothing guessable', async () => {
  const dummy = await dummyPasswordHash()
  assert.equal(await dummyPasswordHash(), dummy)
  assert.match(dummy, /^scrypt\$32768\$8\$1\$/)
  assert.equal(await verifyPassword('', dummy), false)
})
