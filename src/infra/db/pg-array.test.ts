import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PGlite } from '@electric-sql/pglite'
import fc from 'fast-check'
import { pgArray } from './pg-array.ts'

test('literals: quoting, escaping, NULL, numbers and booleans', () => {
  assert.equal(pgArray([]), '{}')
  assert.equal(pgArray(['a', 'b c', null, undefined]), '{"a","b c",NULL,NULL}')
  assert.equal(pgArray(['say "hi"', 'back\\slash']), '{"say \\"hi\\"","back\\\\slash"}')
  assert.equal(pgArray([1, 2.5, -3]), '{1,2.5,-3}')
  assert.equal(pgArray([true, false]), '{t,f}')
  assert.throws(() => pgArray([Number.NaN]), /not a finite number/)
})

test('PostgreSQL reads back exactly the texts that went in, whatever they contain', async () => {
  const pg = await PGlite.create()
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\u0000', '')))), async (values) => {
        const { rows } = await pg.query<{ v: (string | null)[] }>('select $1::text[] as v', [pgArray(values)])
        assert.deepEqual(rows[0]!.v, values)
      }),
      { numRuns: 200 },
    )
  } finally {
    await pg.close()
  }
})
