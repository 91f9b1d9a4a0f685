#!/usr/bin/env python3
"""Checks the vectors against the JSON Schemas (needs python3-jsonschema).

Every valid vector must satisfy its schema. Every invalid vector must fail it, except where the
error is one PROTOCOL.md says a schema cannot see: too_large and bad_topic, bad_json for duplicate
keys, bad_type for a number written with a fraction or exponent, out_of_range for a temperature
off the 0.1 step. Those are listed, not counted as failures."""
import json
import pathlib
import sys

import jsonschema

HERE = pathlib.Path(__file__).resolve().parent


def schema_for(topic):
    _, dtype, _, kind = topic.split("/")
    name = f"{kind}.schema.json" if kind in ("ack", "presence") else f"{dtype}-{kind}.schema.json"
    return json.loads((HERE / "schemas" / name).read_text())


def main():
    bad = 0
    beyond = 0
    checked = 0
    for path in sorted((HERE / "vectors").glob("*.json")):
        if path.name == "topics.json":
            continue
        for v in json.loads(path.read_text())["vectors"]:
            checked += 1
            try:
                jsonschema.validate(json.loads(v["payload"]), schema_for(v["topic"]))
                ok = True
            except (ValueError, jsonschema.ValidationError):
                ok = False
            if v["valid"] and not ok:
                print(f"{path.name}: valid vector fails its schema: {v['name']}")
                bad += 1
            elif not v["valid"] and ok:
                if v["error"] in ("too_large", "bad_json", "bad_type", "out_of_range", "bad_topic"):
                    beyond += 1
                    print(f"{path.name}: beyond the schema ({v['error']}): {v['name']}")
                else:
                    print(f"{path.name}: invalid vector passes its schema: {v['name']}")
                    bad += 1
    print(f"{checked} vectors, {bad} disagree with the schemas, {beyond} rely on rules beyond them")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
