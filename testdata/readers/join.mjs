// join.mjs: proves that a dashboard can consume a vocal dataset without Go.
// It reads every records/**/*.parquet and scores/*.parquet file of the
// dataset with hyparquet, joins the records to their scores by id (a later
// scores part wins), computes per topic the mentions and the NPS of the
// mentioners (% answers 9-10 minus % answers 0-6), and reads drivers.parquet
// beside them. cmd/vocal/cmd_report_test.go compares both with the drivers
// table that vocal wrote.
//
//   node join.mjs DATASET_DIR
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'

function buffer(path) {
  const b = readFileSync(path)
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)
}

async function rows(path, columns) {
  const file = buffer(path)
  return parquetReadObjects({ file, metadata: parquetMetadata(file), columns })
}

function parquetFiles(dir) {
  let names
  try {
    names = readdirSync(dir, { recursive: true })
  } catch {
    return []
  }
  return names.filter((n) => n.endsWith('.parquet') && !n.split('/').pop().startsWith('.')).sort().map((n) => join(dir, n))
}

const dir = process.argv[2]
const scores = new Map()
for (const path of parquetFiles(join(dir, 'scores'))) {
  for (const r of await rows(path, ['id', 'nps'])) {
    if (r.nps !== null && r.nps !== undefined) scores.set(r.id, Number(r.nps))
  }
}

// Later runs' records replace earlier ones with the same id (run ids sort by time).
const files = parquetFiles(join(dir, 'records'))
files.sort((a, b) => a.split('/').pop().localeCompare(b.split('/').pop()) || a.localeCompare(b))
const records = new Map()
for (const path of files) {
  for (const r of await rows(path, ['id', 'topics'])) records.set(r.id, r.topics ?? [])
}

const acc = new Map()
let joined = 0
for (const [id, topics] of records) {
  const nps = scores.get(id)
  if (nps !== undefined) joined++
  for (const t of topics) {
    const a = acc.get(t) ?? { mentions: 0, n: 0, prom: 0, det: 0 }
    a.mentions++
    if (nps !== undefined) {
      a.n++
      if (nps >= 9) a.prom++
      else if (nps <= 6) a.det++
    }
    acc.set(t, a)
  }
}
const topics = {}
for (const [t, a] of acc) topics[t] = { mentions: a.mentions, nps_mentioners: a.n ? (100 * (a.prom - a.det)) / a.n : null }

const drivers = (await rows(join(dir, 'drivers.parquet'))).map((r) => {
  const o = {}
  for (const [k, v] of Object.entries(r)) o[k] = typeof v === 'bigint' ? Number(v) : v
  return o
})
process.stdout.write(JSON.stringify({ records: records.size, scores: scores.size, joined, topics, drivers }) + '\n')
