import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../config/config.ts'
import { summaryOf } from './route-summary.ts'
import { createHttpServer } from './server.ts'

test('a summary is the first sentence of the description, without its full stop', () => {
  const cases: [string, string][] = [
    ['Sales of one location by hour, read from the rollups.', 'Sales of one location by hour, read from the rollups'],
    ['Create a draft. Send `submit: true` to sell at once.', 'Create a draft'],
    ['Best sellers, e.g. by quantity. Read from the rollups.', 'Best sellers, e.g. by quantity'],
    ['Cancel a sale (manager, admin). Stock is restored.', 'Cancel a sale (manager, admin)'],
    ['Prices in v1.2 units. More.', 'Prices in v1.2 units'],
    ['List tokens:\n\nnever the secrets', 'List tokens'],
    ['  One line without a stop  ', 'One line without a stop'],
  ]
  for (const [description, summary] of cases) assert.equal(summaryOf(description), summary, description)
  const long = summaryOf(`${'word '.repeat(40)}end.`)
  assert.ok(long.length <= 120 && long.endsWith('…'), long)
})

test('every operation in the OpenAPI document has a summary; an explicit one is kept', async () => {
  const http = await createHttpServer(loadConfig({}, { logLevel: 'silent' }))
  try {
    http.get('/derived', { schema: { description: 'Lists the things. Paginated.' } }, async () => ({}))
    http.get('/explicit', { schema: { summary: 'Get the thing', description: 'Something else. Entirely.' } }, async () => ({}))
    http.get('/bare', async () => ({}))
    await http.ready()
    const paths = (http.swagger() as { paths: Record<string, { get: { summary?: string; description?: string } }> }).paths
    assert.equal(paths['/derived']!.get.summary, 'Lists the things')
    assert.equal(paths['/derived']!.get.description, 'Lists the things. Paginated.', 'the description stays whole')
    assert.equal(paths['/explicit']!.get.summary, 'Get the thing')
    assert.equal(paths['/bare']!.get.summary, undefined, 'no description, nothing to derive')
  } finally {
    await http.close()
  }
})
