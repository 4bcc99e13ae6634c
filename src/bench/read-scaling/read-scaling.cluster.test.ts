/**
 * `brisk bench read-scaling` with tiny settings: the shape of its JSON and what does not depend on
 * the machine's speed — each variant's reads land on the nodes it has, no request fails while a
 * replica is killed and restarted, the restarted replica serves again — and that the floor still
 * sends the statements Brisk does.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { afterEach, mock, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { clusterSkip } from '../../../test/cluster-app.ts'
import { loadConfig } from '../../config/config.ts'
import { childrenOf } from '../children.ts'
import { CATEGORY_SQL, FLOOR_STATEMENTS_PER_READ, PRODUCT_SQL } from './floor.ts'
import { type KillResult, readScalingScenario, type VariantResult } from './index.ts'

const TINY = { duration: '1', warmup: '0', rounds: '1', clients: '2', products: '50', json: true }

afterEach(() => mock.restoreAll())

test("the floor sends the statements of Brisk's product read (catalog.repository.sql)", () => {
  const snapshot = fs.readFileSync(fileURLToPath(new URL('../../modules/catalog/catalog.repository.sql', import.meta.url)), 'utf8')
  assert.ok(snapshot.includes(`\n${PRODUCT_SQL};\n`), 'findProductDocs changed: update PRODUCT_SQL')
  assert.ok(snapshot.includes(`\n${CATEGORY_SQL};\n`), 'findCategoriesByIds changed: update CATEGORY_SQL')
})

test('read-scaling: reads go where the replicas are, and a killed replica costs no request', { skip: clusterSkip }, async () => {
  const childrenBefore = childrenOf(process.pid)
  const stdout: string[] = []
  const stderr: string[] = []
  mock.method(console, 'log', (...args: unknown[]) => stdout.push(args.join(' ')))
  mock.method(process.stderr, 'write', (chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0)
  await readScalingScenario.run(loadConfig({}), TINY)
  mock.restoreAll()
  assert.equal(stdout.length, 1, `stdout is one JSON document; stderr: ${stderr.join('').slice(-1000)}`)
  const printed = JSON.parse(stdout[0]!) as {
    scenario: string
    settings: Record<string, string>
    results: Record<string, VariantResult>
    kill: KillResult
    targets: { target: string; met: boolean }[]
  }
  assert.equal(printed.scenario, 'read-scaling')
  assert.equal(printed.settings['BRISK_CACHE'], 'off')
  assert.deepEqual(Object.keys(printed.results).sort(), ['floor', 'replicas-0', 'replicas-1', 'replicas-2'])
  for (const [variant, r] of Object.entries(printed.results)) {
    assert.ok(r.requests > 0 && r.requestsPerSecond > 0 && r.p99Ms >= r.p50Ms, `${variant}: ${JSON.stringify(r)}`)
    assert.equal(r.failed, 0, `${variant}: ${r.firstFailure}`)
  }
  const { floor, 'replicas-0': none, 'replicas-1': one, 'replicas-2': two } = printed.results
  assert.equal(none!.statementsPerRequest, FLOOR_STATEMENTS_PER_READ, 'the floor sends as many statements as Brisk')
  assert.equal(floor!.statementsPerRequest, FLOOR_STATEMENTS_PER_READ)
  assert.equal(none!.percentOfNoReplicas, 100)
  assert.deepEqual(Object.keys(none!.reads), ['primary'])
  assert.deepEqual(one!.reads, { primary: 0, 'replica-1': one!.requests * FLOOR_STATEMENTS_PER_READ })
  assert.equal(two!.reads['primary'], 0)
  assert.ok(two!.reads['replica-1']! > 0 && two!.reads['replica-2']! > 0, JSON.stringify(two!.reads))

  const { kill } = printed
  assert.equal(kill.node, 'replica-1')
  assert.equal(kill.failed, 0, `${kill.firstFailure}`)
  assert.ok(kill.requests > 0 && kill.p99Ms >= kill.p50Ms)
  assert.ok(kill.killAtSeconds < kill.restartAtSeconds)
  assert.ok(kill.servedAgainAfterMs !== null && kill.reads.afterRestart['replica-1']! > 0, JSON.stringify(kill))
  assert.equal(kill.reads.whileDown['replica-1'], 0, 'no read served by a dead node')
  assert.ok(kill.nodeFailures > 0, 'Brisk noticed the kill')
  assert.ok(printed.targets.length === 2 && printed.targets.every((t) => t.met), JSON.stringify(printed.targets))
  assert.deepEqual(childrenOf(process.pid), childrenBefore, 'the load client is gone')
})
