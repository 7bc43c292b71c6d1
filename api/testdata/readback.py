"""Reads an export back with independent readers, for api's export tests.

usage: readback.py csv FILE      -> JSON: {"rows": [[field, ...], ...]} (Python's csv module)
       readback.py parquet FILE  -> JSON: {"schema": {column: type}, "rows": [{column: value}]} (pyarrow)

Parquet timestamps come out as integer microseconds since the epoch (UTC),
so that no precision is lost on the way.
"""
import csv
import json
import sys


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {"rows": list(csv.reader(f, strict=True))}


def read_parquet(path):
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    schema = {field.name: str(field.type) for field in table.schema}
    columns = {}
    for field in table.schema:
        col = table.column(field.name)
        if pa.types.is_timestamp(field.type):
            col = pc.cast(col, pa.int64())
        columns[field.name] = col.to_pylist()
    rows = [{name: columns[name][i] for name in columns} for i in range(table.num_rows)]
    return {"schema": schema, "rows": rows, "num_rows": table.num_rows}


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    out = read_csv(path) if kind == "csv" else read_parquet(path)
    json.dump(out, sys.stdout, ensure_ascii=False)
