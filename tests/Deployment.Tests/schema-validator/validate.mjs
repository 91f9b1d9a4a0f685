// Validates Kubernetes objects against the API schemas of the kubernetes-models package, as an API server would
// before storing them. Reads a JSON array of {id, object} on stdin; writes a JSON array of {id, errors} on stdout,
// errors being empty for a valid object. An apiVersion/kind without a schema here is an error too.
import { readFileSync } from "node:fs";

const input = JSON.parse(readFileSync(0, "utf8"));
const modules = new Map();
const results = [];
for (const { id, object } of input) {
  const apiVersion = object?.apiVersion ?? "";
  const kind = object?.kind ?? "";
  let errors = [];
  try {
    if (!modules.has(apiVersion)) {
      modules.set(apiVersion, await import(`kubernetes-models/${apiVersion}`).catch(() => null));
    }
    const Model = modules.get(apiVersion)?.[kind];
    if (typeof Model !== "function") {
      errors = [`no Kubernetes schema for apiVersion ${apiVersion || "(none)"}, kind ${kind || "(none)"}`];
    } else {
      new Model(object).validate();
    }
  } catch (e) {
    // ajv's messages: "data/spec/replicas must be integer, data/spec must have required property 'selector'".
    errors = String(e?.message ?? e).split(/,\s*(?=data[/ ])/).map((m) => m.replace(/^data/, "").trim());
  }
  results.push({ id, errors });
}
process.stdout.write(JSON.stringify(results));
