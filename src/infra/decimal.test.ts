import assert from 'node:assert/strict'
import { test } from 'node:test'
import { baseQuantityOf, Big, checkDecimal, pointerOf, QUANTITY_LIMITS, readDecimal } from './decimal.ts'
import { AppError } from './errors.ts'

function refusal(run: () => unknown): { code: string; message: string; details: unknown } {
  try {
    run()
  } catch (error) {
    assert.ok(error instanceof AppError && error.kind === 'invalid', String(error))
    return { code: error.code, message: error.message, details: error.details }
  }
  assert.fail('expected a refusal')
}

test('a decimal is checked against its scale and range, the error naming the field and the limit', () => {
  const read = (value: string | number) => readDecimal(value, 'lines[2].quantity', QUANTITY_LIMITS, 'X_QUANTITY')
  assert.equal(read('1000000').toFixed(), '1000000')
  assert.equal(read(-0.000001).toFixed(), '-0.000001')
  assert.deepEqual(
    refusal(() => read(0.0000001)),
    { code: 'X_QUANTITY', message: 'lines[2].quantity may have at most 6 decimals.', details: { field: '/lines/2/quantity', scale: 6 } },
  )
  assert.deepEqual(
    refusal(() => read('1000000.000001')),
    { code: 'X_QUANTITY', message: 'lines[2].quantity must be at most 1000000.', details: { field: '/lines/2/quantity', max: '1000000' } },
  )
  assert.deepEqual(refusal(() => read(-1e15)).details, { field: '/lines/2/quantity', min: '-1000000' })
  assert.deepEqual(refusal(() => read(Number.POSITIVE_INFINITY)), {
    code: 'X_QUANTITY',
    message: 'lines[2].quantity is not a decimal number.',
    details: { field: '/lines/2/quantity' },
  })
  assert.equal(checkDecimal(new Big('1.500000'), 'q', QUANTITY_LIMITS, 'X').toFixed(), '1.5', 'trailing zeros are not decimals')
})

test('a base quantity is rounded half away from zero to the 6 decimals stock keeps', () => {
  const base = (quantity: string, factor: string) => baseQuantityOf(new Big(quantity), new Big(factor)).toFixed()
  assert.equal(base('0.1235', '0.001'), '0.000124')
  assert.equal(base('-0.1235', '0.001'), '-0.000124')
  assert.equal(base('0.0004', '0.001'), '0')
  assert.equal(base('0.0005', '0.001'), '0.000001')
  assert.equal(base('1000000', '1000000'), '1000000000000')
})

test('a request path is named as a JSON Pointer', () => {
  assert.equal(pointerOf('lines[2].quantity'), '/lines/2/quantity')
  assert.equal(pointerOf('discountPercent'), '/discountPercent')
  assert.equal(pointerOf(''), '')
})
