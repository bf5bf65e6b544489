// read.mjs: reads dataset files written by vocal with readers that are not
// Go (hyparquet for Parquet, apache-arrow for Arrow IPC files) and prints, as
// one JSON object on stdout, each file's row count, column names and rows.
// pipeline/sink_dataset_test.go runs it and checks the values.
//
//   node read.mjs FILE.parquet FILE.arrow ...
import { readFileSync } from 'node:fs'
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet'
import { tableFromIPC, Type } from 'apache-arrow'

// norm turns reader values into plain JSON: BigInt to number, dates and
// timestamps to ISO strings, Arrow vectors and struct rows to arrays and objects.
function norm(v, isTime = false) {
  if (v === null || v === undefined) return null
  if (typeof v === 'bigint') v = Number(v)
  if (v instanceof Date) return v.toISOString()
  if (isTime && typeof v === 'number') return new Date(v).toISOString()
  if (typeof v !== 'object') return v
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return Array.from(v, (x) => norm(x))
  if (typeof v.toArray === 'function' && typeof v.get === 'function') return Array.from(v.toArray(), (x) => norm(x))
  if (typeof v.toJSON === 'function') v = v.toJSON()
  const out = {}
  for (const [k, x] of Object.entries(v)) out[k] = norm(x)
  return out
}

function readParquet(path) {
  const b = readFileSync(path)
  const file = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)
  const metadata = parquetMetadata(file)
  const columns = parquetSchema(metadata).children.map((c) => c.element.name)
  return parquetReadObjects({ file, metadata }).then((rows) => ({
    path, format: 'parquet', rows: Number(metadata.num_rows), row_groups: metadata.row_groups.length, columns,
    data: rows.map((r) => norm(r)),
  }))
}

function readArrow(path) {
  const table = tableFromIPC(readFileSync(path))
  const fields = table.schema.fields
  const data = []
  for (let i = 0; i < table.numRows; i++) {
    const row = {}
    for (const f of fields) {
      row[f.name] = norm(table.getChild(f.name).get(i), f.type.typeId === Type.Timestamp)
    }
    data.push(row)
  }
  return { path, format: 'arrow', rows: table.numRows, batches: table.batches.length, columns: fields.map((f) => f.name), data }
}

const files = []
for (const path of process.argv.slice(2)) {
  files.push(path.endsWith('.parquet') ? await readParquet(path) : readArrow(path))
}
process.stdout.write(JSON.stringify({ files }) + '\n')
